/**
 * Runs the searches this app ships (saved searches, dashboard panels) over in-memory events, for exactly the commands
 * and search terms they use, so their logic can be tested offline: which events a scheduled run selects (dispatch time
 * range on _time, `_index_earliest`/`_index_latest` on _indextime), subsearches, `dedup`, filters, `eval`, `stats`.
 * It is NOT Splunk: it throws on any command or term it does not know. Modelled as Splunk documents them:
 *   - a search returns events newest _time first, so `dedup id` keeps each id's newest version;
 *   - `field=value` in a search compares case-insensitively with `*` as a wildcard, on any value of a multivalue;
 *     `field!=value` needs the field; `NOT field=value` also matches events without it;
 *   - a subsearch `[search ...]` runs over the same time range and becomes `(f1="v1" f2="v2") OR (...)` of its rows;
 *     no rows match nothing;
 *   - stats latest(f) is f of the newest event that has f; timechart buckets _time by span (default 1h);
 *   - `streamstats count AS n BY f` numbers the rows of each f from 1 in the order they arrive (rows without f are
 *     left without n), so after `sort 0 - _time` n = 1 is each group's newest row.
 * Eval expressions go through test/app/lib/spl-eval.ts.
 */
import type { Conf } from '../../../src/config/app-settings.js';
import { evaluate, type SplValue } from './spl-eval.js';

/** One event or result row. _time and _indextime are epoch seconds. */
export type Row = Map<string, SplValue>;

/** What a run needs besides its events. */
export interface RunContext {
  macros: Conf;
  eventtypes: Conf;
  /** The run's "now", epoch seconds. */
  now: number;
  /** dispatch.earliest_time / latest_time (relative or epoch); default: all time. */
  earliest?: string;
  latest?: string;
  /** Newest _indextime a search can see at `now` (events indexed in the last moments are not searchable yet). */
  searchableUntil?: number;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Splunk relative time (`now`, `-10m@m`, `+1h`, `-7d@d`, `@d`) or epoch seconds → epoch seconds. */
export function resolveTime(spec: string, now: number): number {
  if (spec === 'now' || spec === '') return now;
  if (/^\d+(\.\d+)?$/.test(spec)) return Number(spec);
  const m = /^([+-]\d+)([smhdw])?(?:@([smhdw]))?$|^@([smhdw])$/.exec(spec);
  if (!m) throw new Error(`time modifier "${spec}" is not modelled`);
  let t = now;
  if (m[1]) t += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1);
  const snap = m[3] ?? m[4];
  if (snap) {
    const unit = UNITS[snap] ?? 1;
    t = Math.floor(t / unit) * unit;
  }
  return t;
}

function values(v: SplValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  return [String(v)];
}

function glob(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(value);
}

/** Splits on `|` outside quotes, backticks, (parentheses) and [brackets]. */
export function splitPipeline(query: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < query.length; i++) {
    const c = query[i] ?? '';
    if (quote) {
      if (c === '\\') current += c + (query[++i] ?? '');
      else {
        if (c === quote) quote = undefined;
        current += c;
      }
      continue;
    }
    if (c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (c === '|' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  parts.push(current.trim());
  return parts;
}

/** Splits on `separator` outside quotes and (parentheses). */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote) {
      if (c === '\\') current += c + (text[++i] ?? '');
      else {
        if (c === '"') quote = false;
        current += c;
      }
      continue;
    }
    if (c === '"') quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === separator && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** Replaces every `macro` by its definition, recursively. */
export function expandMacros(query: string, macros: Conf): string {
  let out = query;
  for (let i = 0; i < 20 && out.includes('`'); i++) {
    out = out.replace(/`([^`(]+)`/g, (_m, name: string) => {
      const def = macros.get(name)?.get('definition')?.value;
      if (def === undefined) throw new Error(`unknown macro \`${name}\``);
      return def;
    });
  }
  return out;
}

type Predicate = (row: Row) => boolean;

interface TimeBounds {
  indexEarliest?: number;
  indexLatest?: number;
}

/** Parses a search expression (terms, OR, NOT, parentheses) into a predicate; time modifiers go to `bounds`. */
function parseSearch(text: string, ctx: RunContext, bounds: TimeBounds, events: Row[]): Predicate {
  const tokens: (string | Predicate)[] = [];
  let i = 0;
  const s = expandMacros(text, ctx.macros);
  while (i < s.length) {
    const c = s[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
      continue;
    }
    if (c === '[') {
      let depth = 0;
      let j = i;
      for (; j < s.length; j++) {
        if (s[j] === '[') depth++;
        else if (s[j] === ']' && --depth === 0) break;
      }
      tokens.push(subsearch(s.slice(i + 1, j), ctx, events));
      i = j + 1;
      continue;
    }
    const m = /^([A-Za-z_][\w.{}]*)\s*(!=|=)\s*("(?:[^"\\]|\\.)*"|[^\s()]+)|^("(?:[^"\\]|\\.)*"|[^\s()]+)/.exec(
      s.slice(i),
    );
    if (!m) throw new Error(`cannot read the search at: ${s.slice(i)}`);
    i += m[0].length;
    if (m[1]) {
      const field = m[1];
      const op = m[2];
      const value = (m[3] ?? '').replace(/^"|"$/g, '').replace(/\\"/g, '"');
      if (field === '_index_earliest') bounds.indexEarliest = resolveTime(value, ctx.now);
      else if (field === '_index_latest') bounds.indexLatest = resolveTime(value, ctx.now);
      else if (field === 'earliest' || field === 'latest')
        throw new Error('earliest/latest in the search string are not modelled');
      else if (field === 'eventtype') {
        const def = ctx.eventtypes.get(value)?.get('search')?.value;
        if (def === undefined) throw new Error(`unknown eventtype ${value}`);
        tokens.push(parseSearch(def, ctx, bounds, events));
      } else if (op === '!=')
        tokens.push((row) => values(row.get(field)).length > 0 && !values(row.get(field)).some((v) => glob(value, v)));
      else tokens.push((row) => values(row.get(field)).some((v) => glob(value, v)));
    } else {
      const word = m[4] ?? '';
      if (word === 'OR' || word === 'NOT' || word === 'AND') tokens.push(word);
      else {
        const term = word.replace(/^"|"$/g, '').toLowerCase();
        tokens.push((row) => values(row.get('_raw')).some((v) => v.toLowerCase().includes(term)));
      }
    }
  }

  let at = 0;
  const parseOr = (): Predicate => {
    const parts = [parseAnd()];
    while (tokens[at] === 'OR') {
      at++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (row) => parts.some((p) => p(row));
  };
  const parseAnd = (): Predicate => {
    const parts: Predicate[] = [];
    while (at < tokens.length && tokens[at] !== ')' && tokens[at] !== 'OR') {
      if (tokens[at] === 'AND') {
        at++;
        continue;
      }
      parts.push(parseUnary());
    }
    return (row) => parts.every((p) => p(row));
  };
  const parseUnary = (): Predicate => {
    const t = tokens[at++];
    if (t === 'NOT') {
      const inner = parseUnary();
      return (row) => !inner(row);
    }
    if (t === '(') {
      const inner = parseOr();
      if (tokens[at++] !== ')') throw new Error(`unbalanced parentheses in: ${text}`);
      return inner;
    }
    if (typeof t === 'function') return t;
    throw new Error(`unexpected "${String(t)}" in: ${text}`);
  };
  const predicate = parseOr();
  if (at !== tokens.length) throw new Error(`cannot read the search: ${text}`);
  return predicate;
}

/** A subsearch: run it, then match events equal to any of its rows on every field of the row. */
function subsearch(query: string, ctx: RunContext, events: Row[]): Predicate {
  const rows = runSearch(query.replace(/^\s*search\s+/, ''), events, ctx);
  const wanted = rows.map((r) => [...r].filter(([k]) => !k.startsWith('_')).map(([k, v]) => [k, values(v)] as const));
  return (row) =>
    wanted.some(
      (fields) => fields.length > 0 && fields.every(([k, vs]) => vs.some((v) => values(row.get(k)).includes(v))),
    );
}

function numbers(list: SplValue[]): number[] {
  return list
    .flatMap((v) => values(v))
    .map(Number)
    .filter((n) => !Number.isNaN(n));
}

/** stats/timechart aggregations: `fn(arg) [AS name]`, arg a field or eval(expr). */
function parseAggregations(text: string): { fn: string; arg: string; name: string }[] {
  const out: { fn: string; arg: string; name: string }[] = [];
  for (const m of text.matchAll(/(\w+)(?:\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\))?(?:\s+AS\s+(\w+))?/gi)) {
    const fn = m[1] ?? '';
    const arg = (m[2] ?? '').trim();
    out.push({ fn, arg, name: m[3] ?? (arg ? `${fn}(${arg})` : fn) });
  }
  return out;
}

function aggregate(fn: string, arg: string, group: Row[], now: number): SplValue {
  const evalArg = /^eval\((.*)\)$/s.exec(arg);
  const column = (row: Row): SplValue => (evalArg ? evaluate(evalArg[1] ?? '', row, { now }) : (row.get(arg) ?? null));
  switch (fn) {
    case 'count':
      if (!arg) return group.length;
      return group.filter((r) => {
        const v = column(r);
        return evalArg ? v === true : v !== null;
      }).length;
    case 'dc':
      return new Set(group.flatMap((r) => values(column(r)))).size;
    case 'sum':
      return numbers(group.map(column)).reduce((a, b) => a + b, 0);
    case 'avg': {
      const n = numbers(group.map(column));
      return n.length === 0 ? null : n.reduce((a, b) => a + b, 0) / n.length;
    }
    case 'max': {
      const n = numbers(group.map(column));
      return n.length === 0 ? null : Math.max(...n);
    }
    case 'min': {
      const n = numbers(group.map(column));
      return n.length === 0 ? null : Math.min(...n);
    }
    case 'latest': {
      const sorted = [...group].sort((a, b) => Number(b.get('_time')) - Number(a.get('_time')));
      for (const r of sorted) if (column(r) !== null) return column(r);
      return null;
    }
    default:
      throw new Error(`stats function ${fn}() is not modelled`);
  }
}

function groupBy(rows: Row[], by: string[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    if (by.some((f) => values(row.get(f)).length === 0)) continue;
    const key = JSON.stringify(by.map((f) => values(row.get(f))[0]));
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Runs one search pipeline over `events` as a scheduled or ad-hoc search at ctx.now. */
export function runSearch(query: string, events: Row[], ctx: RunContext): Row[] {
  const [base = '', ...commands] = splitPipeline(query.replace(/\s+/g, ' ').trim());
  const bounds: TimeBounds = {};
  const predicate = parseSearch(base.replace(/^search\s+/, ''), ctx, bounds, events);
  const earliest = ctx.earliest === undefined ? -Infinity : resolveTime(ctx.earliest, ctx.now);
  const latest = ctx.latest === undefined ? Infinity : resolveTime(ctx.latest, ctx.now);
  const visible = ctx.searchableUntil ?? ctx.now;
  let rows = events.filter((e) => {
    const t = Number(e.get('_time'));
    const it = Number(e.get('_indextime'));
    return (
      t >= earliest &&
      t < latest &&
      it <= visible &&
      (bounds.indexEarliest === undefined || it >= bounds.indexEarliest) &&
      (bounds.indexLatest === undefined || it <= bounds.indexLatest) &&
      predicate(e)
    );
  });
  rows.sort((a, b) => Number(b.get('_time')) - Number(a.get('_time')));

  for (const command of commands) {
    const [word = '', ...rest] = command.split(' ');
    const args = rest.join(' ');
    switch (word) {
      case 'search': {
        const p = parseSearch(args, ctx, {}, events);
        rows = rows.filter(p);
        break;
      }
      case 'where':
        rows = rows.filter((r) => evaluate(args, r, { now: ctx.now }) === true);
        break;
      case 'dedup': {
        const seen = new Set<string>();
        const fields = args.split(/[\s,]+/).filter(Boolean);
        rows = rows.filter((r) => {
          if (fields.some((f) => values(r.get(f)).length === 0)) return false;
          const key = JSON.stringify(fields.map((f) => values(r.get(f))));
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        break;
      }
      case 'eval': {
        const assignments = splitTopLevel(args, ',');
        for (const r of rows) {
          for (const a of assignments) {
            const eq = a.indexOf('=');
            const v = evaluate(a.slice(eq + 1).trim(), r, { now: ctx.now });
            const name = a.slice(0, eq).trim();
            if (v === null) r.delete(name);
            else r.set(name, typeof v === 'boolean' ? String(v) : v);
          }
        }
        break;
      }
      case 'stats': {
        const [aggText = '', byText = ''] = args.split(/\bBY\b/i);
        const by = byText.split(/[\s,]+/).filter(Boolean);
        const aggs = parseAggregations(aggText);
        rows = [...groupBy(rows, by).values()].map((group) => {
          const out: Row = new Map();
          for (const f of by) out.set(f, values(group[0]?.get(f))[0] ?? null);
          for (const a of aggs) out.set(a.name, aggregate(a.fn, a.arg, group, ctx.now));
          return out;
        });
        break;
      }
      case 'streamstats': {
        // Only `streamstats count AS <name> BY <fields>`: each row's rank within its group, in the current row order.
        const m = /^count AS (\w+) BY ([\w\s,]+)$/i.exec(args.trim());
        if (!m) throw new Error(`streamstats form not modelled: ${args}`);
        const name = m[1] ?? '';
        const by = (m[2] ?? '').split(/[\s,]+/).filter(Boolean);
        const counts = new Map<string, number>();
        for (const r of rows) {
          if (by.some((f) => values(r.get(f)).length === 0)) continue;
          const key = JSON.stringify(by.map((f) => values(r.get(f))[0]));
          const n = (counts.get(key) ?? 0) + 1;
          counts.set(key, n);
          r.set(name, n);
        }
        break;
      }
      case 'timechart': {
        const span = Number(/span=(\d+)/.exec(args)?.[1] ?? 3600);
        const [aggText = '', byText = ''] = args.replace(/span=\S+/, '').split(/\bBY\b/i);
        const by = byText.trim();
        const [agg] = parseAggregations(aggText.trim());
        if (!agg || !by) throw new Error(`timechart form not modelled: ${args}`);
        const buckets = new Map<number, Row[]>();
        for (const r of rows) {
          const b = Math.floor(Number(r.get('_time')) / span) * span;
          buckets.set(b, [...(buckets.get(b) ?? []), r]);
        }
        rows = [...buckets]
          .sort(([a], [b]) => a - b)
          .map(([t, group]) => {
            const out: Row = new Map([['_time', t]]);
            for (const [key, g] of groupBy(group, [by])) {
              out.set(String(JSON.parse(key)[0]), aggregate(agg.fn, agg.arg, g, ctx.now));
            }
            return out;
          });
        break;
      }
      case 'sort': {
        const fields = args.split(/[\s,]+/).filter((t) => t && !/^\d+$/.test(t));
        const keys = fields.map((f) => ({ name: f.replace(/^[-+]/, ''), desc: f.startsWith('-') }));
        rows.sort((a, b) => {
          for (const k of keys) {
            const x = values(a.get(k.name))[0] ?? '';
            const y = values(b.get(k.name))[0] ?? '';
            const c =
              !Number.isNaN(Number(x)) && !Number.isNaN(Number(y)) && x !== '' && y !== ''
                ? Number(x) - Number(y)
                : x.localeCompare(y);
            if (c !== 0) return k.desc ? -c : c;
          }
          return 0;
        });
        break;
      }
      case 'table':
      case 'fields': {
        const remove = args.trim().startsWith('- ');
        const fields = args
          .replace(/^-\s+/, '')
          .split(/[\s,]+/)
          .filter(Boolean);
        rows = rows.map(
          (r) =>
            new Map(
              [...r].filter(([k]) =>
                remove ? !fields.includes(k) : fields.includes(k) || (word === 'fields' && k.startsWith('_')),
              ),
            ),
        );
        break;
      }
      case 'head':
        rows = rows.slice(0, Number(args) || 10);
        break;
      case 'convert':
        for (const r of rows) {
          for (const m of args.matchAll(/ctime\((\w+)\)/g)) {
            const f = m[1] ?? '';
            const v = r.get(f);
            if (v !== undefined && v !== null) r.set(f, new Date(Number(v) * 1000).toISOString());
          }
        }
        break;
      default:
        throw new Error(`test/app/lib/spl-run.ts does not model the command "${word}" (in: ${query}); teach it`);
    }
  }
  return rows;
}
