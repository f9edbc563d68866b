/**
 * collectAlerts with several windows read at once: windows interleave their events, fail and are killed at random
 * points; every version still comes out, twice only through a killed run, and no checkpoint ever moves past a version
 * that is not out and flushed.
 */
import { expect } from 'chai';
import { formatApiTime, fromEpochMs, parseApiTime } from '../../../../src/defender/api-time.js';
import { fixedPoolSize } from '../../../../src/defender/window-pool.js';
import { collectAlerts } from '../../../../src/inputs/alerts/collect-alerts.js';
import type { AlertsSource, PageInfo, RawAlert, TimeWindow } from '../../../../src/ports.js';
import { DataSetSource, testConfig, versionKeyOf } from '../../../fakes/data-set-source.js';
import { ManualClock, MemoryCheckpointStore, MemoryLogger, MemorySink } from '../../../fakes/memory-ports.js';

/** Lets other windows run between items (a real source awaits the network there), and counts windows in flight. */
class InterleavingSource implements AlertsSource {
  active = 0;
  maxActive = 0;
  constructor(
    private readonly inner: DataSetSource,
    private readonly random: () => number,
  ) {}

  async *alerts(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (p: PageInfo) => void },
  ): AsyncGenerator<RawAlert> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      for await (const alert of this.inner.alerts(window, options)) {
        const hops = Math.floor(this.random() * 3);
        for (let i = 0; i < hops; i++) await new Promise((resolve) => setImmediate(resolve));
        yield alert;
      }
    } finally {
      this.active--;
    }
  }
}

const OVERLAP = 300n * 10_000_000n; // testConfig's overlapSeconds
const keyOfEvent = (data: string) => versionKeyOf(JSON.parse(data) as { id: string; lastUpdateDateTime: string });

describe('collectAlerts with windows read at once (pool of 4)', () => {
  it('loses nothing, duplicates only through kills, and never saves past an unflushed version', async function () {
    this.timeout(60_000);
    for (let seed = 1; seed <= 12; seed++) {
      let rnd = seed * 7919;
      const random = () => (rnd = (rnd * 48271) % 2147483647) / 2147483647;
      const clock = new ManualClock(Date.parse('2024-05-20T00:00:00Z'));
      const data = new DataSetSource(5);
      const source = new InterleavingSource(data, random);
      const sink = new MemorySink();
      const flushedVersions = new Set<string>();
      const flush = sink.flush.bind(sink);
      sink.flush = async () => {
        await flush();
        for (const e of sink.written.slice(0, sink.flushedCount)) flushedVersions.add(keyOfEvent(e.data));
      };
      const store = new MemoryCheckpointStore();
      const violations: string[] = [];
      const save = store.save.bind(store);
      store.save = async (key, doc) => {
        if (!store.dead) {
          // Everything the checkpoint claims is out is flushed already, and so is every version below the floor of the
          // next run's reads (watermark − overlap): nothing there can be read again.
          const d = doc as { watermark: string; seen: Record<string, string[]> };
          const watermark = parseApiTime(d.watermark)!;
          for (const [time, ids] of Object.entries(d.seen))
            for (const id of ids)
              if (!flushedVersions.has(`${id}@${parseApiTime(time)}`)) violations.push(`seen ${id}@${time} unflushed`);
          for (const a of data.alerts_.values()) {
            const v = versionKeyOf(a);
            if (parseApiTime(a.lastUpdateDateTime)! < watermark - OVERLAP && !flushedVersions.has(v))
              violations.push(`${v} below the read floor of watermark ${d.watermark} but not flushed`);
          }
        }
        await save(key, doc);
      };
      const config = testConfig({ startTime: { kind: 'relative', seconds: 10 * 86400 } });
      const limits = { targetItemsPerWindow: 40, initialSpanSeconds: 6 * 3600, maxOpenSpanSeconds: 3600 };
      let nextId = 0;
      const start = fromEpochMs(clock.ms - 10 * 86_400_000);
      for (let i = 0; i < 600; i++) data.upsert(`a${nextId++}`, start + BigInt(Math.floor(random() * 864e10)));
      let killedRuns = 0;
      for (let round = 0; round < 8; round++) {
        clock.ms += 60_000;
        const now = fromEpochMs(clock.ms);
        const ids = [...data.alerts_.keys()];
        for (let i = 0; i < 20; i++) data.upsert(ids[Math.floor(random() * ids.length)]!, now - BigInt(i));
        // New alerts, some arriving late but within the overlap (300 s).
        for (let i = 0; i < 10; i++) data.upsert(`a${nextId++}`, now - BigInt(Math.floor(random() * 29e8)));
        const crash = random();
        store.dead = false;
        data.failAfter = crash < 0.6 ? Math.floor(random() * 300) : undefined;
        const killed = crash < 0.3;
        data.onFail = killed ? () => (store.dead = true) : undefined;
        try {
          await collectAlerts({
            config,
            source,
            store,
            sink,
            log: new MemoryLogger(),
            clock,
            signal: new AbortController().signal,
            limits,
            pool: fixedPoolSize(4),
          });
        } catch (e) {
          expect((e as Error).message).to.equal('connection reset');
          if (killed) killedRuns++;
        }
      }
      clock.ms += 60_000;
      store.dead = false;
      data.failAfter = undefined;
      const last = await collectAlerts({
        config,
        source,
        store,
        sink,
        log: new MemoryLogger(),
        clock,
        signal: new AbortController().signal,
        limits,
        pool: fixedPoolSize(4),
      });
      expect(last.status).to.equal('ok');
      expect(violations, `seed ${seed}`).to.deep.equal([]);
      const emitted = sink.written.map((e) => keyOfEvent(e.data));
      const emittedSet = new Set(emitted);
      for (const v of new Set(data.served))
        expect(emittedSet.has(v), `seed ${seed}: ${v} never emitted`).to.equal(true);
      if (killedRuns === 0) expect(emitted.length, `seed ${seed}: duplicates without a kill`).to.equal(emittedSet.size);
      expect(source.maxActive, 'windows were read at once').to.be.at.least(3);
    }
  });

  it('writes each version once when windows are read at once, and commits every window in order', async () => {
    const clock = new ManualClock(Date.parse('2024-05-20T00:00:00Z'));
    const data = new DataSetSource(4);
    let rnd = 5;
    const random = () => (rnd = (rnd * 48271) % 2147483647) / 2147483647;
    const source = new InterleavingSource(data, random);
    const start = fromEpochMs(clock.ms - 5 * 86_400_000);
    for (let i = 0; i < 400; i++) data.upsert(`b${i}`, start + BigInt(i) * 1_000_000_000n);
    const store = new MemoryCheckpointStore();
    const watermarks: bigint[] = [];
    const save = store.save.bind(store);
    store.save = async (key, doc) => {
      watermarks.push(parseApiTime((doc as { watermark: string }).watermark)!);
      await save(key, doc);
    };
    const sink = new MemorySink();
    const result = await collectAlerts({
      config: testConfig({ startTime: { kind: 'relative', seconds: 6 * 86400 } }),
      source,
      store,
      sink,
      log: new MemoryLogger(),
      clock,
      signal: new AbortController().signal,
      limits: { targetItemsPerWindow: 30, initialSpanSeconds: 3 * 3600, maxOpenSpanSeconds: 3600 },
      pool: fixedPoolSize(3),
    });
    expect(result.status).to.equal('ok');
    expect(sink.written).to.have.length(400);
    expect(result.duplicates).to.equal(0);
    expect(source.maxActive).to.equal(3);
    // The open window (now − 300 s onwards) served nothing: the closed windows moved the watermark to its start.
    expect(formatApiTime(result.watermark)).to.equal(formatApiTime(fromEpochMs(clock.ms - 300_000)));
    expect(watermarks.length).to.be.at.least(2);
    for (let i = 1; i < watermarks.length; i++) expect(watermarks[i]! >= watermarks[i - 1]!).to.equal(true);
  });

  it('moves the watermark to the closed range end when the last stretch was folded into the open window', async () => {
    const clock = new ManualClock(Date.parse('2024-05-20T00:00:00Z'));
    const data = new DataSetSource(4);
    const start = fromEpochMs(clock.ms - 5 * 86_400_000);
    // 400 alerts, one every 18 minutes over five days: the latest is 18 minutes old.
    for (let i = 0; i < 400; i++) data.upsert(`b${i}`, start + BigInt(i) * 10_800_000_000n);
    const log = new MemoryLogger();
    const sink = new MemorySink();
    const result = await collectAlerts({
      config: testConfig({ startTime: { kind: 'relative', seconds: 6 * 86400 } }),
      source: data,
      store: new MemoryCheckpointStore(),
      sink,
      log,
      clock,
      signal: new AbortController().signal,
      limits: { targetItemsPerWindow: 30, initialSpanSeconds: 3 * 3600, maxOpenSpanSeconds: 3600, pageItems: 30 },
      pool: fixedPoolSize(3),
    });
    expect(result.status).to.equal('ok');
    expect(sink.written).to.have.length(400);
    const reads = log.lines.filter((l) => l.fields?.action === 'window_read').map((l) => l.fields!);
    const open = reads.find((f) => f.to === 'open')!;
    // The last stretch (under a page of alerts) went into the open window: it begins before now − 300 s and read
    // the alerts there.
    expect(parseApiTime(String(open.from))! < fromEpochMs(clock.ms - 3_600_000)).to.equal(true);
    expect(open.items).to.be.greaterThan(0);
    // Its latest alert is 18 minutes old, but it read everything up to now − 300 s, as a closed window would have.
    expect(formatApiTime(result.watermark)).to.equal(formatApiTime(fromEpochMs(clock.ms - 300_000)));
  });
});
