/**
 * Splits one incident as Graph serves it with `$expand=alerts` into the incident without its `alerts` member and the
 * exact text of each alert, so that every other byte of the incident, and every byte of each alert, reaches Splunk as
 * Microsoft sent it. Pure: a scan over the bytes of one incident (at most 50 per page, each already in memory); the
 * parts are views of those bytes (the incident without `alerts` is one copy), never decoded.
 */

/** The parts of one incident. */
export interface IncidentParts {
  /** The incident's JSON without the `alerts` member (and the comma that separated it). */
  incident: Buffer;
  /** Each element of `alerts`, as served; empty when the incident had no `alerts` member. */
  alerts: Buffer[];
  /** False when the incident had no `alerts` member at all (served without `$expand=alerts`). */
  hadAlerts: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isValueEnd(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c);
}

/** Where the string that opens at `start` (a quote) ends: the index after its closing quote. */
function skipString(text: Buffer, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Where the value that starts at `start` ends (the index after it). */
function skipValue(text: Buffer, start: number): number {
  const c = text[start];
  if (c === QUOTE) return skipString(text, start);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (ch === QUOTE) {
        i = skipString(text, i) - 1;
      } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++;
      else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    throw new SyntaxError('unterminated object or array');
  }
  let i = start;
  while (i < text.length && !isValueEnd(text[i]!)) i++;
  return i;
}

function skipSpace(text: Buffer, i: number): number {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

/** The elements of the JSON array `text.slice(start, end)` (which starts with `[` and ends with `]`), as text. */
function arrayElements(text: Buffer, start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let i = skipSpace(text, start + 1);
  if (text[i] === CLOSE_BRACKET) return out;
  while (i < end) {
    const valueEnd = skipValue(text, i);
    out.push(text.subarray(i, valueEnd));
    i = skipSpace(text, valueEnd);
    if (text[i] === COMMA) i = skipSpace(text, i + 1);
    else if (text[i] === CLOSE_BRACKET) return out;
    else throw new SyntaxError('expected , or ] in alerts');
  }
  throw new SyntaxError('unterminated alerts array');
}

/**
 * Splits a valid JSON object's bytes. Throws SyntaxError when the text is not a JSON object or `alerts` is not an
 * array (the caller parses the incident and reports what is wrong).
 */
export function splitIncident(text: Buffer): IncidentParts {
  let i = skipSpace(text, 0);
  if (text[i] !== OPEN_BRACE) throw new SyntaxError('an incident is not a JSON object');
  i = skipSpace(text, i + 1);
  /** Start of the current member, and the end of the previous member's value (before its comma). */
  let previousEnd = -1;
  while (text[i] !== CLOSE_BRACE) {
    const memberStart = i;
    if (text[i] !== QUOTE) throw new SyntaxError('expected a member name');
    const nameEnd = skipString(text, i);
    const name = JSON.parse(text.toString('utf8', i, nameEnd)) as string;
    i = skipSpace(text, nameEnd);
    if (text[i] !== COLON) throw new SyntaxError('expected :');
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    i = skipSpace(text, valueEnd);
    const hasComma = text[i] === COMMA;
    if (name === 'alerts') {
      if (text[valueStart] !== OPEN_BRACKET) throw new SyntaxError('alerts is not an array');
      const alerts = arrayElements(text, valueStart, valueEnd);
      // Remove the member with one comma: the one after it, or else the one before it (it was the last member).
      const incident = hasComma
        ? join(text, memberStart, skipSpace(text, i + 1))
        : previousEnd >= 0
          ? join(text, previousEnd, valueEnd)
          : join(text, memberStart, i);
      return { incident, alerts, hadAlerts: true };
    }
    previousEnd = valueEnd;
    if (hasComma) i = skipSpace(text, i + 1);
    else if (text[i] !== CLOSE_BRACE) throw new SyntaxError('expected , or }');
  }
  return { incident: text, alerts: [], hadAlerts: false };
}

/** `text` without the bytes `[cutFrom, cutTo)`, in one new buffer. */
function join(text: Buffer, cutFrom: number, cutTo: number): Buffer {
  return Buffer.concat([text.subarray(0, cutFrom), text.subarray(cutTo)]);
}
