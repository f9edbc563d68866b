/**
 * What the three list endpoints share: running a filter over a table (index range first, then the other clauses),
 * caching the result until the table changes (so paging a million alerts by `$skip` does not re-sort per page), and
 * streaming items as JSON with the served-version log filled only once a page was delivered whole.
 */
import type { ApiTime } from '../../src/defender/api-time.js';
import { extractTimeBounds, matchesFilter, type FilterNode } from './odata-filter.js';
import type { AlertTable, StoredAlert } from './store.js';

/** Sort applied to a filtered list. */
export type ListOrder = { by: 'time'; desc: boolean } | { by: 'field'; field: string; desc: boolean } | { by: 'rank' };

const cache = new WeakMap<AlertTable, Map<string, { version: number; list: StoredAlert[] }>>();

/** The visible records matching `filter`, in `order`. Cached per table version. */
export function runQuery(
  table: AlertTable,
  timeField: string,
  filter: FilterNode | undefined,
  filterText: string,
  order: ListOrder,
  caseInsensitive: boolean,
): StoredAlert[] {
  const key = `${filterText}\u0000${JSON.stringify(order)}`;
  let entries = cache.get(table);
  if (!entries) {
    entries = new Map();
    cache.set(table, entries);
  }
  const hit = entries.get(key);
  if (hit && hit.version === table.version) return hit.list;

  const bounds = extractTimeBounds(filter, timeField);
  const list = table.select(
    bounds,
    bounds.exact || !filter ? undefined : (r) => matchesFilter(filter, (f) => r.fields[f], caseInsensitive),
  );
  if (order.by === 'time') {
    if (order.desc) list.reverse();
  } else if (order.by === 'rank') {
    list.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } else {
    const { field, desc } = order;
    list.sort((a, b) => {
      const c = compareValues(a.fields[field], b.fields[field]) || compareTimes(a.time, b.time);
      return desc ? -c : c;
    });
  }
  if (entries.size > 16) entries.clear();
  entries.set(key, { version: table.version, list });
  return list;
}

function compareTimes(a: ApiTime, b: ApiTime): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareValues(a: unknown, b: unknown): number {
  // OData sorts nulls first ascending.
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as number) < (b as number) ? -1 : 1;
}

const COMMA = Buffer.from(',');

/** `prefix item,item,… suffix` as buffers, lazily. */
export function* jsonArrayParts(
  prefix: string,
  records: readonly StoredAlert[],
  render: (r: StoredAlert) => Buffer,
  suffix: string,
): Generator<Buffer> {
  yield Buffer.from(prefix);
  for (let i = 0; i < records.length; i++) {
    if (i > 0) yield COMMA;
    yield render(records[i]!);
  }
  yield Buffer.from(suffix);
}

/** Parses a non-negative integer query option; undefined when absent, NaN when malformed. */
export function intOption(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
}

/**
 * Rebuilds a query string with `$` keys literal and values percent-encoded (spaces as %20), as Microsoft's links look.
 */
export function buildQuery(params: Iterable<[string, string]>): string {
  return [...params]
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%24/g, '$')}`)
    .join('&');
}
