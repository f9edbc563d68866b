/**
 * The OData `$filter` subset that Graph alerts_v2, the MDE alerts API and the indicators API accept: comparisons
 * (`eq ne gt ge lt le`), `and`, `or`, `not`, parentheses; unquoted datetime literals, single-quoted strings ('' escapes
 * a
 * quote), numbers, `true`, `false`, `null`. Lambdas (`evidence/any(...)`) are not supported (the real Graph service
 * has them; the add-on does not use them).
 *
 * Times are compared as ApiTime (100-ns ticks, bigint) so `…59.2Z` and `…59.2000000Z` are equal and 7-digit
 * fractions compare exactly, as the .NET services do. Properties the API does not allow in filters are rejected,
 * like the real services' 400.
 */
import { parseApiTime, type ApiTime } from '../../src/defender/api-time.js';

/** How a filterable property is typed. */
export type PropertyKind = 'time' | 'string' | 'number' | 'boolean';

/** A value a filter compares against: a time (bigint ticks), a string, a number, a boolean or null. */
export type FieldValue = ApiTime | string | number | boolean | null;

/** Filterable properties of one API: the name as written in `$filter` → kind and the record field it reads. */
export interface FilterSchema {
  properties: Record<string, { kind: PropertyKind; field?: string }>;
  /** MDE resolves property names and compares enum strings case-insensitively (assumed); Graph does not. */
  caseInsensitive?: boolean;
}

export type Comparison = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

/** Parsed filter expression. */
export type FilterNode =
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'not'; operand: FilterNode }
  | { type: 'cmp'; op: Comparison; field: string; kind: PropertyKind; value: FieldValue };

/** A `$filter` the service refuses; the message reads like the service's own. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}

type Token =
  | { t: 'lparen' | 'rparen' }
  | { t: 'word'; text: string }
  | { t: 'string'; text: string }
  | { t: 'time'; text: string }
  | { t: 'number'; text: string };

const TIME_LITERAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/i;
const NUMBER_LITERAL = /^-?\d+(?:\.\d+)?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_./]*/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(') {
      tokens.push({ t: 'lparen' });
      i++;
      continue;
    }
    if (ch === ')') {
      tokens.push({ t: 'rparen' });
      i++;
      continue;
    }
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterError(`Unterminated string literal in $filter at position ${i}.`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ t: 'string', text: value });
      continue;
    }
    const rest = text.slice(i);
    const time = TIME_LITERAL.exec(rest);
    if (time) {
      tokens.push({ t: 'time', text: time[0] });
      i += time[0].length;
      continue;
    }
    const num = NUMBER_LITERAL.exec(rest);
    if (num) {
      tokens.push({ t: 'number', text: num[0] });
      i += num[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ t: 'word', text: word[0] });
      i += word[0].length;
      continue;
    }
    throw new FilterError(`Syntax error: character '${ch}' is not valid at position ${i} in '${text}'.`);
  }
  return tokens;
}

const COMPARISONS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Parses a `$filter` against an API's schema; throws FilterError for syntax errors and non-filterable properties. */
export function parseFilter(text: string, schema: FilterSchema): FilterNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peekWord = (): string | undefined => {
    const tok = tokens[pos];
    return tok?.t === 'word' ? tok.text.toLowerCase() : undefined;
  };

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (peekWord() === 'or') {
      pos++;
      left = { type: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseUnary();
    while (peekWord() === 'and') {
      pos++;
      left = { type: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): FilterNode => {
    if (peekWord() === 'not') {
      pos++;
      return { type: 'not', operand: parseUnary() };
    }
    const tok = tokens[pos];
    if (tok?.t === 'lparen') {
      pos++;
      const inner = parseOr();
      if (tokens[pos]?.t !== 'rparen') throw new FilterError(`Syntax error: ')' expected in '${text}'.`);
      pos++;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): FilterNode => {
    const prop = tokens[pos];
    if (prop?.t !== 'word')
      throw new FilterError(`Syntax error: a property name was expected at token ${pos + 1} in '${text}'.`);
    pos++;
    if (tokens[pos]?.t === 'lparen' || prop.text.includes('/')) {
      throw new FilterError(`Query option '$filter' uses '${prop.text}', which this emulator does not support.`);
    }
    const resolved = resolveProperty(prop.text, schema);
    const opTok = tokens[pos];
    const op = opTok?.t === 'word' ? opTok.text.toLowerCase() : undefined;
    if (op === undefined || !COMPARISONS.has(op)) {
      throw new FilterError(
        `Syntax error: a comparison operator (eq, ne, gt, ge, lt, le) was expected after '${prop.text}'.`,
      );
    }
    pos++;
    const literal = tokens[pos];
    if (literal === undefined) throw new FilterError(`Syntax error: a value was expected after '${prop.text} ${op}'.`);
    pos++;
    return {
      type: 'cmp',
      op: op as Comparison,
      field: resolved.field,
      kind: resolved.kind,
      value: literalValue(literal, resolved.kind, prop.text),
    };
  };

  if (tokens.length === 0) throw new FilterError('The $filter expression is empty.');
  const node = parseOr();
  if (pos !== tokens.length) throw new FilterError(`Syntax error at token ${pos + 1} in '${text}'.`);
  return node;
}

function resolveProperty(name: string, schema: FilterSchema): { field: string; kind: PropertyKind } {
  const entries = Object.entries(schema.properties);
  const match = schema.caseInsensitive
    ? entries.find(([key]) => key.toLowerCase() === name.toLowerCase())
    : entries.find(([key]) => key === name);
  if (!match) {
    throw new FilterError(
      `Invalid filter clause: the property '${name}' is not filterable. Filterable: ${entries.map(([k]) => k).join(', ')}.`,
    );
  }
  const [key, def] = match;
  return { field: def.field ?? key, kind: def.kind };
}

function literalValue(tok: Token, kind: PropertyKind, prop: string): FieldValue {
  if (tok.t === 'word') {
    const w = tok.text.toLowerCase();
    if (w === 'null') return null;
    if (kind === 'boolean' && (w === 'true' || w === 'false')) return w === 'true';
    throw new FilterError(`Syntax error: '${tok.text}' is not a valid value for '${prop}'.`);
  }
  switch (kind) {
    case 'time': {
      // A quoted time is a string, and OData cannot compare a DateTimeOffset with a string.
      if (tok.t !== 'time')
        throw new FilterError(
          `A binary operator with incompatible types was detected: '${prop}' is a DateTimeOffset; write the time unquoted, e.g. ${prop} ge 2024-05-01T00:00:00Z.`,
        );
      const withSeconds = /T\d{2}:\d{2}(?:Z|[+-])/i.test(tok.text)
        ? tok.text.replace(/(T\d{2}:\d{2})/i, '$1:00')
        : tok.text;
      const t = parseApiTime(withSeconds);
      if (t === undefined) throw new FilterError(`The DateTimeOffset literal '${tok.text}' is not valid.`);
      return t;
    }
    case 'string':
      if (tok.t !== 'string')
        throw new FilterError(
          `A binary operator with incompatible types was detected: '${prop}' is a string; quote the value, e.g. ${prop} eq 'x'.`,
        );
      return tok.text;
    case 'number':
      if (tok.t !== 'number') throw new FilterError(`'${prop}' is a number; write it without quotes.`);
      return Number(tok.text);
    case 'boolean':
      throw new FilterError(`'${prop}' takes true or false.`);
  }
}

/** Reads one field of a stored record for filtering. */
export type FieldReader = (field: string) => FieldValue | undefined;

/** Evaluates a parsed filter against one record. */
export function matchesFilter(node: FilterNode, read: FieldReader, caseInsensitive = false): boolean {
  switch (node.type) {
    case 'and':
      return matchesFilter(node.left, read, caseInsensitive) && matchesFilter(node.right, read, caseInsensitive);
    case 'or':
      return matchesFilter(node.left, read, caseInsensitive) || matchesFilter(node.right, read, caseInsensitive);
    case 'not':
      return !matchesFilter(node.operand, read, caseInsensitive);
    case 'cmp':
      return compare(node, read(node.field) ?? null, caseInsensitive);
  }
}

function compare(node: Extract<FilterNode, { type: 'cmp' }>, actual: FieldValue, caseInsensitive: boolean): boolean {
  let a = actual;
  let b = node.value;
  if (a === null || b === null) {
    // OData: null eq null is true; ordering comparisons with null are false.
    if (node.op === 'eq') return a === b;
    if (node.op === 'ne') return a !== b;
    return false;
  }
  if (caseInsensitive && typeof a === 'string' && typeof b === 'string') {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  if (typeof a !== typeof b) return node.op === 'ne';
  switch (node.op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

/** Inclusive/exclusive bounds on one time field implied by the top-level `and` chain (for an index range scan). */
export interface TimeBounds {
  lower?: { t: ApiTime; inclusive: boolean };
  upper?: { t: ApiTime; inclusive: boolean };
  /** True if the whole filter is exactly these bounds (no other clause to evaluate per record). */
  exact: boolean;
}

/** Extracts the range a filter puts on `field` so the store can binary-search its time index. */
export function extractTimeBounds(node: FilterNode | undefined, field: string): TimeBounds {
  const bounds: TimeBounds = { exact: true };
  if (!node) return bounds;
  const conjuncts: FilterNode[] = [];
  const collect = (n: FilterNode): void => {
    if (n.type === 'and') {
      collect(n.left);
      collect(n.right);
    } else conjuncts.push(n);
  };
  collect(node);
  for (const c of conjuncts) {
    if (c.type !== 'cmp' || c.field !== field || typeof c.value !== 'bigint' || c.op === 'ne') {
      bounds.exact = false;
      continue;
    }
    const t = c.value;
    if (c.op === 'gt' || c.op === 'ge' || c.op === 'eq') {
      const inclusive = c.op !== 'gt';
      if (!bounds.lower || t > bounds.lower.t || (t === bounds.lower.t && !inclusive)) bounds.lower = { t, inclusive };
    }
    if (c.op === 'lt' || c.op === 'le' || c.op === 'eq') {
      const inclusive = c.op !== 'lt';
      if (!bounds.upper || t < bounds.upper.t || (t === bounds.upper.t && !inclusive)) bounds.upper = { t, inclusive };
    }
  }
  return bounds;
}
