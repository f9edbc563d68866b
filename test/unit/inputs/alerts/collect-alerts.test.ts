import { expect } from 'chai';
import { collectAlerts } from '../../../../src/inputs/alerts/collect-alerts.js';
import type { DefenderInputConfig } from '../../../../src/config/types.js';
import { fromEpochMs, parseApiTime } from '../../../../src/defender/api-time.js';
import { CheckpointError } from '../../../../src/errors.js';
import { keyFieldsOf } from '../../../../src/defender/alert-version.js';
import { readJsonArray } from '../../../../src/defender/json-array-stream.js';
import type { AlertsSource } from '../../../../src/ports.js';
import { DataSetSource, testConfig } from '../../../fakes/data-set-source.js';
import { ManualClock, MemoryCheckpointStore, MemoryLogger, MemorySink } from '../../../fakes/memory-ports.js';

function config(overrides: Partial<DefenderInputConfig> = {}): DefenderInputConfig {
  return testConfig(overrides);
}

const versionsOf = (sink: MemorySink) =>
  sink.written.map((e) => {
    const a = JSON.parse(e.data);
    return `${a.id}@${parseApiTime(a.lastUpdateDateTime)}`;
  });

describe('collectAlerts', () => {
  it('emits every version once across runs with ties, updates, late arrivals and failures', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      let rnd = seed;
      const random = () => (rnd = (rnd * 48271) % 2147483647) / 2147483647;
      const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
      const source = new DataSetSource(1 + Math.floor(random() * 9));
      const store = new MemoryCheckpointStore();
      const sink = new MemorySink();
      const log = new MemoryLogger();
      let killedRuns = 0;
      let nextId = 0;
      const tick = () => fromEpochMs(clock.ms) + BigInt(Math.floor(random() * 10_000)); // sub-ms precision
      for (let round = 0; round < 15; round++) {
        clock.ms += 60_000 + Math.floor(random() * 240_000);
        const now = fromEpochMs(clock.ms);
        const tieTime = tick();
        for (let i = 0, n = Math.floor(random() * 12); i < n; i++) {
          const kind = random();
          const ids = [...source.alerts_.keys()];
          // An update (a new version), ties on one timestamp, a late alert within the overlap, a new alert.
          if (kind < 0.3 && ids.length) source.upsert(ids[Math.floor(random() * ids.length)]!, tick());
          else if (kind < 0.5) source.upsert(`a${nextId++}`, tieTime);
          else if (kind < 0.65) source.upsert(`a${nextId++}`, now - BigInt(Math.floor(random() * 290)) * 10_000_000n);
          else source.upsert(`a${nextId++}`, tick());
        }
        const crash = random();
        store.dead = false;
        source.failAfter = crash < 0.3 ? Math.floor(random() * 10) : undefined;
        const killed = crash < 0.15;
        // SIGKILL: the process dies at the failure point, so nothing is saved after it.
        source.onFail = killed
          ? () => {
              store.dead = true;
            }
          : undefined;
        try {
          const signal = new AbortController().signal;
          await collectAlerts({ config: config(), source, store, sink, log, clock, signal });
        } catch (e) {
          if (killed) killedRuns++;
          expect((e as Error).message).to.equal('connection reset');
        }
      }
      // A final clean run picks up everything.
      clock.ms += 60_000;
      store.dead = false;
      source.failAfter = undefined;
      await collectAlerts({ config: config(), source, store, sink, log, clock, signal: new AbortController().signal });
      const emitted = versionsOf(sink);
      const served = new Set(source.served);
      const emittedSet = new Set(emitted);
      for (const v of served) {
        expect(emittedSet.has(v), `seed ${seed}: served version ${v} never emitted`).to.equal(true);
      }
      const current = [...source.alerts_.values()].map((a) => `${a.id}@${parseApiTime(a.lastUpdateDateTime)}`);
      for (const v of current) {
        expect(emittedSet.has(v), `seed ${seed}: current version ${v} never emitted`).to.equal(true);
      }
      if (killedRuns === 0) expect(emitted.length, `seed ${seed}: duplicates without a kill`).to.equal(emittedSet.size);
    }
  });

  it('emits nothing twice when a run fails midway and the next run resumes', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const source = new DataSetSource(3);
    const t0 = fromEpochMs(clock.ms - 3_600_000);
    for (let i = 0; i < 20; i++) source.upsert(`x${i}`, t0 + BigInt(i % 4)); // four ties groups, 100 ns apart
    const store = new MemoryCheckpointStore();
    const sink = new MemorySink();
    const log = new MemoryLogger();
    source.failAfter = 11;
    let failed = false;
    const shortRange = config({ startTime: { kind: 'relative', seconds: 7200 } }); // one open window
    const signal = new AbortController().signal;
    await collectAlerts({ config: shortRange, source, store, sink, log, clock, signal }).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
    expect(sink.written).to.have.length(11);
    expect(store.saves).to.equal(1); // the partial save of what was flushed
    source.failAfter = undefined;
    const result = await collectAlerts({ config: shortRange, source, store, sink, log, clock, signal });
    expect(sink.written).to.have.length(20);
    expect(new Set(versionsOf(sink)).size).to.equal(20);
    expect(result.duplicates).to.equal(11);
  });

  it('keeps the old checkpoint when the output pipe broke (flush fails)', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const source = new DataSetSource(3);
    source.upsert('a', fromEpochMs(clock.ms - 1000));
    const store = new MemoryCheckpointStore();
    const sink = new MemorySink();
    sink.failFlush = true;
    let error: unknown;
    const log = new MemoryLogger();
    const signal = new AbortController().signal;
    await collectAlerts({ config: config(), source, store, sink, log, clock, signal }).catch((e) => {
      error = e;
    });
    expect(String(error)).to.match(/EPIPE/);
    expect(store.saves).to.equal(0);
  });

  it('reports the lag as how far behind now everything was read, not the age of the newest alert', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const source = new DataSetSource();
    source.upsert('quiet', fromEpochMs(clock.ms - 3 * 3_600_000)); // a quiet tenant: newest alert 3 hours old
    const deps = {
      source,
      store: new MemoryCheckpointStore(),
      sink: new MemorySink(),
      log: new MemoryLogger(),
      clock,
      signal: new AbortController().signal,
    };
    const slowSource: AlertsSource = {
      alerts: (window, options) => {
        clock.ms += 4_000; // the run takes 4 s
        return source.alerts(window, options);
      },
    };
    const fourHours = config({ startTime: { kind: 'relative', seconds: 4 * 3600 } });
    const first = await collectAlerts({ ...deps, source: slowSource, config: fourHours });
    expect(first.status).to.equal('ok');
    expect(first.lagSeconds).to.equal(4);
    clock.ms += 300_000;
    const next = await collectAlerts({ ...deps, source: slowSource, config: config() });
    expect(next.events).to.equal(0);
    expect(next.lagSeconds).to.equal(4);
  });

  it('reports the lag of a run stopped at the page cap from where it stopped, not as caught up', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const source = new DataSetSource(10);
    for (let i = 0; i < 400; i++) source.upsert(`b${i}`, fromEpochMs(clock.ms - 6 * 86_400_000 + i * 1_000_000));
    const result = await collectAlerts({
      config: config({ startTime: { kind: 'relative', seconds: 7 * 86400 } }),
      source,
      store: new MemoryCheckpointStore(),
      sink: new MemorySink(),
      log: new MemoryLogger(),
      clock,
      signal: new AbortController().signal,
      limits: { targetItemsPerWindow: 50, maxPagesPerRun: 12 },
    });
    expect(result.status).to.equal('page_cap');
    expect(result.windows).to.be.greaterThan(0);
    // Some closed windows are done, the backfill is not: days behind, less than the 7 days it started at.
    expect(result.lagSeconds)
      .to.be.greaterThan(86_400)
      .and.lessThan(7 * 86_400);
  });

  it('stops at the page cap with a warning and continues on the next run', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const source = new DataSetSource(2);
    for (let i = 0; i < 10; i++) source.upsert(`p${i}`, fromEpochMs(clock.ms - 10_000 + i));
    const store = new MemoryCheckpointStore();
    const sink = new MemorySink();
    const log = new MemoryLogger();
    const shortRange = config({ startTime: { kind: 'relative', seconds: 7200 } }); // one open window
    const deps = { config: shortRange, source, store, sink, log, clock, signal: new AbortController().signal };
    const first = await collectAlerts({ ...deps, limits: { maxPagesPerRun: 2 } });
    expect(first.status).to.equal('page_cap');
    expect(log.lines.some((l) => l.level === 'WARN' && l.fields?.action === 'page_cap')).to.equal(true);
    expect(sink.written).to.have.length(4);
    await collectAlerts({ ...deps, limits: { maxPagesPerRun: 100 } });
    expect(new Set(versionsOf(sink)).size).to.equal(10);
    expect(sink.written).to.have.length(10);
  });

  it('emits alerts without a usable id or time anyway, one WARN each naming the field, and keys the rest', async () => {
    // One open window (start_time -10m), as a normal run reads: the fake source serves everything in it.
    const now = Date.parse('2024-05-01T12:05:00Z');
    const t = '2024-05-01T12:00:00.1234567Z';
    const items = [
      { id: 'good', lastUpdateDateTime: t },
      { lastUpdateDateTime: t, title: 'no id' },
      { id: 42, lastUpdateDateTime: t },
      { id: 'no-time' },
      { id: 'bad-time', lastUpdateDateTime: 'yesterday' },
    ];
    const body = Buffer.from(JSON.stringify({ value: items }));
    // The real splitter, with the key fields the Graph source asks for: the odd alerts take its JSON.parse path.
    const source: AlertsSource = {
      async *alerts() {
        yield* readJsonArray(
          (async function* () {
            yield body;
          })(),
          'odata',
          { keyFields: keyFieldsOf('graph') },
        );
      },
    };
    const store = new MemoryCheckpointStore();
    const run = async () => {
      const sink = new MemorySink();
      const log = new MemoryLogger();
      const result = await collectAlerts({
        config: config({ startTime: { kind: 'relative', seconds: 600 } }),
        source,
        store,
        sink,
        log,
        clock: new ManualClock(now),
        signal: new AbortController().signal,
      });
      expect(result.windows).to.equal(1);
      const warnings = log.lines.filter((l) => l.level === 'WARN' && l.fields?.action === 'invalid_alert');
      return { result, sink, warnings: warnings.map((l) => l.message) };
    };
    const first = await run();
    expect(first.sink.written.map((e) => e.data)).to.deep.equal(items.map((i) => JSON.stringify(i)));
    expect(first.sink.written.map((e) => e.time)).to.deep.equal([
      '1714564800.1234567',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(first.result.invalid).to.equal(4);
    expect(first.warnings).to.have.length(4);
    expect(first.warnings[0]).to.match(/"id" is missing/);
    expect(first.warnings[1]).to.match(/"id" is 42/);
    expect(first.warnings[2]).to.match(/alert no-time: "lastUpdateDateTime" is missing/);
    expect(first.warnings[3]).to.match(
      /alert bad-time: "lastUpdateDateTime" is "yesterday", which is not an ISO-8601 time/,
    );
    // The keyed alert is not emitted again; the unkeyed ones cannot be told apart from new ones, so they are.
    const second = await run();
    expect(second.sink.written.map((e) => JSON.parse(e.data).id)).to.deep.equal([undefined, 42, 'no-time', 'bad-time']);
  });

  it('reports a corrupt checkpoint instead of starting over', async () => {
    const store = new MemoryCheckpointStore();
    store.docs.set('defender_alerts://test', JSON.stringify({ v: 1, watermark: 'yesterday', seen: {} }));
    let error: unknown;
    await collectAlerts({
      config: config(),
      source: new DataSetSource(),
      store,
      sink: new MemorySink(),
      log: new MemoryLogger(),
      clock: new ManualClock(0),
      signal: new AbortController().signal,
    }).catch((e) => {
      error = e;
    });
    expect(error).to.be.instanceOf(CheckpointError);
  });

  it('backfills in closed windows and saves the checkpoint after each', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const source = new DataSetSource(50);
    for (let i = 0; i < 500; i++) source.upsert(`b${i}`, fromEpochMs(clock.ms - 6 * 86_400_000 + i * 1_000_000));
    const store = new MemoryCheckpointStore();
    const sink = new MemorySink();
    const result = await collectAlerts({
      config: config({ startTime: { kind: 'relative', seconds: 7 * 86400 } }),
      source,
      store,
      sink,
      log: new MemoryLogger(),
      clock,
      signal: new AbortController().signal,
      limits: { targetItemsPerWindow: 50 },
    });
    expect(result.events).to.equal(500);
    expect(result.windows).to.be.greaterThan(3);
    expect(store.saves).to.equal(result.windows);
  });
});
