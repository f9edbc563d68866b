/**
 * Splits a JSON response into its alerts as the bytes arrive, so a 50 MB SIEM array or a 10,000-alert MDE page never
 * sits in memory whole: only the alert being read is kept.
 *
 * Why a hand-written scanner and not a streaming JSON library: a tokenizer written in JS (stream-json, clarinet,
 * @streamparser/json) builds every value char by char and runs several times slower than V8's native JSON.parse, and
 * none of them hands back the exact text of an element, which is what Splunk must index (`<data>` is the alert as the
 * API served it). This scanner only finds where each element begins and ends: it jumps over string contents with
 * Buffer#indexOf (native memchr), counts brackets on the few bytes between strings, and leaves the real parsing of each
 * element to JSON.parse. It works on bytes, so a UTF-8 sequence cut between two chunks needs no special care: bytes are
 * decoded once, per whole element.
 *
 * Two shapes: a top-level array (the SIEM exporter), and an OData collection
 * `{"@odata.context":…,"value":[…],"@odata.nextLink":"…"}` whose keys may come in any order.
 */
import { ApiError } from '../errors.js';
import type { RawAlert } from '../ports.js';

/** `array`: the body is `[ {…}, … ]`. `odata`: the body is an object whose `value` key holds that array. */
export type JsonBodyShape = 'array' | 'odata';

/** What the body said besides its alerts. */
export interface JsonArrayEnd {
  /** `@odata.nextLink` when the body had one (odata shape only). */
  nextLink?: string;
}

/** Context for error messages, and the fields to read from each alert without parsing it. */
export interface JsonArrayOptions {
  /** The request URL, copied into ApiError.url. */
  url?: string;
  /**
   * Top-level string fields of each alert that the caller needs (its id and last-update time). When every one of them
   * is found as a plain top-level string, the alert is not parsed at all: its `value` holds just those fields, read
   * from the bytes during the scan. Otherwise (absent, not a string, a key written with escapes, a string cut by a
   * chunk boundary) the alert is parsed whole, so callers see exactly what JSON.parse sees. Without keyFields every
   * alert is parsed.
   */
  keyFields?: readonly string[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

// Scanner states. Plain numbers (not a const enum) so isolatedModules tooling stays happy.
const START = 0;
const ARRAY_FIRST = 1; // after `[`: an alert or `]`
const ARRAY_NEXT = 2; // after an alert: `,` or `]`
const ARRAY_ELEMENT = 3; // after `,`: an alert
const OBJECT_FIRST = 4; // after `{`: a key or `}`
const OBJECT_KEY = 5; // after `,`: a key
const AFTER_KEY = 6; // `:`
const VALUE = 7; // the value of the current key
const OBJECT_NEXT = 8; // after a value: `,` or `}`
const NESTED = 9; // inside a string, object or array being captured or skipped
const SCALAR = 10; // inside a number, true, false or null being skipped
const END = 11; // after the closing `]` or `}`
const NOT_JSON = 12; // the body does not start as expected: collecting its first bytes for the error message

// What a NESTED value is read for.
const SKIP = 0;
const ELEMENT = 1;
const KEY = 2;
const NEXT_LINK = 3;

/** How many bytes of the body's start are kept for the error message of a body that is not JSON. */
const HEAD_BYTES = 100;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isScalarByte(c: number): boolean {
  // Digits, letters (true/false/null, exponent), sign and decimal point.
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2b || c === 0x2e;
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
 * send compact JSON, so this only runs for bodies that hold whitespace inside an alert.
 */
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
    } else if (isWhitespace(c)) {
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
  private state = START;
  /** Bytes consumed in earlier chunks (to spot a byte-order mark and report positions). */
  private offset = 0;
  private readonly head = Buffer.alloc(HEAD_BYTES);
  private headLength = 0;

  // The value being read in NESTED state.
  private purpose = SKIP;
  private depth = 0;
  private inString = false;
  /** The previous chunk ended inside a string right after an unpaired backslash. */
  private escaped = false;
  private hasWhitespace = false;
  /** Where the captured value starts in the current chunk (0 when it began in an earlier one). */
  private captureStart = 0;
  /** Slices of earlier chunks that belong to the captured value (views, not copies). */
  private parts: Buffer[] = [];

  // Key fields read during the scan of an alert (options.keyFields), at depth 1 of the alert object only.
  private readonly keyFields: readonly string[];
  private readonly keyBytes: readonly Buffer[];
  private found: (string | undefined)[] = [];
  /** Something at depth 1 could not be read on the fast path: parse this alert whole. */
  private mustParse = false;
  /** At depth 1, the next string is a key (after `{` or `,`), not a value (after `:`). */
  private expectKey = true;
  /** Where the current depth-1 string opened in this chunk, or -1 when it opened in an earlier one. */
  private stringStart = -1;
  private stringIsKey = false;
  /** Index in keyFields of the key whose value comes next, or -1. */
  private pendingField = -1;

  private key: string | undefined;
  private sawValue = false;
  private nextLink: string | undefined;
  private alertCount = 0;

  constructor(shape: JsonBodyShape, options: JsonArrayOptions = {}) {
    this.shape = shape;
    this.url = options.url;
    this.keyFields = options.keyFields ?? [];
    this.keyBytes = this.keyFields.map((field) => Buffer.from(field, 'utf8'));
  }

  /** Consumes one chunk; returns the alerts that it completes, in order. */
  push(chunk: Buffer): RawAlert[] {
    const out: RawAlert[] = [];
    const length = chunk.length;
    if (length === 0) return out;
    this.keepHead(chunk);
    if (this.state === NOT_JSON) {
      this.offset += length;
      if (this.headLength >= HEAD_BYTES) throw this.notJson();
      return out;
    }
    this.captureStart = 0;
    this.stringStart = -1;
    let pos = 0;
    while (pos < length) {
      if (this.state === NESTED) {
        pos = this.scanNested(chunk, pos, out);
        continue;
      }
      const c = chunk[pos]!;
      if (this.state === SCALAR) {
        if (isScalarByte(c)) pos++;
        else this.state = OBJECT_NEXT;
        continue;
      }
      if (isWhitespace(c)) {
        pos++;
        continue;
      }
      pos = this.scanStructure(chunk, pos, c);
      if (this.state === NOT_JSON) {
        this.offset += length;
        if (this.headLength >= HEAD_BYTES) throw this.notJson();
        return out;
      }
    }
    if (this.state === NESTED && this.purpose !== SKIP) this.parts.push(chunk.subarray(this.captureStart));
    this.offset += length;
    return out;
  }

  /** Call once after the last chunk: returns the nextLink, or throws if the body was cut or held no alert array. */
  end(): JsonArrayEnd {
    if (this.state === END) {
      if (this.shape === 'odata' && !this.sawValue) throw this.invalid('the object has no "value" array of alerts', this.headText());
      return this.nextLink === undefined ? {} : { nextLink: this.nextLink };
    }
    if (this.state === START) throw this.invalid('the body is empty', '');
    if (this.state === NOT_JSON) throw this.notJson();
    throw new ApiError(
      'api_truncated_body',
      `The alerts response ended before its JSON was complete (${this.whereTruncated()}, after ${this.offset} bytes and ` +
        `${this.alertCount} alerts): the connection was probably cut. If this persists, check the network path ` +
        '(proxy, TLS inspection, idle timeouts) to the API.',
      { url: this.url, status: 200 },
    );
  }

  /** One structural byte outside any value: returns the next position. */
  private scanStructure(buf: Buffer, pos: number, c: number): number {
    switch (this.state) {
      case START:
        if (this.shape === 'array' && c === OPEN_BRACKET) this.state = ARRAY_FIRST;
        else if (this.shape === 'odata' && c === OPEN_BRACE) this.state = OBJECT_FIRST;
        else if (this.isByteOrderMark(pos, c)) return pos + 1;
        else {
          // Likely an HTML error page: wait for its first bytes so the error can quote them.
          this.state = NOT_JSON;
          return buf.length;
        }
        return pos + 1;
      case ARRAY_FIRST:
        if (c === CLOSE_BRACKET) return this.closeArray(pos);
        return this.beginElement(buf, pos, c);
      case ARRAY_ELEMENT:
        return this.beginElement(buf, pos, c);
      case ARRAY_NEXT:
        if (c === COMMA) this.state = ARRAY_ELEMENT;
        else if (c === CLOSE_BRACKET) return this.closeArray(pos);
        else throw this.invalid(`expected "," or "]" after alert ${this.alertCount}`, this.textAt(buf, pos));
        return pos + 1;
      case OBJECT_FIRST:
        if (c === CLOSE_BRACE) {
          this.state = END;
          return pos + 1;
        }
        return this.beginKey(buf, pos, c);
      case OBJECT_KEY:
        return this.beginKey(buf, pos, c);
      case AFTER_KEY:
        if (c !== COLON) throw this.invalid(`expected ":" after the key "${this.key}"`, this.textAt(buf, pos));
        this.state = VALUE;
        return pos + 1;
      case VALUE:
        return this.beginValue(buf, pos, c);
      case OBJECT_NEXT:
        if (c === COMMA) this.state = OBJECT_KEY;
        else if (c === CLOSE_BRACE) this.state = END;
        else throw this.invalid('expected "," or "}" in the response object', this.textAt(buf, pos));
        return pos + 1;
      default: // END
        throw this.invalid('unexpected data after the end of the JSON', this.textAt(buf, pos));
    }
  }

  private beginElement(buf: Buffer, pos: number, c: number): number {
    if (c !== OPEN_BRACE) throw this.invalid(`alert ${this.alertCount + 1} is not a JSON object`, this.textAt(buf, pos));
    return this.beginNested(ELEMENT, pos, false);
  }

  private beginKey(buf: Buffer, pos: number, c: number): number {
    if (c !== QUOTE) throw this.invalid('expected a key in the response object', this.textAt(buf, pos));
    return this.beginNested(KEY, pos, true);
  }

  private beginValue(buf: Buffer, pos: number, c: number): number {
    if (this.key === 'value') {
      if (c !== OPEN_BRACKET) throw this.invalid('"value" is not an array of alerts', this.textAt(buf, pos));
      this.state = ARRAY_FIRST;
      return pos + 1;
    }
    if (c === QUOTE) return this.beginNested(this.key === '@odata.nextLink' ? NEXT_LINK : SKIP, pos, true);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) return this.beginNested(SKIP, pos, false);
    if (!isScalarByte(c)) throw this.invalid(`the value of "${this.key}" is not JSON`, this.textAt(buf, pos));
    this.state = SCALAR;
    return pos;
  }

  private beginNested(purpose: number, pos: number, isString: boolean): number {
    this.state = NESTED;
    this.purpose = purpose;
    if (purpose === ELEMENT) {
      this.found = [];
      this.mustParse = false;
      this.expectKey = true;
      this.pendingField = -1;
    }
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
    this.state = this.shape === 'array' ? END : OBJECT_NEXT;
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
    // Only an alert's own top-level keys are read (not those of the response object or of nested values).
    const readKeys = this.purpose === ELEMENT && this.keyFields.length > 0;
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
        if (depth === 1 && readKeys) this.closeTopLevelString(buf, quote);
        continue;
      }
      const c = buf[pos++]!;
      if (c === QUOTE) {
        inString = true;
        if (depth === 1 && readKeys) {
          this.stringStart = pos - 1;
          this.stringIsKey = this.expectKey;
        }
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
      } else if (c <= 0x20 && isWhitespace(c)) this.hasWhitespace = true;
    }
    this.depth = depth;
    this.inString = inString;
    return pos;
  }

  /** A string of the alert object itself just closed at `quote`: a key to match, or the value of a matched key. */
  private closeTopLevelString(buf: Buffer, quote: number): void {
    const start = this.stringStart + 1;
    if (this.stringIsKey) {
      this.pendingField = -1;
      if (this.stringStart < 0) {
        this.mustParse = true; // a key cut by a chunk boundary: it may be one we need
        return;
      }
      const keyBytes = this.keyBytes;
      for (let i = 0; i < keyBytes.length; i++) {
        const k = keyBytes[i]!;
        if (k.length === quote - start && buf.compare(k, 0, k.length, start, quote) === 0) {
          this.pendingField = i;
          break;
        }
      }
      return;
    }
    const field = this.pendingField;
    this.pendingField = -1;
    if (field < 0) return;
    if (this.stringStart < 0) {
      this.mustParse = true;
      return;
    }
    let escaped = false;
    for (let i = start; i < quote && !escaped; i++) escaped = buf[i] === BACKSLASH; // ids and times are short
    if (escaped) {
      try {
        this.found[field] = JSON.parse(buf.toString('utf8', start - 1, quote + 1)) as string;
      } catch {
        this.mustParse = true; // JSON.parse of the whole alert will say what is wrong
      }
    } else {
      this.found[field] = buf.toString('utf8', start, quote);
    }
  }

  private completeNested(buf: Buffer, end: number, out: RawAlert[]): void {
    const purpose = this.purpose;
    this.purpose = SKIP;
    if (purpose === SKIP) {
      this.state = OBJECT_NEXT;
      return;
    }
    const text = this.takeCapture(buf, end);
    if (purpose === ELEMENT) {
      out.push(this.toAlert(text));
      this.state = ARRAY_NEXT;
    } else if (purpose === KEY) {
      this.key = this.parseString(text);
      this.state = AFTER_KEY;
    } else {
      this.nextLink = this.parseString(text);
      this.state = OBJECT_NEXT;
    }
  }

  private parseString(text: string): string {
    try {
      return JSON.parse(text) as string;
    } catch {
      throw this.invalid('a key or link of the response object is not a valid JSON string', text);
    }
  }

  /** The captured bytes as text: one decode when the value lies in one chunk, one concat more when it spans several. */
  private takeCapture(buf: Buffer, end: number): string {
    if (this.parts.length === 0) return buf.toString('utf8', this.captureStart, end);
    this.parts.push(buf.subarray(0, end));
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    return text;
  }

  private toAlert(text: string): RawAlert {
    this.alertCount++;
    const json = this.hasWhitespace ? stripJsonWhitespace(text) : text;
    const fast = this.keyedValue();
    if (fast) return { json, value: fast };
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw this.invalid(`alert ${this.alertCount} is not valid JSON: ${toSnippet(reason)}`, json);
    }
    // The text starts with `{` and ends at its matching `}`, so JSON.parse can only have produced an object.
    return { json, value: value as Record<string, unknown> };
  }

  /** The key fields read during the scan, if every one was found as a plain string; undefined means "parse it". */
  private keyedValue(): Record<string, unknown> | undefined {
    const fields = this.keyFields;
    if (fields.length === 0 || this.mustParse) return undefined;
    const value: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const found = this.found[i];
      if (found === undefined) return undefined;
      value[fields[i]!] = found;
    }
    return value;
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
    if (this.state === NESTED) {
      if (this.purpose === ELEMENT) return `inside alert ${this.alertCount + 1}${this.inString ? ', in a string' : ''}`;
      return this.inString ? 'in a string' : 'inside a value';
    }
    if (this.state === ARRAY_FIRST || this.state === ARRAY_NEXT || this.state === ARRAY_ELEMENT) return 'the alerts array has no closing "]"';
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
 * Streams the alerts of one response body. Yields each element of the alert array as `{json, value}` as soon as its
 * closing brace arrives; returns `{nextLink}` (odata shape) when the body is complete. Errors from `body` pass
 * through unchanged; a malformed body is ApiError `api_invalid_body`, a cut one `api_truncated_body`.
 */
export async function* readJsonArray(
  body: AsyncIterable<Buffer>,
  shape: JsonBodyShape,
  options: JsonArrayOptions = {},
): AsyncGenerator<RawAlert, JsonArrayEnd> {
  const splitter = new JsonArraySplitter(shape, options);
  for await (const chunk of body) {
    for (const alert of splitter.push(chunk)) yield alert;
  }
  return splitter.end();
}
