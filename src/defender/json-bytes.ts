/**
 * Where things end in JSON bytes: a string, a value, whitespace, an array's elements, an object's members, by index,
 * so that a caller can hand on exact slices of what a service sent without decoding them. For bodies held whole (one
 * incident, one Event Hubs message); json-array-stream.ts scans bodies as they arrive. Pure. Each function throws
 * SyntaxError where the bytes cannot be JSON of the shape asked for.
 */

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

/** JSON's four whitespace bytes (RFC 8259 §2). */
export function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index of the first byte at or after `i` that is not whitespace. */
export function skipSpace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length && isJsonSpace(bytes[i])) i++;
  return i;
}

/**
 * The index just after the closing quote of the string whose opening quote is at `start`. Jumps from quote to quote
 * with indexOf (native memchr); a quote is the closing one when an even number of backslashes precede it.
 */
export function skipString(bytes: Buffer, start: number): number {
  for (let from = start + 1; ;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) throw new SyntaxError('unterminated string');
    let backslashes = 0;
    for (let k = quote - 1; k > start && bytes[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index just after the value (object, array, string, number, true, false or null) that starts at `start`. */
export function skipValue(bytes: Buffer, start: number): number {
  const c = bytes[start];
  if (c === QUOTE) return skipString(bytes, start);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    let i = start;
    while (i < bytes.length && !isScalarEnd(bytes[i]!)) i++;
    if (i === start) throw new SyntaxError(`expected a value at byte ${start}`);
    return i;
  }
  let depth = 0;
  for (let i = start; i < bytes.length; i++) {
    const d = bytes[i];
    if (d === QUOTE) i = skipString(bytes, i) - 1;
    else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new SyntaxError('unterminated object or array');
}

function isScalarEnd(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isJsonSpace(c);
}

/** Each element of the array whose `[` is at `open`, as a view of `bytes` (no copy). */
export function arrayElements(bytes: Buffer, open: number): Buffer[] {
  if (bytes[open] !== OPEN_BRACKET) throw new SyntaxError('expected an array');
  const out: Buffer[] = [];
  let i = skipSpace(bytes, open + 1);
  if (bytes[i] === CLOSE_BRACKET) return out;
  for (;;) {
    const end = skipValue(bytes, i);
    out.push(bytes.subarray(i, end));
    i = skipSpace(bytes, end);
    if (bytes[i] === COMMA) i = skipSpace(bytes, i + 1);
    else if (bytes[i] === CLOSE_BRACKET) return out;
    else throw new SyntaxError('expected , or ] in an array');
  }
}

/** One member of an object: its decoded name and where its parts lie in the bytes. */
export interface JsonMember {
  name: string;
  /** The index of the opening quote of its name. */
  start: number;
  valueStart: number;
  /** The index just after its value (before any whitespace or comma). */
  valueEnd: number;
}

/** The members of the object that `bytes` holds (whitespace around it allowed), in order, duplicates included. */
export function* objectMembers(bytes: Buffer): Generator<JsonMember> {
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN_BRACE) throw new SyntaxError('not a JSON object');
  i = skipSpace(bytes, i + 1);
  if (bytes[i] === CLOSE_BRACE) return;
  for (;;) {
    if (bytes[i] !== QUOTE) throw new SyntaxError('expected a member name');
    const nameEnd = skipString(bytes, i);
    // Names are short; JSON.parse undoes their escapes.
    const name = JSON.parse(bytes.toString('utf8', i, nameEnd)) as string;
    const colon = skipSpace(bytes, nameEnd);
    if (bytes[colon] !== COLON) throw new SyntaxError('expected :');
    const valueStart = skipSpace(bytes, colon + 1);
    const valueEnd = skipValue(bytes, valueStart);
    yield { name, start: i, valueStart, valueEnd };
    i = skipSpace(bytes, valueEnd);
    if (bytes[i] === COMMA) i = skipSpace(bytes, i + 1);
    else if (bytes[i] === CLOSE_BRACE) return;
    else throw new SyntaxError('expected , or }');
  }
}
