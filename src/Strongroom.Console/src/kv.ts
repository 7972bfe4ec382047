// The key/value editor: a secret string that is a flat JSON object of strings (AWS's shape for credentials,
// {"username": …, "password": …}) is edited as rows; anything else as plain text.

export interface KeyValueRow {
  key: string;
  value: string;
}

/** The rows of a flat JSON object of string (or number/boolean) values, or null when text is not one. */
export function toRows(text: string): KeyValueRow[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return null;
  }
  const rows: KeyValueRow[] = [];
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string') rows.push({ key, value });
    else if (typeof value === 'number' || typeof value === 'boolean') rows.push({ key, value: String(value) });
    else return null;
  }
  return rows;
}

/** The problems that stop rows from becoming a JSON object: empty or repeated keys. */
export function rowProblems(rows: readonly KeyValueRow[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (row.key === '') problems.push(`Row ${i + 1}: the key is empty.`);
    else if (seen.has(row.key)) problems.push(`Row ${i + 1}: the key "${row.key}" is used twice.`);
    seen.add(row.key);
  });
  return problems;
}

/** Rows as the JSON text stored as SecretString (values stay strings). */
export function fromRows(rows: readonly KeyValueRow[]): string {
  const object: Record<string, string> = {};
  for (const row of rows) {
    object[row.key] = row.value;
  }
  return JSON.stringify(object);
}
