/**
 * Splits a JSON response into its alerts as the bytes arrive, so a 50 MB SIEM array or a 10,000-alert MDE page never
 * sits in memory whole: only the alert being read is kept.
 *
 * Why a hand-written scanner and not a streaming JSON library: a tokenizer written in JS (stream-json, clarinet,
 * @streamparser/json) builds every value char by char and runs several times slower than V8's native JSON.parse, and
 * none of them hands back the exact text of an element, which is what Splunk must index (`<data>` is the alert as the
 * API served it). This scanner only finds where each element begins and ends: it jumps over string contents with
 * Buffer#indexOf (native memchr) and counts brackets on the few bytes between strings. It hands each string of an
 * alert object's own level to alert-key-reader.ts, which picks the alert's id and last-update time out of the bytes,
 * so an alert is parsed (by JSON.parse) only when those two cannot be read that way. It works on bytes, so a UTF-8
 * sequence cut between two chunks needs no special care, and an alert is never decoded at all: it is handed on as its
 * bytes (a view of the chunk it arrived in, or one copy when it spans chunks), which the event writer escapes as
 * bytes.
 *
 * Two shapes: a top-level array (the SIEM exporter), and an OData collection
 * `{"@odata.context":…,"value":[…],"@odata.nextLink":"…"}` whose keys may come in any order.
 */
import { ApiError } from '../errors.js';
import type { RawAlert } from '../ports.js';
import { AlertKeyReader, type AlertKeyFields } from './alert-key-reader.js';
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isJsonSpace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from './json-bytes.js';

/** `array`: the body is `[ {…}, … ]`. `odata`: the body is an object whose `value` key holds that array. */
export type JsonBodyShape = 'array' | 'odata';

/** What the body said besides its alerts. */
export interface JsonArrayEnd {
  /** `@odata.nextLink` when the body had one (odata shape only). */
  nextLink?: string;
}

/** The fields to read from each alert, and context for error messages. */
export interface JsonArrayOptions {
  /** The names of each alert's id and last-update-time fields, read without parsing the alert (alert-key-reader.ts). */
  keyFields: AlertKeyFields;
  /** The request URL, copied into ApiError.url. */
  url?: string;
}

// Const enums: compiled to plain numbers, so the per-byte comparisons cost what bare numbers cost. They are declared
// and used in this file only, which isolatedModules allows.

/** Where the scanner is in the structure of the body. */
const enum State {
  /** Before the first byte that is not whitespace or a byte-order mark. */
  Start,
  /** After `[`: an alert or `]`. */
  ArrayFirst,
  /** After an alert: `,` or `]`. */
  ArrayNext,
  /** After `,` in the array: an alert. */
  ArrayElement,
  /** After `{` of the response object: a key or `}`. */
  ObjectFirst,
  /** After `,` in the response object: a key. */
  ObjectKey,
  /** After a key of the response object: `:`. */
  AfterKey,
  /** After `:`: the value of the current key. */
  Value,
  /** After a value of the response object: `,` or `}`. */
  ObjectNext,
  /** Inside a string, object or array being captured or skipped (what for: Capture). */
  Nested,
  /** Inside a number, true, false or null being skipped. */
  Scalar,
  /** After the closing `]` (array shape) or `}` (odata shape): only whitespace may follow. */
  End,
  /** The body does not start as expected: collecting its first bytes for the error message. */
  NotJson,
}

/** What a Nested value is read for. */
const enum Capture {
  /** A value of the response object that is not needed: only its end is looked for. */
  Skip,
  /** An alert: its text and key fields are handed out. */
  Alert,
  /** A key of the response object. */
  Key,
  /** The value of `@odata.nextLink`. */
  NextLink,
}

/** How many bytes of the body's start are kept for the error message of a body that is not JSON. */
const HEAD_BYTES = 100;

function isScalarByte(c: number): boolean {
  // Digits, letters (true/false/null, exponent), sign and decimal point.
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x2d ||
    c === 0x2b ||
    c === 0x2e
  );
}

/** True when the run of backslashes that ends just before `end` (not reaching below `floor`) has odd length. */
function endsWithOddBackslashes(buf: Buffer, end: number, floor: number): boolean {
  let k = end - 1;
  while (k >= floor && buf[k] === BACKSLASH) k--;
  return ((end - 1 - k) & 1) === 1;
}

/** One line of at most `max` characters, for error messages. */
function toSnippet(text: string, max = HEAD_BYTES): string {
  const line = text.replace(/[\u0000-\u001f\u007f\u2028\u2029\s]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Removes the whitespace that lies outside strings, so a pretty-printed alert becomes one line. Slow path: the APIs
 * send compact JSON, so this only runs for bodies that hold whitespace inside an alert. (Inside a JSON string a raw
 * LF or CR is not valid JSON; the event writer's escaping keeps even that on one line of XML, as `&#13;` or LF.)
 */
export function stripJsonWhitespaceBytes(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) out[length++] = bytes[i++]!;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (isJsonSpace(c)) {
      continue;
    }
    if (i < bytes.length) out[length++] = bytes[i]!;
  }
  return out.subarray(0, length);
}

/** The same on text (kept for callers that hold text). */
export function stripJsonWhitespace(text: string): string {
  let out = '';
  let copyFrom = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (isJsonSpace(c)) {
      out += text.slice(copyFrom, i);
      copyFrom = i + 1;
    }
  }
  return out + text.slice(copyFrom);
}

/**
 * The synchronous core: `push` each chunk as it arrives and get the alerts it completes, then call `end` once the
 * body is over. Throws ApiError `api_invalid_body` as soon as the bytes cannot be the expected JSON, and
 * `api_truncated_body` from `end` when the body stopped before its JSON was complete.
 */
export class JsonArraySplitter {
  private readonly shape: JsonBodyShape;
  private readonly url: string | undefined;
  private state = State.Start;
  /** Bytes consumed in earlier chunks (to spot a byte-order mark and report positions). */
  private offset = 0;
  private readonly head = Buffer.alloc(HEAD_BYTES);
  private headLength = 0;

  // The value being read in Nested state.
  private capture = Capture.Skip;
  private depth = 0;
  private inString = false;
  /** The previous chunk ended inside a string right after an unpaired backslash. */
  private escaped = false;
  private hasWhitespace = false;
  /** Where the captured value starts in the current chunk (0 when it began in an earlier one). */
  private captureStart = 0;
  /** Slices of earlier chunks that belong to the captured value (views, not copies). */
  private parts: Buffer[] = [];

  /** Reads each alert's key fields from the strings of the alert object (depth 1) as they go by. */
  private readonly keys: AlertKeyReader;
  /** In an alert at depth 1, the next string is a key (after `{` or `,`), not a value (after `:`). */
  private expectKey = true;

  private key: string | undefined;
  private sawValue = false;
  private nextLink: string | undefined;
  private alertCount = 0;

  constructor(shape: JsonBodyShape, options: JsonArrayOptions) {
    this.shape = shape;
    this.url = options.url;
    this.keys = new AlertKeyReader(options.keyFields);
  }

  /** Consumes one chunk; returns the alerts that it completes, in order. */
  push(chunk: Buffer): RawAlert[] {
    const out: RawAlert[] = [];
    const length = chunk.length;
    if (length === 0) return out;
    this.keepHead(chunk);
    if (this.state === State.NotJson) return this.waitForHead(length, out);
    this.captureStart = 0;
    this.keys.beginChunk();
    let pos = 0;
    while (pos < length) {
      if (this.state === State.Nested) {
        pos = this.scanNested(chunk, pos, out);
        continue;
      }
      const c = chunk[pos]!;
      if (this.state === State.Scalar) {
        if (isScalarByte(c)) pos++;
        else this.state = State.ObjectNext;
        continue;
      }
      if (isJsonSpace(c)) {
        pos++;
        continue;
      }
      pos = this.scanStructure(chunk, pos, c);
      // The cast: TypeScript does not see that scanStructure may have moved the state to NotJson.
      if ((this.state as State) === State.NotJson) return this.waitForHead(length, out);
    }
    // A value still open at the chunk's end keeps its part of the chunk (a view, not a copy).
    if (this.state === State.Nested && this.capture !== Capture.Skip) {
      this.parts.push(chunk.subarray(this.captureStart));
    }
    this.offset += length;
    return out;
  }

  /** Call once after the last chunk: returns the nextLink, or throws if the body was cut or held no alert array. */
  end(): JsonArrayEnd {
    if (this.state === State.End) {
      if (this.shape === 'odata' && !this.sawValue) {
        throw this.invalid('the object has no "value" array of alerts', this.headText());
      }
      return this.nextLink === undefined ? {} : { nextLink: this.nextLink };
    }
    if (this.state === State.Start) throw this.invalid('the body is empty', '');
    if (this.state === State.NotJson) throw this.notJson();
    throw new ApiError(
      'api_truncated_body',
      `The alerts response ended before its JSON was complete (${this.whereTruncated()}, after ${this.offset} bytes ` +
        `and ${this.alertCount} alerts): the connection was probably cut. If this persists, check the network path ` +
        '(proxy, TLS inspection, idle timeouts) to the API.',
      { url: this.url, status: 200 },
    );
  }

  /** NotJson: the body is only kept until its first HEAD_BYTES bytes are there to quote (or until `end`). */
  private waitForHead(length: number, out: RawAlert[]): RawAlert[] {
    this.offset += length;
    if (this.headLength >= HEAD_BYTES) throw this.notJson();
    return out;
  }

  /** One structural byte outside any value: returns the next position. */
  private scanStructure(buf: Buffer, pos: number, c: number): number {
    switch (this.state) {
      case State.Start:
        if (this.shape === 'array' && c === OPEN_BRACKET) this.state = State.ArrayFirst;
        else if (this.shape === 'odata' && c === OPEN_BRACE) this.state = State.ObjectFirst;
        else if (this.isByteOrderMark(pos, c)) return pos + 1;
        else {
          // Likely an HTML error page: wait for its first bytes so the error can quote them.
          this.state = State.NotJson;
          return buf.length;
        }
        return pos + 1;
      case State.ArrayFirst:
        if (c === CLOSE_BRACKET) return this.closeArray(pos);
        return this.beginAlert(buf, pos, c);
      case State.ArrayElement:
        return this.beginAlert(buf, pos, c);
      case State.ArrayNext:
        if (c === COMMA) this.state = State.ArrayElement;
        else if (c === CLOSE_BRACKET) return this.closeArray(pos);
        else throw this.invalid(`expected "," or "]" after alert ${this.alertCount}`, this.textAt(buf, pos));
        return pos + 1;
      case State.ObjectFirst:
        if (c === CLOSE_BRACE) {
          this.state = State.End;
          return pos + 1;
        }
        return this.beginKey(buf, pos, c);
      case State.ObjectKey:
        return this.beginKey(buf, pos, c);
      case State.AfterKey:
        if (c !== COLON) throw this.invalid(`expected ":" after the key "${this.key}"`, this.textAt(buf, pos));
        this.state = State.Value;
        return pos + 1;
      case State.Value:
        return this.beginValue(buf, pos, c);
      case State.ObjectNext:
        if (c === COMMA) this.state = State.ObjectKey;
        else if (c === CLOSE_BRACE) this.state = State.End;
        else throw this.invalid('expected "," or "}" in the response object', this.textAt(buf, pos));
        return pos + 1;
      case State.End:
        throw this.invalid('unexpected data after the end of the JSON', this.textAt(buf, pos));
      default:
        // Nested, Scalar and NotJson are handled by push before it calls here.
        throw new Error(`json-array-stream: scanStructure called in state ${this.state}`);
    }
  }

  private beginAlert(buf: Buffer, pos: number, c: number): number {
    if (c !== OPEN_BRACE) {
      throw this.invalid(`alert ${this.alertCount + 1} is not a JSON object`, this.textAt(buf, pos));
    }
    this.keys.beginAlert();
    this.expectKey = true;
    return this.beginNested(Capture.Alert, pos, false);
  }

  private beginKey(buf: Buffer, pos: number, c: number): number {
    if (c !== QUOTE) throw this.invalid('expected a key in the response object', this.textAt(buf, pos));
    return this.beginNested(Capture.Key, pos, true);
  }

  private beginValue(buf: Buffer, pos: number, c: number): number {
    if (this.key === 'value') {
      if (c !== OPEN_BRACKET) throw this.invalid('"value" is not an array of alerts', this.textAt(buf, pos));
      this.state = State.ArrayFirst;
      return pos + 1;
    }
    if (c === QUOTE) {
      return this.beginNested(this.key === '@odata.nextLink' ? Capture.NextLink : Capture.Skip, pos, true);
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) return this.beginNested(Capture.Skip, pos, false);
    if (!isScalarByte(c)) throw this.invalid(`the value of "${this.key}" is not JSON`, this.textAt(buf, pos));
    this.state = State.Scalar;
    return pos;
  }

  private beginNested(capture: Capture, pos: number, isString: boolean): number {
    this.state = State.Nested;
    this.capture = capture;
    this.depth = isString ? 0 : 1;
    this.inString = isString;
    this.escaped = false;
    this.hasWhitespace = false;
    this.captureStart = pos;
    this.parts = [];
    return pos + 1;
  }

  private closeArray(pos: number): number {
    this.sawValue = true;
    this.state = this.shape === 'array' ? State.End : State.ObjectNext;
    return pos + 1;
  }

  /**
   * The hot loop: walks a nested value until its depth returns to 0. String contents are skipped with indexOf; only
   * the bytes between strings are looked at one by one. Returns the position after the value, or the chunk length.
   */
  private scanNested(buf: Buffer, pos: number, out: RawAlert[]): number {
    const length = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    // Only an alert's own top-level strings are read (not those of the response object or of nested values).
    const readKeys = this.capture === Capture.Alert;
    while (pos < length) {
      if (inString) {
        if (this.escaped) {
          this.escaped = false;
          pos++; // the escaped byte, whatever it is
          continue;
        }
        // Skip to the closing quote: a quote preceded by an odd run of backslashes is escaped. The run cannot reach
        // before `segment` (an opening quote, an escaped quote or an escaped byte lies just before it).
        const segment = pos;
        let quote = buf.indexOf(QUOTE, pos);
        while (quote !== -1 && endsWithOddBackslashes(buf, quote, segment)) quote = buf.indexOf(QUOTE, quote + 1);
        if (quote === -1) {
          this.escaped = endsWithOddBackslashes(buf, length, segment);
          pos = length;
          break;
        }
        pos = quote + 1;
        inString = false;
        if (depth === 0) {
          this.depth = 0;
          this.inString = false;
          this.completeNested(buf, pos, out);
          return pos;
        }
        if (depth === 1 && readKeys) this.keys.closeString(buf, quote);
        continue;
      }
      const c = buf[pos++]!;
      if (c === QUOTE) {
        inString = true;
        if (depth === 1 && readKeys) this.keys.openString(pos - 1, this.expectKey);
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) {
          this.depth = 0;
          this.inString = false;
          this.completeNested(buf, pos, out);
          return pos;
        }
      } else if (c === COMMA || c === COLON) {
        if (depth === 1) this.expectKey = c === COMMA;
      } else if (c <= 0x20 && isJsonSpace(c)) this.hasWhitespace = true;
    }
    this.depth = depth;
    this.inString = inString;
    return pos;
  }

  private completeNested(buf: Buffer, end: number, out: RawAlert[]): void {
    const capture = this.capture;
    this.capture = Capture.Skip;
    if (capture === Capture.Skip) {
      this.state = State.ObjectNext;
      return;
    }
    const bytes = this.takeCapture(buf, end);
    if (capture === Capture.Alert) {
      out.push(this.toAlert(bytes));
      this.state = State.ArrayNext;
    } else if (capture === Capture.Key) {
      this.key = this.parseString(bytes.toString('utf8'));
      this.state = State.AfterKey;
    } else {
      this.nextLink = this.parseString(bytes.toString('utf8'));
      this.state = State.ObjectNext;
    }
  }

  private parseString(text: string): string {
    try {
      return JSON.parse(text) as string;
    } catch {
      throw this.invalid('a key or link of the response object is not a valid JSON string', text);
    }
  }

  /** The captured bytes: a view of the chunk when the value lies in one, one copy when it spans several. */
  private takeCapture(buf: Buffer, end: number): Buffer {
    if (this.parts.length === 0) return buf.subarray(this.captureStart, end);
    this.parts.push(buf.subarray(0, end));
    const bytes = Buffer.concat(this.parts);
    this.parts = [];
    return bytes;
  }

  private toAlert(bytes: Buffer): RawAlert {
    this.alertCount++;
    const json = this.hasWhitespace ? stripJsonWhitespaceBytes(bytes) : bytes;
    try {
      return this.keys.alertOf(json);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw this.invalid(`alert ${this.alertCount} is not valid JSON: ${toSnippet(reason)}`, json.toString('utf8'));
    }
  }

  private isByteOrderMark(pos: number, c: number): boolean {
    const at = this.offset + pos;
    return (at === 0 && c === 0xef) || (at === 1 && c === 0xbb) || (at === 2 && c === 0xbf);
  }

  private keepHead(chunk: Buffer): void {
    if (this.headLength >= HEAD_BYTES) return;
    this.headLength += chunk.copy(this.head, this.headLength, 0, HEAD_BYTES - this.headLength);
  }

  private headText(): string {
    return this.head.toString('utf8', 0, this.headLength);
  }

  private textAt(buf: Buffer, pos: number): string {
    return buf.toString('utf8', pos, Math.min(buf.length, pos + HEAD_BYTES));
  }

  private whereTruncated(): string {
    const state = this.state;
    if (state === State.Nested) {
      if (this.capture === Capture.Alert) {
        return `inside alert ${this.alertCount + 1}${this.inString ? ', in a string' : ''}`;
      }
      return this.inString ? 'in a string' : 'inside a value';
    }
    if (state === State.ArrayFirst || state === State.ArrayNext || state === State.ArrayElement) {
      return 'the alerts array has no closing "]"';
    }
    return 'the response object has no closing "}"';
  }

  private notJson(): ApiError {
    return this.invalid(this.shape === 'array' ? 'expected a JSON array' : 'expected a JSON object', this.headText());
  }

  private invalid(reason: string, sample: string): ApiError {
    const start = sample === '' ? '' : `: ${toSnippet(sample)}`;
    return new ApiError(
      'api_invalid_body',
      `The alerts API answered with a body that is not the expected JSON (${reason})${start}. ` +
        'Check api_url, and any proxy between Splunk and the API.',
      { url: this.url, status: 200 },
    );
  }
}

/**
 * Streams the alerts of one response body. Yields each element of the alert array as its bytes and key fields as soon
 * as its closing brace arrives; returns `{nextLink}` (odata shape) when the body is complete. Errors from `body` pass
 * through unchanged; a malformed body is ApiError `api_invalid_body`, a cut one `api_truncated_body`.
 */
export async function* readJsonArray(
  body: AsyncIterable<Buffer>,
  shape: JsonBodyShape,
  options: JsonArrayOptions,
): AsyncGenerator<RawAlert, JsonArrayEnd> {
  const splitter = new JsonArraySplitter(shape, options);
  for await (const chunk of body) {
    for (const alert of splitter.push(chunk)) yield alert;
  }
  return splitter.end();
}
