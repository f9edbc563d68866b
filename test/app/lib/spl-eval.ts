/**
 * An evaluator for exactly the part of Splunk's eval language that this app's props.conf uses, so that the CIM mapping
 * can be run offline on sample alerts. It is NOT Splunk: it knows the functions listed in FUNCTIONS and nothing else,
 * and it throws on anything it does not know (a new function in props.conf makes the tests ask for it here instead of
 * passing blind). Where Splunk's documentation leaves a behaviour open, the choice made here is the one that makes a
 * mapping fail rather than pass, and README ("What is checked offline and what only a real Splunk can confirm") lists
 * every such assumption:
 *   - a string literal turns `\\` into `\` and `\"` into `"`, and keeps any other backslash (so regexes need `\\\\`
 *     for one literal backslash, as Splunk's docs show);
 *   - replace() and match() take PCRE; the patterns used here are also valid JavaScript regexes with the same meaning,
 *     and constructs that differ between the two (possessive quantifiers, `(?|`, recursion, `\A`/`\Z`) are refused;
 *     in replace(), `\N` is group N, and a group that did not take part gives "";
 *   - spath(X, path) returns a JSON null as the text "null" (as automatic extraction does), an object or array as its
 *     compact JSON text, several matches as a multivalue, and null when nothing matches or X is not JSON;
 *   - functions that take one value (lower, replace, trim, match, nullif, spath) refuse a multivalue of two or more
 *     values instead of guessing which value Splunk would use;
 *   - strptime() knows only the variables %Y %m %d %H %M %S and %z (+hhmm), and gives null unless the whole text
 *     matches the format; substr() counts from 1 (a negative start counts from the end), as the eval docs say;
 *   - now() is the search's time, given by the caller (spl-run.ts: the run's "now");
 *   - split(X, "Y") gives every piece, empty ones included, as a multivalue (one piece: a single value);
 *   - tonumber(X) gives the number a decimal text spells, and null for any other text (a base is not modelled).
 */

/** A field or expression value: null (absent), one value, or a multivalue (always two or more strings). */
export type SplValue = null | string | number | boolean | string[];

/** Field name → value, as a search sees them. */
export type Fields = ReadonlyMap<string, SplValue>;

type Node =
  | { kind: 'literal'; value: SplValue }
  | { kind: 'field'; name: string }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'not'; operand: Node };

interface Token {
  type: 'string' | 'number' | 'ident' | 'field' | 'op' | '(' | ')' | ',' | 'end';
  text: string;
}

/** Splunk eval string literal → its value (see the header for the escapes). */
export function unescapeSplString(body: string): string {
  return body.replace(/\\([\\"])/g, '$1');
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < expression.length && expression[j] !== '"') j += expression[j] === '\\' ? 2 : 1;
      if (j >= expression.length) throw new Error(`unterminated string at ${i} in: ${expression}`);
      tokens.push({ type: 'string', text: unescapeSplString(expression.slice(i + 1, j)) });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const j = expression.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated field name at ${i} in: ${expression}`);
      tokens.push({ type: 'field', text: expression.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const number = /^\d+(?:\.\d+)?/.exec(expression.slice(i));
    if (number) {
      tokens.push({ type: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expression.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|=|<|>|\.|\+|-|\*|\/)/.exec(expression.slice(i));
    if (op) {
      tokens.push({ type: 'op', text: op[0] });
      i += op[0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, text: c });
      i++;
      continue;
    }
    throw new Error(`unexpected character "${c}" at ${i} in: ${expression}`);
  }
  tokens.push({ type: 'end', text: '' });
  return tokens;
}

/** Parses an eval expression into a tree (throws on syntax this evaluator does not know). */
export function parseEval(expression: string): Node {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = (): Token => tokens[at] ?? { type: 'end', text: '' };
  const next = (): Token => tokens[at++] ?? { type: 'end', text: '' };
  const isWord = (word: string): boolean => peek().type === 'ident' && peek().text === word;
  const expect = (type: Token['type']): Token => {
    const t = next();
    if (t.type !== type) throw new Error(`expected ${type}, got "${t.text}" in: ${expression}`);
    return t;
  };

  const parseOr = (): Node => {
    let left = parseAnd();
    while (isWord('OR')) {
      next();
      left = { kind: 'binary', op: 'OR', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseNot();
    while (isWord('AND')) {
      next();
      left = { kind: 'binary', op: 'AND', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Node => {
    if (isWord('NOT')) {
      next();
      return { kind: 'not', operand: parseNot() };
    }
    return parseComparison();
  };
  const parseComparison = (): Node => {
    const left = parseConcat();
    const t = peek();
    if (t.type === 'op' && ['==', '=', '!=', '<', '>', '<=', '>='].includes(t.text)) {
      next();
      return { kind: 'binary', op: t.text === '=' ? '==' : t.text, left, right: parseConcat() };
    }
    return left;
  };
  const parseConcat = (): Node => {
    let left = parseAdditive();
    while (peek().type === 'op' && peek().text === '.') {
      next();
      left = { kind: 'binary', op: '.', left, right: parseAdditive() };
    }
    return left;
  };
  const parseAdditive = (): Node => {
    let left = parseMultiplicative();
    while (peek().type === 'op' && (peek().text === '+' || peek().text === '-')) {
      const op = next().text;
      left = { kind: 'binary', op, left, right: parseMultiplicative() };
    }
    return left;
  };
  const parseMultiplicative = (): Node => {
    let left = parsePrimary();
    while (peek().type === 'op' && (peek().text === '*' || peek().text === '/')) {
      const op = next().text;
      left = { kind: 'binary', op, left, right: parsePrimary() };
    }
    return left;
  };
  const parsePrimary = (): Node => {
    const t = next();
    switch (t.type) {
      case 'string':
        return { kind: 'literal', value: t.text };
      case 'number':
        return { kind: 'literal', value: Number(t.text) };
      case 'field':
        return { kind: 'field', name: t.text };
      case '(': {
        const inner = parseOr();
        expect(')');
        return inner;
      }
      case 'ident': {
        if (peek().type !== '(') return { kind: 'field', name: t.text };
        next();
        const args: Node[] = [];
        if (peek().type !== ')') {
          args.push(parseOr());
          while (peek().type === ',') {
            next();
            args.push(parseOr());
          }
        }
        expect(')');
        return { kind: 'call', name: t.text, args };
      }
      default:
        throw new Error(`unexpected "${t.text}" in: ${expression}`);
    }
  };

  const tree = parseOr();
  if (peek().type !== 'end') throw new Error(`trailing "${peek().text}" in: ${expression}`);
  return tree;
}

/** One value out of a value that must not be a multivalue (see the header). */
function single(value: SplValue, fn: string): null | string | number | boolean {
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0] ?? null;
    throw new Error(`${fn}() got a multivalue of ${value.length} values; Splunk's choice of value is not modelled`);
  }
  return value;
}

function text(value: null | string | number | boolean): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') throw new Error('a boolean used as text');
  return String(value);
}

function truthy(value: SplValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  throw new Error(`a condition must be boolean, got ${JSON.stringify(value)}`);
}

/** Makes a multivalue canonical: [] → null, one value → that value. */
function mv(values: string[]): SplValue {
  if (values.length === 0) return null;
  if (values.length === 1) return values[0] ?? null;
  return values;
}

/** PCRE (as Splunk's eval takes it) → a JavaScript RegExp, refusing the constructs whose meaning differs. */
export function pcreToRegExp(pattern: string, flags = ''): RegExp {
  if (/\(\?\||\(\?R\)|\(\?\d\)|[*+?}]\+|\\[AZz]|\(\?[a-z]+\)/.test(pattern)) {
    throw new Error(`regex uses a PCRE construct this evaluator does not model: ${pattern}`);
  }
  return new RegExp(pattern, flags);
}

/** Splunk replace(): every match, `\N` = group N ("" when the group did not take part). */
function replaceAll(input: string, pattern: string, replacement: string): string {
  const re = pcreToRegExp(pattern, 'g');
  return input.replace(re, (...match: unknown[]) => {
    const groups = match.slice(0, -2) as (string | undefined)[];
    return replacement.replace(/\\(\d)/g, (_m, n: string) => groups[Number(n)] ?? '');
  });
}

/** The path steps of a spath path: names, `{}` (every element) and `{N}` (element N, counted from 0). */
function spathSteps(path: string): (string | { index: number | 'all' })[] {
  const steps: (string | { index: number | 'all' })[] = [];
  for (const m of path.matchAll(/([^.{}]+)|\{(\d*)\}/g)) {
    if (m[1] !== undefined) steps.push(m[1]);
    else steps.push({ index: m[2] === '' ? 'all' : Number(m[2]) });
  }
  return steps;
}

function jsonText(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Splunk's spath(X, path) on JSON text (see the header for the choices made). */
export function spath(input: string, path: string): SplValue {
  let root: unknown;
  try {
    root = JSON.parse(input);
  } catch {
    return null;
  }
  let current: unknown[] = [root];
  for (const step of spathSteps(path)) {
    const out: unknown[] = [];
    for (const node of current) {
      if (typeof step === 'string') {
        if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, step)) {
          out.push((node as Record<string, unknown>)[step]);
        }
      } else if (Array.isArray(node)) {
        if (step.index === 'all') out.push(...node);
        else if (step.index < node.length) out.push(node[step.index]);
      }
    }
    current = out;
  }
  return mv(current.map(jsonText));
}

/** What an evaluation knows besides the event's fields. */
export interface EvalOptions {
  /** now(): the search's time, epoch seconds. */
  now?: number;
}

type Fn = (args: Node[], evaluate: (node: Node) => SplValue, options: EvalOptions) => SplValue;

/** Splunk strptime() for the variables this app uses; epoch seconds, or null when the text does not match. */
function strptime(input: string, format: string): number | null {
  const parts: Record<string, number> = { Y: 1970, m: 1, d: 1, H: 0, M: 0, S: 0, z: 0 };
  let at = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      if (input[at] !== c) return null;
      at++;
      continue;
    }
    const variable = format[++i] ?? '';
    if (variable === 'z') {
      const m = /^([+-])(\d{2})(\d{2})/.exec(input.slice(at));
      if (!m) return null;
      parts.z = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
      at += 5;
      continue;
    }
    const width = variable === 'Y' ? 4 : 2;
    if (!'YmdHMS'.includes(variable)) throw new Error(`strptime variable %${variable} is not modelled`);
    const digits = input.slice(at, at + width);
    if (!/^\d+$/.test(digits) || digits.length !== width) return null;
    parts[variable] = Number(digits);
    at += width;
  }
  if (at !== input.length) return null;
  const ms = Date.UTC(parts.Y!, parts.m! - 1, parts.d, parts.H, parts.M, parts.S);
  return ms / 1000 - parts.z! * 60;
}

const FUNCTIONS: Record<string, Fn> = {
  coalesce: (args, ev) => {
    for (const a of args) {
      const v = ev(a);
      if (v !== null) return v;
    }
    return null;
  },
  nullif: (args, ev) => {
    const [a, b] = args.map((x) => single(ev(x), 'nullif'));
    if (a === null || a === undefined) return null;
    return b !== null && b !== undefined && String(a) === String(b) ? null : a;
  },
  if: (args, ev) => {
    const [c, a, b] = args;
    if (!c || !a || !b) throw new Error('if() takes 3 arguments');
    return truthy(ev(c)) ? ev(a) : ev(b);
  },
  case: (args, ev) => {
    if (args.length % 2 !== 0) throw new Error('case() takes condition/value pairs');
    for (let i = 0; i < args.length; i += 2) if (truthy(ev(args[i] as Node))) return ev(args[i + 1] as Node);
    return null;
  },
  in: (args, ev) => {
    const [first, ...list] = args;
    if (!first) throw new Error('in() takes a value and a list');
    const v = text(single(ev(first), 'in'));
    if (v === null) return false;
    return list.some((x) => text(single(ev(x), 'in')) === v);
  },
  lower: (args, ev) => {
    const v = text(single(ev(args[0] as Node), 'lower'));
    return v === null ? null : v.toLowerCase();
  },
  spath: (args, ev) => {
    const input = text(single(ev(args[0] as Node), 'spath'));
    const path = text(single(ev(args[1] as Node), 'spath'));
    if (input === null || path === null) return null;
    return spath(input, path);
  },
  replace: (args, ev) => {
    const [input, pattern, replacement] = args.map((x) => text(single(ev(x), 'replace')));
    if (input === null || input === undefined || pattern == null || replacement == null) return null;
    return replaceAll(input, pattern, replacement);
  },
  match: (args, ev) => {
    const [input, pattern] = args.map((x) => text(single(ev(x), 'match')));
    if (input === null || input === undefined || pattern == null) return null;
    return pcreToRegExp(pattern).test(input);
  },
  trim: (args, ev) => {
    const input = text(single(ev(args[0] as Node), 'trim'));
    if (input === null) return null;
    const chars = args[1] ? (text(single(ev(args[1]), 'trim')) ?? '') : ' \t\r\n';
    let start = 0;
    let end = input.length;
    while (start < end && chars.includes(input[start] ?? '')) start++;
    while (end > start && chars.includes(input[end - 1] ?? '')) end--;
    return input.slice(start, end);
  },
  mvdedup: (args, ev) => {
    const v = ev(args[0] as Node);
    if (!Array.isArray(v)) return v;
    return mv([...new Set(v)]);
  },
  round: (args, ev) => {
    const v = single(ev(args[0] as Node), 'round');
    if (v === null) return null;
    const digits = args[1] ? Number(single(ev(args[1]), 'round')) : 0;
    return Math.round(Number(v) * 10 ** digits) / 10 ** digits;
  },
  strptime: (args, ev) => {
    const [input, format] = args.map((x) => text(single(ev(x), 'strptime')));
    if (input === null || input === undefined || format == null) return null;
    return strptime(input, format);
  },
  substr: (args, ev) => {
    const input = text(single(ev(args[0] as Node), 'substr'));
    if (input === null) return null;
    const start = Number(single(ev(args[1] as Node), 'substr'));
    const from = start < 0 ? Math.max(0, input.length + start) : Math.max(0, start - 1);
    const length = args[2] ? Number(single(ev(args[2]), 'substr')) : input.length;
    return input.slice(from, from + length);
  },
  now: (_args, _ev, options) => {
    if (options.now === undefined) throw new Error('now() needs the search time (EvalOptions.now)');
    return options.now;
  },
  split: (args, ev) => {
    const [input, delimiter] = args.map((x) => text(single(ev(x), 'split')));
    if (input === null || input === undefined || delimiter == null) return null;
    if (delimiter === '') throw new Error('split() with an empty delimiter is not modelled');
    return mv(input.split(delimiter));
  },
  tonumber: (args, ev) => {
    if (args.length !== 1) throw new Error('tonumber() with a base is not modelled');
    const input = text(single(ev(args[0] as Node), 'tonumber'));
    if (input === null || !/^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(input)) return null;
    return Number(input);
  },
  isnull: (args, ev) => ev(args[0] as Node) === null,
  isnotnull: (args, ev) => ev(args[0] as Node) !== null,
  true: () => true,
  null: () => null,
};

/** The functions this evaluator knows (the tests check props.conf calls no other). */
export const KNOWN_FUNCTIONS: ReadonlySet<string> = new Set(Object.keys(FUNCTIONS));

/** Names of the functions an expression calls. */
export function functionsCalled(expression: string): string[] {
  const names = new Set<string>();
  const walk = (node: Node): void => {
    if (node.kind === 'call') {
      names.add(node.name);
      node.args.forEach(walk);
    } else if (node.kind === 'binary') {
      walk(node.left);
      walk(node.right);
    } else if (node.kind === 'not') walk(node.operand);
  };
  walk(parseEval(expression));
  return [...names];
}

/** Names of the fields an expression reads. */
export function fieldsReferenced(expression: string): string[] {
  const names = new Set<string>();
  const walk = (node: Node): void => {
    if (node.kind === 'field') names.add(node.name);
    else if (node.kind === 'call') node.args.forEach(walk);
    else if (node.kind === 'binary') {
      walk(node.left);
      walk(node.right);
    } else if (node.kind === 'not') walk(node.operand);
  };
  walk(parseEval(expression));
  return [...names];
}

function compare(op: string, left: SplValue, right: SplValue): SplValue {
  const a = single(left, op);
  const b = single(right, op);
  if (a === null || b === null) return false;
  const bothNumbers = typeof a === 'number' && typeof b === 'number';
  const x = bothNumbers ? a : String(a);
  const y = bothNumbers ? b : String(b);
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

/** Evaluates an expression against the fields of one event. */
export function evaluate(expression: string | Node, fields: Fields, options: EvalOptions = {}): SplValue {
  const tree = typeof expression === 'string' ? parseEval(expression) : expression;
  const ev = (node: Node): SplValue => {
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'field':
        return fields.get(node.name) ?? null;
      case 'not':
        return !truthy(ev(node.operand));
      case 'call': {
        const fn = FUNCTIONS[node.name];
        if (!fn) throw new Error(`test/app/lib/spl-eval.ts does not know the eval function ${node.name}(); teach it`);
        return fn(node.args, ev, options);
      }
      case 'binary': {
        if (node.op === 'AND') return truthy(ev(node.left)) && truthy(ev(node.right));
        if (node.op === 'OR') return truthy(ev(node.left)) || truthy(ev(node.right));
        if (node.op === '.') {
          const a = text(single(ev(node.left), 'concatenation'));
          const b = text(single(ev(node.right), 'concatenation'));
          return a === null || b === null ? null : a + b;
        }
        if (node.op === '+' || node.op === '-' || node.op === '*' || node.op === '/') {
          const a = single(ev(node.left), node.op);
          const b = single(ev(node.right), node.op);
          if (a === null || b === null) return null;
          const [x, y] = [Number(a), Number(b)];
          if (node.op === '/') return y === 0 ? null : x / y;
          return node.op === '+' ? x + y : node.op === '-' ? x - y : x * y;
        }
        return compare(node.op, ev(node.left), ev(node.right));
      }
    }
  };
  return ev(tree);
}
