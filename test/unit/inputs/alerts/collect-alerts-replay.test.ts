/** replay_from through collectAlerts, with in-memory ports: what is written again, when, and how often. */
import { expect } from 'chai';
import type { ReplayFrom } from '../../../../src/config/types.js';
import { fromEpochMs, parseApiTime, TICKS_PER_SECOND } from '../../../../src/defender/api-time.js';
import { collectAlerts, type CollectResult } from '../../../../src/inputs/alerts/collect-alerts.js';
import { DataSetSource, testConfig } from '../../../fakes/data-set-source.js';
import { ManualClock, MemoryCheckpointStore, MemoryLogger, MemorySink } from '../../../fakes/memory-ports.js';

const DAY_MS = 86_400_000;
const KEY = 'defender_alerts://test';

const relative = (text: string, seconds: number): ReplayFrom => ({ text, start: { kind: 'relative', seconds } });

/** A tenant with one alert every hour for 5 days, collected once (start_time -6d), then the replay cases. */
function tenant() {
  const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
  const source = new DataSetSource(7);
  for (let h = 0; h < 5 * 24; h++) source.upsert(`a${h}`, fromEpochMs(clock.ms - 5 * DAY_MS + h * 3_600_000 + 17));
  const store = new MemoryCheckpointStore();
  const log = new MemoryLogger();
  /** The sink of the latest run (a run that throws leaves what it wrote there). */
  let sink = new MemorySink();
  const run = async (replayFrom?: ReplayFrom, limits?: { maxPagesPerRun?: number; targetItemsPerWindow?: number }) => {
    sink = new MemorySink();
    const result = await collectAlerts({
      config: testConfig({ startTime: { kind: 'relative', seconds: 6 * 86400 }, replayFrom }),
      source,
      store,
      sink,
      log,
      clock,
      signal: new AbortController().signal,
      limits: { targetItemsPerWindow: 10, ...limits },
    });
    return { result, ids: sink.written.map((e) => JSON.parse(e.data).id as string) };
  };
  const watermark = () => parseApiTime((JSON.parse(store.docs.get(KEY)!) as { watermark: string }).watermark)!;
  const checkpoint = () => JSON.parse(store.docs.get(KEY)!) as { v: number; replay?: Record<string, unknown> };
  const lastIds = () => sink.written.map((e) => JSON.parse(e.data).id as string);
  return { clock, source, store, log, run, watermark, checkpoint, lastIds };
}

/** The ids of the alerts whose time is in [from, watermark]. */
function idsIn(source: DataSetSource, from: bigint, watermark: bigint): string[] {
  return [...source.alerts_.values()]
    .filter((a) => parseApiTime(a.lastUpdateDateTime)! >= from && parseApiTime(a.lastUpdateDateTime)! <= watermark)
    .map((a) => a.id)
    .sort();
}

describe('collectAlerts: replay_from', () => {
  it('writes [replay_from, watermark] again, once, then carries on; the same value never again', async () => {
    const t = tenant();
    const first = await t.run();
    expect(first.ids).to.have.length(120);
    t.clock.ms += 300_000;
    const watermark = t.watermark();
    const replay = await t.run(relative('-2d', 2 * 86400));
    const from = fromEpochMs(t.clock.ms) - 2n * 86_400n * TICKS_PER_SECOND;
    const expected = idsIn(t.source, from, watermark);
    expect(expected.length).to.be.within(40, 50);
    expect([...replay.ids].sort(), 'the replay run writes exactly the range').to.deep.equal(expected);
    expect(replay.result.replay).to.deep.equal({ value: '-2d', done: true, events: expected.length });
    expect(replay.result.windows, 'the normal read still ran').to.be.greaterThan(0);
    expect(t.checkpoint().replay).to.deep.equal({ applied: '-2d' });
    // Later runs with the same value, with the field cleared, and with the value again: nothing.
    for (const setting of [relative('-2d', 2 * 86400), undefined, relative('-2d', 2 * 86400)]) {
      t.clock.ms += 300_000;
      const again = await t.run(setting);
      expect(again.ids).to.deep.equal([]);
      expect(again.result.replay).to.equal(undefined);
    }
    // A new value replays once more.
    t.clock.ms += 300_000;
    expect((await t.run(relative('-48h', 48 * 3600))).ids.length).to.be.within(40, 50);
    const starts = t.log.lines.filter((l) => l.fields?.action === 'replay_start');
    expect(starts.map((l) => l.fields?.replay)).to.deep.equal(['-2d', '-48h']);
  });

  it('writes new versions once as usual during a replay, and a version at the watermark once, not twice', async () => {
    const t = tenant();
    await t.run();
    t.clock.ms += 60_000;
    // New alerts after the watermark, and a late one inside the overlap below it, never written before.
    const watermark = t.watermark();
    t.source.upsert('new1', fromEpochMs(t.clock.ms - 30_000));
    t.source.upsert('late', watermark - 60n * TICKS_PER_SECOND);
    const replay = await t.run(relative('-1d', 86400));
    const counts = new Map<string, number>();
    for (const id of replay.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(
      [...counts.values()].every((n) => n === 1),
      'no id written twice in the run',
    ).to.equal(true);
    expect(counts.has('new1')).to.equal(true);
    expect(counts.has('late')).to.equal(true);
    t.clock.ms += 60_000;
    expect((await t.run(relative('-1d', 86400))).ids).to.deep.equal([]);
  });

  it('continues a replay stopped at the page cap on the next run, the range fixed when it started', async () => {
    const t = tenant();
    await t.run();
    t.clock.ms += 300_000;
    const from = fromEpochMs(t.clock.ms) - 3n * 86_400n * TICKS_PER_SECOND;
    const expected = idsIn(t.source, from, t.watermark());
    const written: string[] = [];
    const results: CollectResult[] = [];
    for (let i = 0; i < 20 && !results.at(-1)?.replay?.done; i++) {
      const run = await t.run(relative('-3d', 3 * 86400), { maxPagesPerRun: 3 });
      written.push(...run.ids);
      results.push(run.result);
      // Time passes between runs: the relative value must keep the range it had when the replay began.
      t.clock.ms += 3_600_000;
    }
    expect(results.length, 'runs the replay took').to.be.greaterThan(2);
    expect(results.slice(0, -1).every((r) => r.status === 'page_cap' && r.replay?.done === false)).to.equal(true);
    expect(results.at(-1)!.replay?.done).to.equal(true);
    expect([...written].sort(), 'every version of the range once over the runs').to.deep.equal(expected);
  });

  it('resumes a replay after a kill: nothing in the range lost, nothing outside it written again', async () => {
    const t = tenant();
    await t.run();
    t.clock.ms += 300_000;
    const from = fromEpochMs(t.clock.ms) - 2n * 86_400n * TICKS_PER_SECOND;
    const expected = idsIn(t.source, from, t.watermark());
    // SIGKILL after 25 items: nothing is saved after that point.
    t.source.failAfter = 25;
    t.source.onFail = () => {
      t.store.dead = true;
    };
    const killed = await t.run(relative('-2d', 2 * 86400)).catch(() => undefined);
    expect(killed).to.equal(undefined);
    const writtenBeforeKill = t.lastIds();
    expect(writtenBeforeKill).to.have.length(25);
    t.store.dead = false;
    t.source.failAfter = undefined;
    t.clock.ms += 600_000;
    const next = await t.run(relative('-2d', 2 * 86400));
    expect(next.result.replay?.done).to.equal(true);
    const all = new Set([...writtenBeforeKill, ...next.ids]);
    for (const id of expected) expect(all.has(id), `${id} of the range lost`).to.equal(true);
    for (const id of next.ids) expect(expected.includes(id), `${id} is outside the range`).to.equal(true);
    // The windows saved before the kill were not read again: fewer than the whole range, and the only versions
    // written twice are those of the window the kill cut.
    expect(next.ids.length).to.be.lessThan(expected.length);
    const twice = writtenBeforeKill.filter((id) => next.ids.includes(id));
    expect(twice.length).to.be.lessThan(25);
  });

  it('applies a value without replaying on the first run (nothing written yet) and past the checkpoint', async () => {
    const t = tenant();
    const first = await t.run(relative('-2d', 2 * 86400));
    expect(first.ids).to.have.length(120);
    expect(first.result.replay).to.equal(undefined);
    expect(t.checkpoint().replay).to.deep.equal({ applied: '-2d' });
    expect(t.log.lines.filter((l) => l.fields?.action === 'replay_skipped')).to.have.length(1);
    t.clock.ms += 300_000;
    const future = await t.run({
      text: '2030-01-01T00:00:00Z',
      start: { kind: 'absolute', time: parseApiTime('2030-01-01T00:00:00Z')! },
    });
    expect(future.ids).to.deep.equal([]);
    expect(t.checkpoint().replay).to.deep.equal({ applied: '2030-01-01T00:00:00Z' });
  });

  it('warns once when the replay reaches back further than Microsoft keeps alerts', async () => {
    const t = tenant();
    await t.run();
    t.clock.ms += 300_000;
    await t.run(relative('-200d', 200 * 86400));
    const warnings = t.log.lines.filter((l) => l.level === 'WARN' && l.fields?.action === 'replay_beyond_retention');
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.message).to.match(/-200d reaches back further than the 180 days/);
    t.clock.ms += 300_000;
    await t.run(relative('-200d', 200 * 86400));
    expect(t.log.lines.filter((l) => l.fields?.action === 'replay_beyond_retention')).to.have.length(1);
  });

  it('reads a version 1 checkpoint and writes version 2 with the replay applied', async () => {
    const t = tenant();
    await t.run();
    const doc = JSON.parse(t.store.docs.get(KEY)!) as Record<string, unknown>;
    t.store.docs.set(KEY, JSON.stringify({ ...doc, v: 1 }));
    t.clock.ms += 300_000;
    const replay = await t.run(relative('-1d', 86400));
    expect(replay.result.replay?.done).to.equal(true);
    expect(t.checkpoint().v).to.equal(2);
    expect(t.checkpoint().replay).to.deep.equal({ applied: '-1d' });
  });
});
