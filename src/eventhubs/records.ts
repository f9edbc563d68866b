/**
 * One Event Hubs message of the Defender streaming export → the events it becomes. Defender writes
 * `{"records":[{…},{…}]}` (https://learn.microsoft.com/defender-xdr/streaming-api-event-hub, "The schema of the events
 * in Azure Event Hub"); each record becomes one event whose data is the record's exact text as served (numbers beyond
 * 2^53 and every field kept), on one line. Anything else is written whole as one event and reported, never dropped.
 * Pure: no I/O.
 */
import { parseApiTime, toEpochSecondsText } from '../defender/api-time.js';
import { stripJsonWhitespace } from '../defender/json-array-stream.js';

/** One record: its exact text (one line) and what the input reads from it. */
export interface StreamRecord {
  /** The record as served, without line breaks. */
  json: string;
  /** `category` when the record is an object with a string category (e.g. AdvancedHunting-DeviceProcessEvents). */
  category: string | undefined;
  /** Epoch seconds text for `<time>`: properties.Timestamp, else time, else the message's enqueued time. */
  time: string;
}

export type SplitMessage =
  | { kind: 'records'; records: StreamRecord[] }
  /** Not `{"records":[…]}`: the body as text, and why, for the one WARN line. */
  | { kind: 'other'; text: string; reason: string; time: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Splits one message body (UTF-8 bytes or text) enqueued at `enqueuedTimeMs`. */
export function splitMessage(body: Uint8Array | string, enqueuedTimeMs: number): SplitMessage {
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const enqueued = enqueuedTimeText(enqueuedTimeMs);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'other', text, reason: 'the body is not JSON', time: enqueued };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'other', text, reason: 'the body is not a JSON object with a records array', time: enqueued };
  }
  const records = (parsed as { records?: unknown }).records;
  if (!Array.isArray(records)) {
    return { kind: 'other', text, reason: 'the body has no records array', time: enqueued };
  }
  const texts = recordTexts(text);
  if (texts === undefined || texts.length !== records.length) {
    // The scanner and JSON.parse disagree (e.g. a duplicated records key, where JSON.parse keeps the last): fall back
    // to the parsed values, which JSON.parse read faithfully except for integers beyond 2^53.
    return {
      kind: 'records',
      records: records.map((record: unknown) => toRecord(JSON.stringify(record) ?? 'null', record, enqueued)),
    };
  }
  return { kind: 'records', records: records.map((record: unknown, i) => toRecord(texts[i]!, record, enqueued)) };
}

function toRecord(json: string, value: unknown, enqueued: string): StreamRecord {
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  const category = (object as { category?: unknown } | undefined)?.category;
  return {
    json: /[\r\n\u2028\u2029]/.test(json) ? stripJsonWhitespace(json) : json,
    category: typeof category === 'string' ? category : undefined,
    time: recordTime(object) ?? enqueued,
  };
}

interface RecordShape {
  time?: unknown;
  properties?: { Timestamp?: unknown } | null;
}

/** `<time>` from properties.Timestamp, else the record's time; undefined when neither is an ISO-8601 time. */
export function recordTime(record: RecordShape | undefined): string | undefined {
  for (const candidate of [record?.properties?.Timestamp, record?.time]) {
    if (typeof candidate !== 'string') continue;
    const time = parseApiTime(candidate);
    if (time !== undefined) return toEpochSecondsText(time);
  }
  return undefined;
}

/** Epoch seconds with 3 decimals. */
export function enqueuedTimeText(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * The exact text of each element of the top-level object's `records` array, or undefined if the body is not shaped
 * so. Jumps over strings with indexOf and counts brackets between them; the body was already checked by JSON.parse.
 */
export function recordTexts(text: string): string[] | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i++;
  let found: string[] | undefined;
  for (;;) {
    i = skipSpace(text, i);
    if (text.charCodeAt(i) === CLOSE_BRACE) return found;
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    const valueEnd = endOfValue(text, i);
    if (key === 'records') found = text.charCodeAt(i) === OPEN_BRACKET ? arrayElements(text, i) : undefined;
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) === COMMA) i++;
  }
}

function arrayElements(text: string, open: number): string[] {
  const out: string[] = [];
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return out;
  for (;;) {
    i = skipSpace(text, i);
    const end = endOfValue(text, i);
    out.push(text.slice(i, end));
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === COMMA) i++;
    else return out;
  }
}

/** The index just past the value starting at `i` (object, array, string or scalar). */
function endOfValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return endOfString(text, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 0x20) break;
      j++;
    }
    return j;
  }
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) {
      j = endOfString(text, j);
      continue;
    }
    if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return j;
}

/** The index just past the closing quote of the string that opens at `i`. */
function endOfString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const close = text.indexOf('"', j);
    if (close < 0) return text.length;
    let backslashes = 0;
    for (let k = close - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    j = close + 1;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return i;
    i++;
  }
  return i;
}
