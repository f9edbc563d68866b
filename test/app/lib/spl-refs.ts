/**
 * A small reader of the SPL our dashboards and saved searches use: which macros, sourcetypes, eventtypes and indexes a
 * query names, and which fields it reads before any command of the query creates them. It knows only the commands we
 * use and throws on any other, so a new command in a dashboard makes the test ask for it here instead of passing blind.
 */
import { fieldsReadByEval } from './knowledge.js';

/** What one SPL query refers to. */
export interface SplRefs {
  macros: string[];
  sourcetypes: string[];
  eventtypes: string[];
  indexes: string[];
  /** Fields read before the query itself defines them (by AS, eval, BY output...). */
  fields: string[];
}

const SEARCH_META = new Set(['index', 'sourcetype', 'eventtype', 'source', 'host', '_index_earliest', '_index_latest']);
const STATS_COMMANDS = new Set(['stats', 'timechart', 'chart', 'streamstats', 'eventstats']);

/** Splits on a separator outside "quotes", `backticks` and (parentheses). */
function splitTop(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote) {
      if (c === '\\') current += c + (text[++i] ?? '');
      else {
        if (c === quote) quote = undefined;
        current += c;
      }
      continue;
    }
    if (c === '"' || c === '`') quote = c;
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

/** Takes the `[subsearch]`es out of a query: the query with each replaced by a space, and the subsearches. */
function extractSubsearches(query: string): { outer: string; subsearches: string[] } {
  const subsearches: string[] = [];
  let outer = '';
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < query.length; i++) {
    const c = query[i] ?? '';
    if (quote) {
      if (c === quote) quote = undefined;
      if (depth > 0) current += c;
      else outer += c;
      continue;
    }
    if (c === '"' || c === '`') quote = c;
    if (c === '[') {
      if (depth++ > 0) current += c;
      continue;
    }
    if (c === ']' && depth > 0) {
      if (--depth === 0) {
        subsearches.push(current.trim());
        current = '';
        outer += ' ';
      } else current += c;
      continue;
    }
    if (depth > 0) current += c;
    else outer += c;
  }
  return { outer, subsearches };
}

/** Reads one query (its subsearches included). */
export function analyseSpl(query: string): SplRefs {
  const refs: SplRefs = { macros: [], sourcetypes: [], eventtypes: [], indexes: [], fields: [] };
  const { outer, subsearches } = extractSubsearches(query);
  for (const sub of subsearches) {
    const inner = analyseSpl(sub.replace(/^search\s+/, ''));
    refs.macros.push(...inner.macros);
    refs.sourcetypes.push(...inner.sourcetypes);
    refs.eventtypes.push(...inner.eventtypes);
    refs.indexes.push(...inner.indexes);
    refs.fields.push(...inner.fields);
  }
  query = outer;
  const defined = new Set<string>();
  const read = (field: string) => {
    const name = field.replace(/^"|"$/g, '');
    if (name && !defined.has(name) && !refs.fields.includes(name)) refs.fields.push(name);
  };
  const commands = splitTop(query.replace(/\s+/g, ' ').trim(), '|').map((c) => c.trim());
  commands.forEach((command, index) => {
    const [word = '', ...restWords] = command.split(' ');
    const isSearch = index === 0 || word === 'search';
    const rest = isSearch && index === 0 ? command : restWords.join(' ');
    if (isSearch) {
      for (const m of rest.matchAll(/`([^`(]+)(?:\([^`]*\))?`/g)) refs.macros.push(m[1] ?? '');
      const terms = rest.replace(/`[^`]*`/g, ' ');
      for (const m of terms.matchAll(
        /(?<![\w.{}])([A-Za-z_][\w.{}]*)\s*(!=|=|<=|>=|<|>)\s*("(?:[^"\\]|\\.)*"|[^\s()]+)/g,
      )) {
        const [field = '', value = ''] = [m[1], (m[3] ?? '').replace(/^"|"$/g, '')];
        if (field === 'sourcetype') refs.sourcetypes.push(value);
        else if (field === 'eventtype') refs.eventtypes.push(value);
        else if (field === 'index') refs.indexes.push(value);
        else if (!SEARCH_META.has(field)) read(field);
      }
      return;
    }
    if (STATS_COMMANDS.has(word)) {
      const [aggregations = '', by = ''] = rest.split(/\bBY\b/i);
      for (const m of aggregations.matchAll(/(\w+)\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)(?:\s+AS\s+(\w+))?/gi)) {
        const argument = (m[2] ?? '').trim();
        if (/^[\w.{}]+$/.test(argument)) read(argument);
        else fieldsReadByEval(argument).forEach(read);
      }
      const outputs = [...aggregations.matchAll(/\bAS\s+(\w+)/gi)].map((m) => m[1] ?? '');
      const byFields = by.split(/[\s,]+/).filter((f) => f && !f.includes('='));
      byFields.forEach(read);
      if (word === 'streamstats' || word === 'eventstats') outputs.forEach((o) => defined.add(o));
      else {
        defined.clear();
        [...outputs, ...byFields, ...(word === 'timechart' ? ['_time'] : [])].forEach((o) => defined.add(o));
        // timechart ... BY f turns the values of f into columns; count stays available too.
        if (outputs.length === 0) defined.add('count');
      }
      return;
    }
    switch (word) {
      case 'table':
      case 'fields':
      case 'dedup':
        rest
          .split(/[\s,]+/)
          .filter((t) => t && !t.includes('=') && !/^\d+$/.test(t) && t !== '-' && t !== '+')
          .forEach((t) => read(t.replace(/^[+-]/, '')));
        return;
      case 'sort':
        rest
          .split(/[\s,]+/)
          .filter((t) => t && !/^\d+$/.test(t) && t !== '-' && t !== '+')
          .forEach((t) => read(t.replace(/^[+-]/, '')));
        return;
      case 'where':
        fieldsReadByEval(rest).forEach(read);
        return;
      case 'eval':
        for (const assignment of splitTop(rest, ',')) {
          const eq = assignment.indexOf('=');
          fieldsReadByEval(assignment.slice(eq + 1)).forEach(read);
          defined.add(assignment.slice(0, eq).trim());
        }
        return;
      case 'convert':
        for (const m of rest.matchAll(/\w+\((\w+)\)(?:\s+AS\s+(\w+))?/gi)) {
          read(m[1] ?? '');
          if (m[2]) defined.add(m[2]);
        }
        return;
      case 'rename':
        for (const m of rest.matchAll(/(\S+)\s+AS\s+(\S+)/gi)) {
          read(m[1] ?? '');
          defined.add((m[2] ?? '').replace(/"/g, ''));
        }
        return;
      case 'head':
      case 'tail':
        return;
      default:
        throw new Error(`test/app/lib/spl-refs.ts does not know the command "${word}" (in: ${query}); teach it`);
    }
  });
  return refs;
}
