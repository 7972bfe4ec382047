// Times in the person's own time zone (the browser's, or one given for tests), with the zone named.

export function formatTime(value: Date | undefined, timeZone?: string, locale?: string): string {
  if (!value || Number.isNaN(value.getTime())) return '—';
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(value);
}

/** "in 3 days", "5 minutes ago": the distance from now, in the largest whole unit. */
export function relative(value: Date | undefined, now: Date, locale?: string): string {
  if (!value) return '';
  const diff = value.getTime() - now.getTime();
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ];
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, ms] of units) {
    if (Math.abs(diff) >= ms || unit === 'second') {
      return format.format(Math.round(diff / ms), unit);
    }
  }
  return '';
}

/** A datetime-local input's value (local time) as a Date; empty or invalid → undefined. */
export function fromLocalInput(value: string): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A calendar day in UTC ("07 Dec 2026"): for LastAccessedDate, which AWS keeps to the day. */
export function formatDay(value: Date | undefined, locale?: string): string {
  if (!value || Number.isNaN(value.getTime())) return '—';
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: '2-digit', timeZone: 'UTC' }).format(value);
}
