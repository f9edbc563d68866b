/** api=incidents through collectAlerts, with in-memory ports: incident versions and alert versions, once each. */
import { expect } from 'chai';
import { fromEpochMs, parseApiTime, TICKS_PER_SECOND } from '../../../../src/defender/api-time.js';
import { collectAlerts } from '../../../../src/inputs/alerts/collect-alerts.js';
import { IncidentDataSet, testConfig, versionKeyOf } from '../../../fakes/data-set-source.js';
import {
  ManualClock,
  MemoryCheckpointStore,
  MemoryLogger,
  MemorySink,
  type TextEvent,
} from '../../../fakes/memory-ports.js';

const INCIDENTS = 'ms:defender:graph:incidents';
const ALERTS = 'ms:defender:graph:alerts';
const config = (overrides: Parameters<typeof testConfig>[0] = {}) =>
  testConfig({ api: 'incidents', sourcetype: INCIDENTS, ...overrides });

function versions(events: TextEvent[], sourcetype: string): string[] {
  return events
    .filter((e) => e.sourcetype === sourcetype)
    .map((e) => versionKeyOf(JSON.parse(e.data) as { id: unknown; lastUpdateDateTime: unknown }));
}

describe('collectAlerts: api=incidents', () => {
  it('writes every incident version and alert version once across runs with updates, merges and failures', async () => {
    for (let seed = 1; seed <= 15; seed++) {
      let rnd = seed;
      const random = () => (rnd = (rnd * 48271) % 2147483647) / 2147483647;
      const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
      const data = new IncidentDataSet(1 + Math.floor(random() * 6));
      const store = new MemoryCheckpointStore();
      const sink = new MemorySink();
      let killedRuns = 0;
      let nextIncident = 0;
      let nextAlert = 0;
      const tick = () => fromEpochMs(clock.ms) + BigInt(Math.floor(random() * 10_000));
      for (let round = 0; round < 15; round++) {
        clock.ms += 60_000 + Math.floor(random() * 240_000);
        for (let i = 0, n = Math.floor(random() * 8); i < n; i++) {
          const kind = random();
          const incidents = [...data.incidents_.values()].filter((x) => x.status !== 'redirected');
          const any = incidents[Math.floor(random() * incidents.length)];
          if (kind < 0.25 && any) {
            data.upsertIncident(any.id, tick()); // updated, alerts unchanged
          } else if (kind < 0.45 && data.alerts_.size > 0) {
            const alerts = [...data.alerts_.values()];
            const alert = alerts[Math.floor(random() * alerts.length)]!;
            data.upsertAlert(alert.id, alert.incidentId, tick(), 'inProgress'); // the incident's time stays
          } else if (kind < 0.55 && incidents.length >= 2) {
            const other = incidents.find((x) => x.id !== any!.id)!;
            data.merge(any!.id, other.id, tick());
          } else {
            const id = `i${nextIncident++}`;
            const time = tick();
            for (let k = 0, m = 1 + Math.floor(random() * 3); k < m; k++) {
              data.upsertAlert(`a${nextAlert++}`, id, time - BigInt(1 + k) * TICKS_PER_SECOND);
            }
            data.upsertIncident(id, time);
          }
        }
        const crash = random();
        store.dead = false;
        data.failAfter = crash < 0.3 ? Math.floor(random() * 6) : undefined;
        const killed = crash < 0.15;
        data.onFail = killed
          ? () => {
              store.dead = true;
            }
          : undefined;
        try {
          await collectAlerts({
            config: config(),
            source: data,
            store,
            sink,
            log: new MemoryLogger(),
            clock,
            signal: new AbortController().signal,
          });
        } catch (e) {
          if (killed) killedRuns++;
          expect((e as Error).message).to.equal('connection reset');
        }
      }
      clock.ms += 60_000;
      store.dead = false;
      data.failAfter = undefined;
      await collectAlerts({
        config: config(),
        source: data,
        store,
        sink,
        log: new MemoryLogger(),
        clock,
        signal: new AbortController().signal,
      });
      const incidents = versions(sink.written, INCIDENTS);
      const alerts = versions(sink.written, ALERTS);
      for (const v of new Set(data.served)) expect(incidents, `seed ${seed}: incident ${v} lost`).to.include(v);
      for (const v of new Set(data.servedAlerts)) expect(alerts, `seed ${seed}: alert ${v} lost`).to.include(v);
      if (killedRuns === 0) {
        expect(incidents.length, `seed ${seed}: incident written twice`).to.equal(new Set(incidents).size);
        expect(alerts.length, `seed ${seed}: alert written twice`).to.equal(new Set(alerts).size);
      }
    }
  });

  it('writes alerts as graph alerts with their own time, and none with include_alerts false', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const data = new IncidentDataSet();
    const time = fromEpochMs(clock.ms - 60_000);
    data.upsertAlert('a1', 'i1', time - 10n);
    data.upsertIncident('i1', time);
    for (const includeAlerts of [true, false]) {
      const sink = new MemorySink();
      await collectAlerts({
        config: config({ includeAlerts, index: 'sec', host: 'hf1' }),
        source: data,
        store: new MemoryCheckpointStore(),
        sink,
        log: new MemoryLogger(),
        clock,
        signal: new AbortController().signal,
      });
      const alert = sink.written.find((e) => e.sourcetype === ALERTS);
      if (!includeAlerts) {
        expect(alert).to.equal(undefined);
        continue;
      }
      expect(alert).to.deep.include({ index: 'sec', host: 'hf1', stanza: 'defender_alerts://test' });
      expect(alert!.time).to.equal(
        `${(time - 10n) / TICKS_PER_SECOND}.${String((time - 10n) % TICKS_PER_SECOND).padStart(7, '0')}`,
      );
    }
  });

  it('replays the incidents of the range and the alerts inside them, each once', async () => {
    const clock = new ManualClock(Date.parse('2024-05-10T00:00:00Z'));
    const data = new IncidentDataSet(3);
    for (let d = 0; d < 4; d++) {
      const time = fromEpochMs(clock.ms - (4 - d) * 86_400_000 + 3_600_000);
      data.upsertAlert(`a${d}`, `i${d}`, time - 5n);
      data.upsertAlert(`b${d}`, `i${d}`, time - 6n);
      data.upsertIncident(`i${d}`, time);
    }
    const store = new MemoryCheckpointStore();
    const deps = { source: data, store, log: new MemoryLogger(), clock, signal: new AbortController().signal };
    await collectAlerts({
      ...deps,
      config: config({ startTime: { kind: 'relative', seconds: 5 * 86400 } }),
      sink: new MemorySink(),
    });
    clock.ms += 300_000;
    const sink = new MemorySink();
    const replay = await collectAlerts({
      ...deps,
      sink,
      config: config({ replayFrom: { text: '-2d', start: { kind: 'relative', seconds: 2 * 86400 } } }),
    });
    expect(replay.replay).to.deep.include({ done: true, events: 6 });
    expect(
      versions(sink.written, INCIDENTS)
        .map((v) => v.split('@')[0])
        .sort(),
    ).to.deep.equal(['i2', 'i3']);
    expect(
      versions(sink.written, ALERTS)
        .map((v) => v.split('@')[0])
        .sort(),
    ).to.deep.equal(['a2', 'a3', 'b2', 'b3']);
    expect(
      parseApiTime(data.incidents_.get('i2')!.lastUpdateDateTime)! >
        fromEpochMs(clock.ms) - 2n * 86_400n * TICKS_PER_SECOND,
    ).to.equal(true);
  });
});
