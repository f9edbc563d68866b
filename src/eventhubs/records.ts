/**
 * One Event Hubs message of the Defender streaming export → the events it becomes. Defender writes
 * `{"records":[{…},{…}]}` (https://learn.microsoft.com/defender-xdr/streaming-api-event-hub, "The schema of the events
 * in Azure Event Hub"); each record becomes one event whose data is the record's exact text as served (numbers beyond
 * 2^53 and every field kept), on one line. Anything else is written whole as one event and reported, never dropped.
 * Pure: no I/O.
 */
import { parseApiTime, toEpochSecondsText } from '../defender/api-time.js';
import { stripJsonWhitespace } from '../defender/json-array-stream.js';
import { arrayElements, objectMembers, OPEN_BRACKET } from '../defender/json-bytes.js';

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

/** Splits one message body (UTF-8 bytes or text) enqueued at `enqueuedTimeMs`. */
export function splitMessage(body: Uint8Array | string, enqueuedTimeMs: number): SplitMessage {
  const bytes =
    typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const text = typeof body === 'string' ? body : bytes.toString('utf8');
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
  const texts = recordTexts(bytes);
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
 * The exact text of each element of the top-level object's `records` array (the last such member, as JSON.parse
 * reads it), or undefined if the body is not shaped so.
 */
export function recordTexts(body: Buffer): string[] | undefined {
  try {
    let found: string[] | undefined;
    for (const member of objectMembers(body)) {
      if (member.name !== 'records') continue;
      found =
        body[member.valueStart] === OPEN_BRACKET
          ? arrayElements(body, member.valueStart).map((element) => element.toString('utf8'))
          : undefined;
    }
    return found;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
