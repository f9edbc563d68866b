/**
 * Reads the two fields that key an alert's versions (its id and its last-update time) straight from the alert's bytes
 * while the scanner of json-array-stream.ts walks them, so the input never parses an alert it only passes on: it
 * needs those two strings, and Splunk gets the alert's text as served.
 *
 * The scanner reports each string of the alert object itself (depth 1) as it opens and closes; nothing deeper reaches
 * this reader, so an `id` inside evidence or comments is never taken for the alert's. A field is read on the fast path
 * when its key is written without escapes and both the key and its string value lie within one chunk. Anything else
 * (a field absent, a value that is not a string, a key written with escapes, a key or value cut by a chunk boundary)
 * makes the alert parsed whole, so the fields are always what JSON.parse gives. As with JSON.parse, the last of
 * duplicate keys counts.
 */
import type { RawAlert } from '../ports.js';

/** The names of the two fields, which differ by API (alert-version.ts). */
export interface AlertKeyFields {
  readonly id: string;
  readonly time: string;
}

const BACKSLASH = 0x5c;

/** Which key field the value about to be read belongs to. */
const enum Field {
  None,
  Id,
  Time,
}

export class AlertKeyReader {
  private readonly fields: AlertKeyFields;
  private readonly idKey: Buffer;
  private readonly timeKey: Buffer;

  // The current alert.
  private id: string | undefined;
  private time: string | undefined;
  /** Something at depth 1 could not be read on the fast path: parse this alert whole. */
  private mustParse = false;
  /** The key just read is one of ours: its value comes next. */
  private pending = Field.None;

  // The current string of the alert object.
  /** Where it opened in the current chunk, or -1 when it opened in an earlier one. */
  private stringStart = -1;
  private stringIsKey = false;

  constructor(fields: AlertKeyFields) {
    this.fields = fields;
    this.idKey = Buffer.from(fields.id, 'utf8');
    this.timeKey = Buffer.from(fields.time, 'utf8');
  }

  /** A new alert begins: forget what was read from the previous one. */
  beginAlert(): void {
    this.id = undefined;
    this.time = undefined;
    this.mustParse = false;
    this.pending = Field.None;
  }

  /** A new chunk begins: a string that is open now opened in an earlier chunk. */
  beginChunk(): void {
    this.stringStart = -1;
  }

  /** A string of the alert object opened at `quote` in the current chunk: a key, or the value of the last key. */
  openString(quote: number, isKey: boolean): void {
    this.stringStart = quote;
    this.stringIsKey = isKey;
  }

  /** That string closed at `quote`: a key to match, or the value of a matched key. */
  closeString(buf: Buffer, quote: number): void {
    const start = this.stringStart + 1;
    if (this.stringIsKey) {
      this.pending = Field.None;
      if (this.stringStart < 0) {
        this.mustParse = true; // a key cut by a chunk boundary: it may be one we need
        return;
      }
      if (matches(buf, start, quote, this.idKey)) this.pending = Field.Id;
      else if (matches(buf, start, quote, this.timeKey)) this.pending = Field.Time;
      return;
    }
    const field = this.pending;
    this.pending = Field.None;
    if (field === Field.None) return;
    if (this.stringStart < 0) {
      this.mustParse = true;
      return;
    }
    const text = readString(buf, start, quote);
    // A value whose escapes are not valid JSON: JSON.parse of the whole alert will say what is wrong.
    if (text === undefined) this.mustParse = true;
    else if (field === Field.Id) this.id = text;
    else this.time = text;
  }

  /**
   * The alert is complete and `json` is its bytes (one line): the alert with its key fields, parsed whole only when
   * the fast path could not read them. Throws JSON.parse's SyntaxError when that parse fails.
   */
  alertOf(json: Buffer): RawAlert {
    if (!this.mustParse && this.id !== undefined && this.time !== undefined) {
      return { json, id: this.id, time: this.time };
    }
    // The text starts with `{` and ends at its matching `}`, so JSON.parse can only produce an object.
    const value = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
    return { json, id: value[this.fields.id], time: value[this.fields.time] };
  }
}

/** True when the bytes `buf[start, end)` are exactly `key`. */
function matches(buf: Buffer, start: number, end: number, key: Buffer): boolean {
  return key.length === end - start && buf.compare(key, 0, key.length, start, end) === 0;
}

/** The string whose contents are `buf[start, end)`; undefined when its escapes are not valid JSON. */
function readString(buf: Buffer, start: number, end: number): string | undefined {
  let escaped = false;
  for (let i = start; i < end && !escaped; i++) escaped = buf[i] === BACKSLASH; // ids and times are short
  if (!escaped) return buf.toString('utf8', start, end);
  try {
    return JSON.parse(buf.toString('utf8', start - 1, end + 1)) as string;
  } catch {
    return undefined;
  }
}
