/**
 * The XML event stream on stdout
 * (https://dev.splunk.com/enterprise/docs/developapps/manageknowledge/custominputs/modinputsscript/): framing,
 * coalescing, backpressure, flush and EPIPE.
 */
import type { Writable } from 'node:stream';
import { StoppedError } from '../errors.js';
import type { EventSink, SplunkEvent } from '../ports.js';
import { EventBytesEncoder } from './event-bytes.js';
import { errorInfo } from '../toolkit/error-info.js';

/** Tuning of XmlEventWriter. */
export interface XmlEventWriterOptions {
  /** Events are coalesced into writes of about this many bytes (default 64 KiB). */
  chunkChars?: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;
const STREAM_OPEN = Buffer.from('<stream>');
const STREAM_CLOSE = Buffer.from('</stream>\n');
const EMPTY = Buffer.alloc(0);
const noop = () => {};

/**
 * Writes events as one `<stream>…</stream>` document. `<stream>` goes out with the first event, so a run with no
 * events writes nothing at all; `</stream>` on close().
 *
 * Each event is built as UTF-8 bytes straight into a staging buffer (event-bytes.ts: alert bytes are escaped as
 * bytes, never decoded). Small events are coalesced: the pending bytes are handed to the stream when ~64 KiB are
 * pending or on the next turn of the event loop (setImmediate), whichever comes first, so a burst of small events becomes a few large
 * writes while a slow trickle still reaches splunkd at once. flush() hands over what is pending and waits for its
 * write callback; since a Writable runs callbacks in order, that covers everything written before it.
 *
 * Once the stream fails (EPIPE: splunkd went away) or closes, every later write() and flush() rejects with
 * StoppedError, so the caller never saves a checkpoint for events that did not leave the process.
 */
export class XmlEventWriter implements EventSink {
  readonly #stream: Writable;
  readonly #chunkBytes: number;
  readonly #encoder = new EventBytesEncoder();
  /** Where events are built: bytes [0, #used) are pending. What was handed to the stream is never written again. */
  #staging: Buffer;
  #used = 0;
  #scheduled = false;
  #headerWritten = false;
  #closing: Promise<void> | undefined;
  #failure: StoppedError | undefined;
  #drain: Promise<void> | undefined;
  #rejectDrain: ((error: StoppedError) => void) | undefined;
  /** Settles with the write callback of the last chunk handed to the stream. */
  #lastWrite: Promise<void> = Promise.resolve();
  #events = 0;
  #bytes = 0;

  /** Takes over `stream` (normally stdout): it adds the 'error' listener that turns EPIPE into StoppedError. */
  constructor(stream: Writable, options: XmlEventWriterOptions = {}) {
    this.#stream = stream;
    this.#chunkBytes = options.chunkChars ?? DEFAULT_CHUNK_BYTES;
    this.#staging = EMPTY;
    stream.on('error', (error: NodeJS.ErrnoException) =>
      this.#fail(`stdout failed (${error.code ?? error.message}): splunkd stopped reading the event stream`),
    );
    stream.on('close', () => this.#fail('stdout was closed: splunkd stopped reading the event stream'));
  }

  /** Events accepted by write() so far. */
  get eventCount(): number {
    return this.#events;
  }

  /** UTF-8 bytes handed to the stream so far (framing included). */
  get byteCount(): number {
    return this.#bytes;
  }

  /** Queues one event. Returns a promise only when the stream is full (await it) or has failed (it rejects). */
  write(event: SplunkEvent): void | Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing)
      return Promise.reject(new StoppedError('The event stream is already closed; no event can follow </stream>.'));
    const size = this.#encoder.measure(event);
    if (!this.#headerWritten) {
      this.#reserve(STREAM_OPEN.length + size); // one write for both
      this.#append(STREAM_OPEN);
      this.#headerWritten = true;
    }
    this.#reserve(size);
    this.#used = this.#encoder.writeInto(this.#staging, this.#used);
    this.#events++;
    if (this.#used >= this.#chunkBytes) this.#writePending();
    else this.#schedule();
    // Ask the stream, not a flag of ours: a chunk written from setImmediate may fill the stream and drain again before
    // the next write(), and waiting then for a 'drain' that already happened would hang the run (and, with nothing
    // else left on the event loop, end the process with exit code 0 and no checkpoint).
    return this.#stream.writableNeedDrain ? this.#waitForDrain() : undefined;
  }

  /** Resolves once every event written so far has been handed to the OS; rejects with StoppedError if it cannot be. */
  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    this.#writePending();
    return this.#lastWrite;
  }

  /**
   * Writes `</stream>` (if `<stream>` was written) and resolves after its write callback: the caller may then let the
   * process exit without losing the tail. Idempotent. The stream itself is not ended (stdout belongs to the process).
   */
  close(): Promise<void> {
    if (!this.#closing) {
      if (this.#failure) {
        this.#closing = Promise.reject(this.#failure);
      } else {
        if (this.#headerWritten) {
          this.#append(STREAM_CLOSE);
        }
        this.#writePending();
        this.#closing = this.#lastWrite;
      }
      this.#closing.catch(noop);
    }
    return this.#closing;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#writePending();
    });
  }

  /** Makes room for `size` more bytes: hands over what is pending if it does not fit, and grows for a large event. */
  #reserve(size: number): void {
    if (this.#used + size <= this.#staging.length) return;
    this.#writePending();
    if (size > this.#staging.length) {
      this.#staging = Buffer.allocUnsafe(Math.max(2 * this.#chunkBytes, size));
      this.#used = 0;
    }
  }

  #append(bytes: Buffer): void {
    this.#reserve(bytes.length);
    this.#used += bytes.copy(this.#staging, this.#used);
  }

  #writePending(): void {
    if (this.#used === 0 || this.#failure) return;
    const chunk = this.#staging.subarray(0, this.#used);
    // The stream keeps the chunk until it is written: what is left of the buffer after it takes the next events (a
    // trickle of small writes shares one allocation), or a new buffer once less than a chunk is left.
    const rest = this.#staging.subarray(this.#used);
    this.#staging = rest.length >= this.#chunkBytes ? rest : EMPTY;
    this.#used = 0;
    this.#bytes += chunk.length;
    const written = new Promise<void>((resolve, reject) => {
      this.#stream.write(chunk, (error) => {
        if (!error) return resolve();
        this.#fail(
          `stdout failed (${errorInfo(error).code ?? error.message}): splunkd stopped reading the event stream`,
        );
        reject(this.#failure ?? error);
      });
    });
    written.catch(noop); // observed through flush()/close(); never an unhandled rejection
    this.#lastWrite = written;
  }

  #waitForDrain(): Promise<void> {
    this.#drain ??= new Promise<void>((resolve, reject) => {
      this.#rejectDrain = reject;
      this.#stream.once('drain', () => {
        this.#drain = undefined;
        this.#rejectDrain = undefined;
        resolve();
      });
    });
    return this.#drain;
  }

  #fail(reason: string): void {
    if (this.#failure) return;
    this.#failure = new StoppedError(reason);
    this.#used = 0;
    this.#rejectDrain?.(this.#failure);
    this.#drain?.catch(noop);
  }
}
