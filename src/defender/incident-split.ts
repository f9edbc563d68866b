/**
 * Splits one incident as Graph serves it with `$expand=alerts` into the incident without its `alerts` member and the
 * exact text of each alert, so that every other byte of the incident, and every byte of each alert, reaches Splunk as
 * Microsoft sent it. Pure: a scan over the text of one incident (at most 50 per page, each already in memory).
 */

/** The parts of one incident. */
export interface IncidentParts {
  /** The incident's JSON without the `alerts` member (and the comma that separated it). */
  incident: string;
  /** Each element of `alerts`, as served; empty when the incident had no `alerts` member. */
  alerts: string[];
  /** False when the incident had no `alerts` member at all (served without `$expand=alerts`). */
  hadAlerts: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Where the string that opens at `start` (a quote) ends: the index after its closing quote. */
function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Where the value that starts at `start` ends (the index after it). */
function skipValue(text: string, start: number): number {
  const c = text[start];
  if (c === '"') return skipString(text, start);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"') {
        i = skipString(text, i) - 1;
      } else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    throw new SyntaxError('unterminated object or array');
  }
  let i = start;
  while (i < text.length && !',}] \n\r\t'.includes(text[i]!)) i++;
  return i;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \n\r\t'.includes(text[i]!)) i++;
  return i;
}

/** The elements of the JSON array `text.slice(start, end)` (which starts with `[` and ends with `]`), as text. */
function arrayElements(text: string, start: number, end: number): string[] {
  const out: string[] = [];
  let i = skipSpace(text, start + 1);
  if (text[i] === ']') return out;
  while (i < end) {
    const valueEnd = skipValue(text, i);
    out.push(text.slice(i, valueEnd));
    i = skipSpace(text, valueEnd);
    if (text[i] === ',') i = skipSpace(text, i + 1);
    else if (text[i] === ']') return out;
    else throw new SyntaxError('expected , or ] in alerts');
  }
  throw new SyntaxError('unterminated alerts array');
}

/**
 * Splits a valid JSON object's text. Throws SyntaxError when the text is not a JSON object or `alerts` is not an
 * array (the caller parses the incident and reports what is wrong).
 */
export function splitIncident(text: string): IncidentParts {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('an incident is not a JSON object');
  i = skipSpace(text, i + 1);
  /** Start of the current member, and the end of the previous member's value (before its comma). */
  let previousEnd = -1;
  while (text[i] !== '}') {
    const memberStart = i;
    if (text[i] !== '"') throw new SyntaxError('expected a member name');
    const nameEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, nameEnd)) as string;
    i = skipSpace(text, nameEnd);
    if (text[i] !== ':') throw new SyntaxError('expected :');
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    i = skipSpace(text, valueEnd);
    const hasComma = text[i] === ',';
    if (name === 'alerts') {
      if (text[valueStart] !== '[') throw new SyntaxError('alerts is not an array');
      const alerts = arrayElements(text, valueStart, valueEnd);
      // Remove the member with one comma: the one after it, or else the one before it (it was the last member).
      const incident = hasComma
        ? text.slice(0, memberStart) + text.slice(skipSpace(text, i + 1))
        : previousEnd >= 0
          ? text.slice(0, previousEnd) + text.slice(valueEnd)
          : text.slice(0, memberStart) + text.slice(i);
      return { incident, alerts, hadAlerts: true };
    }
    previousEnd = valueEnd;
    if (hasComma) i = skipSpace(text, i + 1);
    else if (text[i] !== '}') throw new SyntaxError('expected , or }');
  }
  return { incident: text, alerts: [], hadAlerts: false };
}
