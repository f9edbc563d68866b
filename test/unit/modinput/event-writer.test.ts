import { expect } from 'chai';
import { Writable } from 'node:stream';
import { StoppedError } from '../../../src/errors.js';
import { XmlEventWriter } from '../../../src/modinput/event-writer.js';
import type { SplunkEvent } from '../../../src/ports.js';
import { parseSplunkStream } from '../../helpers/stream-parser.js';

/** A Writable that records chunks and completes each write only when the test says so (a slow splunkd). */
class ControlledWritable extends Writable {
  readonly chunks: string[] = [];
  /**
   * 'sync': the OS takes every write at once; 'later': on the next turn (a busy reader); 'held': when the test says.
   */
  completion: 'sync' | 'later' | 'held';
  failWith: NodeJS.ErrnoException | undefined;
  #held: Array<(error?: Error | null) => void> = [];

  constructor(options: { highWaterMark?: number; completion?: 'sync' | 'later' | 'held' } = {}) {
    super({ highWaterMark: options.highWaterMark ?? 1 << 20, decodeStrings: false });
    this.completion = options.completion ?? 'sync';
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failWith) return callback(this.failWith);
    this.chunks.push(String(chunk));
    if (this.completion === 'sync') callback();
    else if (this.completion === 'later') setImmediate(callback);
    else this.#held.push(callback);
  }

  get heldCount(): number {
    return this.#held.length;
  }

  /** Completes the held write (the OS took it); Node then passes the next buffered chunk, which is held again. */
  completeOne(): void {
    this.#held.shift()?.();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

const event = (n: number, data = `{"n":${n}}`): SplunkEvent => ({
  stanza: 'defender_alerts://prod',
  time: `${1714557600 + n}.000`,
  sourcetype: 'ms:defender:graph:alerts',
  data,
});
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

describe('modinput/event-writer', () => {
  it('frames events in one <stream> document: opened with the first event, closed by close()', async () => {
    const out = new ControlledWritable();
    const writer = new XmlEventWriter(out);
    await writer.write(event(1));
    await writer.write(event(2));
    await writer.close();
    expect(out.text.startsWith('<stream><event ')).to.equal(true);
    expect(out.text.match(/<stream>/g)).to.have.length(1);
    const parsed = parseSplunkStream(out.text);
    expect(parsed.closed).to.equal(true);
    expect(parsed.events.map((e) => e.data)).to.deep.equal(['{"n":1}', '{"n":2}']);
  });

  it('writes nothing at all for a run without events', async () => {
    const out = new ControlledWritable();
    await new XmlEventWriter(out).close();
    expect(out.text).to.equal('');
  });

  it('coalesces a burst of small events into few writes, handed over on the next turn without a flush', async () => {
    const out = new ControlledWritable();
    const writer = new XmlEventWriter(out, { chunkChars: 4096 });
    for (let n = 0; n < 3; n++) expect(writer.write(event(n))).to.equal(undefined);
    expect(out.chunks).to.have.length(0);
    await nextTurn();
    expect(out.chunks).to.have.length(1);
    expect(parseSplunkStream(`${out.text}</stream>`).events).to.have.length(3);
    // Backpressure is ignored on purpose here: close() must still flush everything in few chunks.
    for (let n = 3; n < 1000; n++) void writer.write(event(n));
    await writer.close();
    expect(out.chunks.length).to.be.at.most(Math.ceil(out.text.length / 4096) + 2);
    expect(parseSplunkStream(out.text).events).to.have.length(1000);
  });

  it('returns a promise only when the stream reports backpressure, and resolves it on drain', async () => {
    const out = new ControlledWritable({ highWaterMark: 64, completion: 'held' });
    const writer = new XmlEventWriter(out, { chunkChars: 1 });
    const first = writer.write(event(1)); // handed over at once (chunkChars 1); 100+ chars exceed the 64-byte mark
    expect(first).to.be.instanceOf(Promise);
    let drained = false;
    void (first as Promise<void>).then(() => {
      drained = true;
    });
    await nextTurn();
    expect(drained).to.equal(false);
    out.completeOne();
    await nextTurn();
    expect(drained).to.equal(true);
    const roomy = new XmlEventWriter(new ControlledWritable());
    expect(roomy.write(event(1))).to.equal(undefined);
  });

  it('does not wait for a drain that already happened between two writes (a coalesced write filled the stream)', async () => {
    const out = new ControlledWritable({ highWaterMark: 64, completion: 'held' });
    const writer = new XmlEventWriter(out);
    expect(writer.write(event(1))).to.equal(undefined); // coalesced: handed over on the next turn
    await nextTurn(); // that write exceeds the 64-byte mark: the stream needs a drain
    expect(out.writableNeedDrain).to.equal(true);
    out.completeOne();
    await nextTurn(); // drained, with nobody waiting
    expect(out.writableNeedDrain).to.equal(false);
    // Waiting now would wait for a 'drain' that never comes again: the run would hang.
    expect(writer.write(event(2))).to.equal(undefined);
    const closing = writer.close();
    while (out.heldCount > 0 || out.writableLength > 0) {
      out.completeOne();
      await nextTurn();
    }
    await closing;
    expect(parseSplunkStream(out.text).events.map((e) => e.data)).to.deep.equal(['{"n":1}', '{"n":2}']);
  });

  it('resolves flush() only after the write callbacks of everything written before it', async () => {
    const out = new ControlledWritable({ completion: 'held' });
    const writer = new XmlEventWriter(out);
    void writer.write(event(1));
    void writer.write(event(2));
    let flushed = false;
    const flushing = writer.flush().then(() => {
      flushed = true;
    });
    await nextTurn();
    expect(flushed).to.equal(false);
    while (out.heldCount > 0) {
      out.completeOne();
      await nextTurn();
    }
    await flushing;
    expect(flushed).to.equal(true);
    expect(parseSplunkStream(out.text).events).to.have.length(2);
  });

  it('resolves flush() at once when nothing was written, even on an output that never completes a write', async () => {
    const flush = new XmlEventWriter(new ControlledWritable({ completion: 'held' })).flush().then(() => 'flushed');
    expect(await Promise.race([flush, nextTurn().then(() => 'still waiting')])).to.equal('flushed');
  });

  it('turns EPIPE into StoppedError for flush(), every later write() and close()', async () => {
    const out = new ControlledWritable();
    out.failWith = epipe();
    const writer = new XmlEventWriter(out);
    void writer.write(event(1));
    const flushError = await writer.flush().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(flushError)
      .to.be.instanceOf(StoppedError)
      .with.property('message')
      .that.matches(/EPIPE.*splunkd stopped reading/);
    const writeError = await Promise.resolve(writer.write(event(2))).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(writeError).to.be.instanceOf(StoppedError);
    const closeError = await writer.close().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(closeError).to.be.instanceOf(StoppedError);
  });

  it('rejects a pending backpressure wait when the stream fails meanwhile', async () => {
    const out = new ControlledWritable({ highWaterMark: 16, completion: 'held' });
    const writer = new XmlEventWriter(out, { chunkChars: 1 });
    const waiting = writer.write(event(1)) as Promise<void>;
    out.destroy(epipe());
    const error = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(StoppedError);
  });

  it('refuses events after close(), and close() is idempotent', async () => {
    const out = new ControlledWritable();
    const writer = new XmlEventWriter(out);
    await writer.write(event(1));
    await writer.close();
    await writer.close();
    expect(out.text.match(/<\/stream>/g)).to.have.length(1);
    const error = await Promise.resolve(writer.write(event(2))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error)
      .to.be.instanceOf(StoppedError)
      .with.property('message')
      .that.matches(/already closed/);
  });

  it('counts events and UTF-8 bytes for the run statistics', async () => {
    const out = new ControlledWritable();
    const writer = new XmlEventWriter(out);
    await writer.write(event(1, '{"title":"f\u00FCr \u{1F600}"}'));
    await writer.write(event(2));
    await writer.close();
    expect(writer.eventCount).to.equal(2);
    expect(writer.byteCount).to.equal(Buffer.byteLength(out.text));
  });

  it('streams 50,000 events through a busy pipe, waiting on backpressure, without losing or reordering any', async () => {
    const out = new ControlledWritable({ highWaterMark: 16 * 1024, completion: 'later' });
    const writer = new XmlEventWriter(out);
    let waits = 0;
    for (let n = 0; n < 50_000; n++) {
      const pending = writer.write(event(n));
      if (pending) {
        waits++;
        await pending;
      }
    }
    await writer.close();
    const { events, closed } = parseSplunkStream(out.text);
    expect(closed).to.equal(true);
    expect(events).to.have.length(50_000);
    expect(events.every((e, n) => e.data === `{"n":${n}}`)).to.equal(true);
    expect(waits).to.be.greaterThan(0);
  });
});
