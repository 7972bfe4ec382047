using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;
using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;

namespace Strongroom.Core.Rotation;

/// <summary>
/// Validates RotationRules and computes NextRotationDate: the end of the next rotation window
/// (api/secretsmanager-api.md §3.8). All times UTC. Pure; thread-safe.
/// </summary>
public static partial class RotationSchedule
{
    public static void ValidateRules(RotationRules? rules)
    {
        if (rules is null)
        {
            return;
        }

        Validate.Range(rules.AutomaticallyAfterDays, "rotationRules.automaticallyAfterDays", 1, 1000);
        Validate.Length(rules.Duration, "rotationRules.duration", 2, 3);
        Validate.Length(rules.ScheduleExpression, "rotationRules.scheduleExpression", 1, 256);
        if (rules.AutomaticallyAfterDays is not null && rules.ScheduleExpression is not null)
        {
            throw DomainException.InvalidParameter("You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.");
        }

        TimeSpan? window = null;
        if (rules.Duration is not null)
        {
            if (!DurationPattern().IsMatch(rules.Duration))
            {
                throw DomainException.InvalidParameter("Invalid Duration: it must be a number of hours such as 3h.");
            }

            window = TimeSpan.FromHours(int.Parse(rules.Duration[..^1], CultureInfo.InvariantCulture));
            if (window < TimeSpan.FromHours(1) || window > TimeSpan.FromHours(24))
            {
                throw DomainException.InvalidParameter("Invalid Duration: the rotation window must be between 1h and 24h.");
            }
        }

        if (rules.ScheduleExpression is { } expression)
        {
            var interval = ParseExpression(expression, out _);
            if (window is not null && interval is not null && window > interval)
            {
                throw DomainException.InvalidParameter("The rotation window (Duration) overlaps the next rotation window.");
            }
        }
    }

    /// <summary>The end of the first rotation window that starts after <paramref name="after"/>.</summary>
    public static DateTimeOffset? NextRotationDate(RotationRules? rules, DateTimeOffset after)
    {
        if (rules is null)
        {
            return null;
        }

        TimeSpan? duration = rules.Duration is null ? null : TimeSpan.FromHours(int.Parse(rules.Duration[..^1], CultureInfo.InvariantCulture));
        if (rules.AutomaticallyAfterDays is { } days)
        {
            var day = new DateTimeOffset(after.UtcDateTime.Date, TimeSpan.Zero).AddDays(days);
            return day + (duration ?? TimeSpan.FromDays(1));
        }

        if (rules.ScheduleExpression is null)
        {
            return null;
        }

        var interval = ParseExpression(rules.ScheduleExpression, out var cron);
        if (cron is not null)
        {
            var next = cron.GetNextOccurrence(after.UtcDateTime, TimeZoneInfo.Utc);
            if (next is null)
            {
                return null;
            }

            var start = new DateTimeOffset(next.Value, TimeSpan.Zero);
            return start + (duration ?? DefaultWindow(start, hourly: HourlyCron(rules.ScheduleExpression)));
        }

        // rate(): windows start at 00:00 UTC and every interval after it.
        var midnight = new DateTimeOffset(after.UtcDateTime.Date, TimeSpan.Zero);
        var step = interval!.Value;
        var startOfWindow = midnight;
        while (startOfWindow <= after)
        {
            startOfWindow += step;
        }

        var hourly = step < TimeSpan.FromDays(1);
        return startOfWindow + (duration ?? DefaultWindow(startOfWindow, hourly));
    }

    /// <summary>
    /// The start of the rotation window that ends at <paramref name="windowEnd"/> (a NextRotationDate
    /// computed by <see cref="NextRotationDate"/> from the same rules).
    /// </summary>
    public static DateTimeOffset WindowStart(RotationRules? rules, DateTimeOffset windowEnd)
    {
        if (rules is null)
        {
            return windowEnd - TimeSpan.FromDays(1);
        }

        if (rules.Duration is not null)
        {
            return windowEnd - TimeSpan.FromHours(int.Parse(rules.Duration[..^1], CultureInfo.InvariantCulture));
        }

        if (rules.AutomaticallyAfterDays is not null || rules.ScheduleExpression is null)
        {
            return windowEnd - TimeSpan.FromDays(1);
        }

        // Default windows: an hour for hourly schedules, else until the end of the UTC day. Find the
        // schedule's start whose window ends here: the last start within the day before the end.
        var candidate = windowEnd - TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1);
        var best = windowEnd - TimeSpan.FromHours(1);
        for (var i = 0; i < 48; i++)
        {
            var end = NextRotationDate(rules, candidate);
            if (end is null || end > windowEnd)
            {
                break;
            }

            var start = StartOf(rules, candidate);
            if (end == windowEnd && start is not null)
            {
                best = start.Value;
                break;
            }

            candidate = start ?? candidate.AddHours(1);
        }

        return best;
    }

    /// <summary>The first schedule occurrence (window start) after <paramref name="after"/> for rate()/cron() rules.</summary>
    private static DateTimeOffset? StartOf(RotationRules rules, DateTimeOffset after)
    {
        var interval = ParseExpression(rules.ScheduleExpression!, out var cron);
        if (cron is not null)
        {
            var next = cron.GetNextOccurrence(after.UtcDateTime, TimeZoneInfo.Utc);
            return next is null ? null : new DateTimeOffset(next.Value, TimeSpan.Zero);
        }

        var start = new DateTimeOffset(after.UtcDateTime.Date, TimeSpan.Zero);
        while (start <= after)
        {
            start += interval!.Value;
        }

        return start;
    }

    /// <summary>
    /// The moment inside the window [start, end) at which the scheduler rotates: random per secret and
    /// window (a hash, so every node and every restart picks the same moment), leaving the last quarter
    /// of the window (at most 15 minutes) for retries.
    /// </summary>
    public static DateTimeOffset PlannedMoment(string secretArn, DateTimeOffset windowStart, DateTimeOffset windowEnd)
    {
        ArgumentNullException.ThrowIfNull(secretArn);
        var length = windowEnd - windowStart;
        var reserve = TimeSpan.FromTicks(Math.Min(length.Ticks / 4, TimeSpan.FromMinutes(15).Ticks));
        var usable = (long)(length - reserve).TotalSeconds;
        if (usable <= 0)
        {
            return windowStart;
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{secretArn}|{windowEnd.ToUnixTimeSeconds()}"));
        var offset = (long)(BitConverter.ToUInt64(hash, 0) % (ulong)usable);
        return windowStart + TimeSpan.FromSeconds(offset);
    }

    private static TimeSpan DefaultWindow(DateTimeOffset start, bool hourly) =>
        hourly ? TimeSpan.FromHours(1) : new DateTimeOffset(start.UtcDateTime.Date, TimeSpan.Zero).AddDays(1) - start;

    private static bool HourlyCron(string expression)
    {
        var fields = expression[5..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && (fields[1].Contains('/', StringComparison.Ordinal) || fields[1].Contains(',', StringComparison.Ordinal) || fields[1].Contains('-', StringComparison.Ordinal) || fields[1] == "*");
    }

    /// <summary>Parses rate(...) (returns its interval) or cron(...) (returns null and the parsed expression).</summary>
    private static TimeSpan? ParseExpression(string expression, out CronExpression? cron)
    {
        cron = null;
        var rate = RatePattern().Match(expression);
        if (rate.Success)
        {
            var unit = rate.Groups[2].Value;
            var hours = unit.StartsWith("hour", StringComparison.Ordinal);
            // A count past 1000 days (or too long for a long) is out of range before it can overflow a TimeSpan.
            if (!long.TryParse(rate.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > (hours ? 24_000 : 1_000))
            {
                throw DomainException.InvalidParameter("Invalid ScheduleExpression: the rotation interval must be between 4 hours and 1000 days.");
            }

            var interval = hours ? TimeSpan.FromHours(n) : TimeSpan.FromDays(n);
            if ((unit is "hour" or "day") != (n == 1))
            {
                throw DomainException.InvalidParameter($"Invalid ScheduleExpression: {expression}. Use the singular unit for 1 and the plural otherwise.");
            }

            if (interval < TimeSpan.FromHours(4) || interval > TimeSpan.FromDays(1000))
            {
                throw DomainException.InvalidParameter("Invalid ScheduleExpression: the rotation interval must be between 4 hours and 1000 days.");
            }

            return interval;
        }

        var match = CronPattern().Match(expression);
        if (!match.Success)
        {
            throw DomainException.InvalidParameter($"Invalid ScheduleExpression: {expression}. Use rate() or cron().");
        }

        var fields = match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            throw DomainException.InvalidParameter($"Invalid cron expression: {expression}. A cron expression has six fields.");
        }

        if (fields[0] != "0")
        {
            throw DomainException.InvalidParameter("Invalid cron expression: rotation windows start on the hour, so Minutes must be 0.");
        }

        if (fields[5] != "*")
        {
            throw DomainException.InvalidParameter("Invalid cron expression: Year must be *.");
        }

        if ((fields[2] == "?") == (fields[4] == "?"))
        {
            throw DomainException.InvalidParameter("Invalid cron expression: exactly one of Day-of-month and Day-of-week must be ?.");
        }

        var dayOfWeek = fields[4] == "?" ? "?" : DayOfWeekNumber().Replace(fields[4], m =>
        {
            // EventBridge numbers days 1-7 from Sunday; Cronos 0-6. A number after '#' is an occurrence, not a day.
            if (m.Index > 0 && fields[4][m.Index - 1] == '#')
            {
                return m.Value;
            }

            // A number too long to be a day (1-7) is left for the cron parser to refuse, rather than overflow here.
            return int.TryParse(m.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? (n - 1).ToString(CultureInfo.InvariantCulture) : m.Value;
        });
        try
        {
            cron = CronExpression.Parse($"{fields[0]} {fields[1]} {fields[2]} {fields[3]} {dayOfWeek}");
        }
        catch (CronFormatException)
        {
            throw DomainException.InvalidParameter($"Invalid cron expression: {expression}.");
        }

        return null;
    }

    // At most three digits (the model's length 2..3): the number always fits an int; the 1h..24h range is checked after.
    [GeneratedRegex("^[0-9]{1,3}h$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex("^rate\\(([0-9]+) (hour|hours|day|days)\\)$")]
    private static partial Regex RatePattern();

    [GeneratedRegex("^cron\\((.{1,256})\\)$")]
    private static partial Regex CronPattern();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex DayOfWeekNumber();
}
