/**
 * The search-time steps that turn one of our events into fields, modelled for exactly what this app's props.conf uses
 * (Splunk's order: automatic key-value extraction, then FIELDALIAS, then EVAL; "The sequence of search-time
 * operations" in Splunk's Knowledge Manager Manual):
 *   - KV_MODE = json: every scalar of the event's JSON, named `a.b`, `a{}`, `a{}.b`, several values → a multivalue;
 *     JSON null as the text "null", true/false as text. Like Splunk's automatic extraction, it reads only the first
 *     EXTRACTION_CUTOFF bytes of _raw (limits.conf [spath] extraction_cutoff, default 5000; Splunk's spath docs say
 *     auto-extract mode "extracts all the fields from the first 5,000 characters"): a value that does not end inside
 *     them is not extracted. Bytes, not characters, so a non-ASCII alert is cut no later than Splunk cuts it.
 *   - FIELDALIAS-<class> = a AS b: b gets a's value (when a has one).
 *   - EVAL-<field>: every calculated field is computed from the fields as they are after aliasing, independently of
 *     the others (one EVAL never sees another's result), then all are set; a null result leaves the field unset.
 * Nothing else (no EXTRACT/REPORT/LOOKUP): a props.conf that uses them makes applySearchTime throw.
 */
import type { Conf } from '../../../src/config/app-settings.js';
import { evaluate, parseEval, type SplValue } from './spl-eval.js';

/** limits.conf [spath] extraction_cutoff: what automatic JSON extraction reads of _raw (Splunk's default). */
export const EXTRACTION_CUTOFF = 5000;

/** The largest character index whose UTF-8 prefix fits in `bytes`. */
function charsWithinBytes(text: string, bytes: number): number {
  let used = 0;
  let i = 0;
  for (const ch of text) {
    used += Buffer.byteLength(ch);
    if (used > bytes) return i;
    i += ch.length;
  }
  return text.length;
}

/** KV_MODE = json on one event: field → values, only from the first `cutoff` bytes. Not JSON → no fields. */
export function extractJsonFields(raw: string, cutoff = EXTRACTION_CUTOFF): Map<string, string[]> {
  const limit = charsWithinBytes(raw, cutoff);
  const fields = new Map<string, string[]>();
  const add = (name: string, value: string, end: number): void => {
    if (end > limit) return;
    const list = fields.get(name);
    if (list) list.push(value);
    else fields.set(name, [value]);
  };
  let i = 0;
  const ws = (): void => {
    while (i < raw.length && /\s/.test(raw[i] ?? '')) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`not JSON at ${i}`);
  };
  const parseString = (): string => {
    const start = i;
    i++;
    while (i < raw.length && raw[i] !== '"') i += raw[i] === '\\' ? 2 : 1;
    if (i >= raw.length) fail();
    i++;
    return JSON.parse(raw.slice(start, i)) as string;
  };
  const parseValue = (path: string): void => {
    ws();
    const c = raw[i];
    if (c === '{') {
      i++;
      ws();
      if (raw[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (raw[i] !== '"') fail();
        const key = parseString();
        ws();
        if (raw[i] !== ':') fail();
        i++;
        parseValue(path ? `${path}.${key}` : key);
        ws();
        if (raw[i] === ',') {
          i++;
          continue;
        }
        if (raw[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (raw[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        parseValue(`${path}{}`);
        ws();
        if (raw[i] === ',') {
          i++;
          continue;
        }
        if (raw[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') {
      const value = parseString();
      add(path, value, i);
      return;
    }
    const m = /^(?:null|true|false|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(raw.slice(i, i + 64));
    if (!m) fail();
    i += m?.[0].length ?? 0;
    add(path, m?.[0] ?? '', i);
  };
  try {
    parseValue('');
  } catch {
    return new Map();
  }
  return fields;
}

function toValue(values: string[]): SplValue {
  return values.length === 1 ? (values[0] ?? null) : values;
}

/** The fields one event of `sourcetype` gets at search time: _raw, sourcetype, automatic extraction, aliases, EVALs. */
export function applySearchTime(props: Conf, sourcetype: string, raw: string): Map<string, SplValue> {
  const stanza = props.get(sourcetype);
  if (!stanza) throw new Error(`props.conf has no [${sourcetype}]`);
  for (const key of stanza.keys()) {
    if (/^(EXTRACT|REPORT|LOOKUP|TRANSFORMS)-/.test(key))
      throw new Error(`test/app/lib/search-time.ts does not model ${key}; teach it`);
  }
  const fields = new Map<string, SplValue>([
    ['_raw', raw],
    ['sourcetype', sourcetype],
  ]);
  const kvMode = stanza.get('KV_MODE')?.value;
  if (kvMode === 'json') for (const [name, values] of extractJsonFields(raw)) fields.set(name, toValue(values));
  else if (kvMode !== undefined && kvMode !== 'none') throw new Error(`KV_MODE = ${kvMode} is not modelled`);

  for (const [key, { value }] of stanza) {
    if (!key.startsWith('FIELDALIAS-')) continue;
    for (const m of value.matchAll(/("[^"]+"|\S+)\s+AS\s+("[^"]+"|\S+)/gi)) {
      const from = (m[1] ?? '').replace(/"/g, '');
      const to = (m[2] ?? '').replace(/"/g, '');
      const v = fields.get(from);
      if (v !== undefined && v !== null) fields.set(to, v);
    }
  }

  const snapshot: ReadonlyMap<string, SplValue> = new Map(fields);
  const results: [string, SplValue][] = [];
  for (const [key, { value }] of stanza) {
    if (!key.startsWith('EVAL-')) continue;
    results.push([key.slice(5), evaluate(parseEval(value), snapshot)]);
  }
  for (const [field, value] of results) {
    if (value === null) fields.delete(field);
    else fields.set(field, typeof value === 'number' ? String(value) : value);
  }
  return fields;
}

/** A field's values as a list of strings ([] when unset), for assertions. */
export function valuesOf(fields: ReadonlyMap<string, SplValue>, name: string): string[] {
  const v = fields.get(name);
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  return [String(v)];
}
