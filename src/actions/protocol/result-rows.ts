/**
 * One search result as the alert actions see it: field name → values. splunkd's results file is a CSV where a
 * multi-valued field `f` has a companion column `__mv_f` holding every value as `$v1$;$v2$`, with `$` doubled inside
 * a value (as splunkd writes the results file of an alert action). The plain column `f` then holds the values joined by
 * newlines, which cannot be
 * told apart from a single value that contains a newline, so the `__mv_` column wins whenever it is filled.
 */

/** A result row: every field with its values in order; a field that is empty in the results has no values. */
export type ResultRow = ReadonlyMap<string, readonly string[]>;

const MV_PREFIX = '__mv_';

/**
 * Decodes a `__mv_` cell: `$a$;$b$$c$` → `['a', 'b$c']`. Returns undefined for an empty cell or text that is not in
 * this encoding (the caller then falls back to the plain column).
 */
export function decodeMultiValue(cell: string): string[] | undefined {
  if (cell === '') return undefined;
  const values: string[] = [];
  let i = 0;
  for (;;) {
    if (cell[i] !== '$') return undefined;
    i++;
    let value = '';
    for (;;) {
      const next = cell.indexOf('$', i);
      if (next < 0) return undefined;
      value += cell.slice(i, next);
      if (cell[next + 1] === '$') {
        value += '$';
        i = next + 2;
        continue;
      }
      i = next + 1;
      break;
    }
    values.push(value);
    if (i === cell.length) return values;
    if (cell[i] !== ';') return undefined;
    i++;
  }
}

/** Turns one CSV record (column → cell) into a ResultRow, folding each `__mv_<field>` column into its field. */
export function toResultRow(record: Readonly<Record<string, string>>): ResultRow {
  const row = new Map<string, readonly string[]>();
  for (const [column, cell] of Object.entries(record)) {
    if (column.startsWith(MV_PREFIX)) continue;
    const multi = decodeMultiValue(record[MV_PREFIX + column] ?? '');
    row.set(column, multi ?? (cell === '' || cell === undefined ? [] : [cell]));
  }
  return row;
}

/** Builds a ResultRow from the payload's `result` object (first row), whose multi-valued fields are arrays. */
export function toResultRowFromObject(result: Readonly<Record<string, unknown>>): ResultRow {
  const row = new Map<string, readonly string[]>();
  for (const [field, value] of Object.entries(result)) {
    if (field.startsWith(MV_PREFIX)) continue;
    if (Array.isArray(value)) row.set(field, value.map(String));
    else if (value === null || value === undefined || value === '') row.set(field, []);
    else row.set(field, [String(value)]);
  }
  return row;
}

/** The first non-empty value of a field (trimmed), or undefined when the row lacks it. */
export function firstValue(row: ResultRow, field: string): string | undefined {
  for (const value of row.get(field) ?? []) {
    const trimmed = value.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

/** Every non-empty value of a field, trimmed, in order. */
export function allValues(row: ResultRow, field: string): string[] {
  return (row.get(field) ?? []).map((v) => v.trim()).filter((v) => v !== '');
}
