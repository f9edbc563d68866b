/**
 * The modular input end to end, for each api: the BUILT app's launcher run as splunkd runs it, reading from the
 * emulator over TLS, writing the XML stream that the harness parses strictly. Counts every version.
 */
import { expect } from 'chai';
import { generateAlerts } from '../emulator/generator.js';
import {
  assertNoSecrets,
  countBy,
  currentVersions,
  emittedVersions,
  KEY_FIELDS,
  newCheckpointDir,
  readCheckpoints,
  runStanza,
  servedVersions,
  SOURCETYPES,
  startE2e,
  type Api,
  type E2e,
} from './context.js';

const APIS: Api[] = ['graph', 'mde', 'siem'];

describe('defender_alerts end to end (built app, emulator, splunkd harness)', function () {
  this.timeout(180_000);
  let e2e: E2e;
  before(async () => {
    // Unordered MDE pages, and pages of 37 alerts so that alerts sharing one timestamp span several pages.
    e2e = await startE2e({ mdeOrder: 'unordered' }, '[collection]\npage_size = 37\n');
  });
  after(async () => e2e?.close());

  for (const api of APIS) {
    describe(`api=${api}`, () => {
      beforeEach(() => e2e.emu.store.clear());

      it('emits every served version exactly once over a multi-run backfill with ties, updates and late alerts', async () => {
        const { id: idField, time: timeField } = KEY_FIELDS[api];
        const now = Date.now();
        const checkpointDir = newCheckpointDir();
        const name = `backfill_${api}`;
        // 3 days of alerts, many sharing timestamps (more ties than fit in a page for small pages).
        e2e.emu.store.addAlerts(
          api,
          generateAlerts(api, {
            count: 400,
            seed: 7,
            from: now - 3 * 86_400_000,
            to: now - 60_000,
            tieGroups: 6,
            hostileEvery: 25,
          }),
        );
        const runs = [];
        runs.push(await runStanza(e2e, { name, api, checkpointDir }));
        expect(runs[0]!.exitCode, runs[0]!.stderrLines.join('\n')).to.equal(0);
        expect(runs[0]!.events).to.have.length(400);
        if (api !== 'siem')
          expect(
            e2e.emu.requests.filter((r) => r.service === api && /alerts(_v2)?$/.test(r.path)).length,
          ).to.be.greaterThan(400 / 37);

        // Updates: new versions of old alerts.
        const stored = e2e.emu.store.all(api);
        for (const item of stored.slice(0, 25))
          e2e.emu.store.updateAlert(
            api,
            String(item[idField]),
            api === 'siem' ? {} : { status: api === 'graph' ? 'inProgress' : 'InProgress' },
          );
        // Late arrivals: indexed late by the service, timed within the overlap; hidden during run 2.
        const late = generateAlerts(api, { count: 12, seed: 8, from: Date.now() - 200_000, to: Date.now() - 100_000 });
        e2e.emu.store.addHidden(api, late);
        runs.push(await runStanza(e2e, { name, api, checkpointDir }));
        expect(runs[1]!.exitCode, runs[1]!.stderrLines.join('\n')).to.equal(0);
        expect(runs[1]!.events).to.have.length(25);

        for (const item of late) e2e.emu.store.setVisible(api, String(item[idField]), true);
        // Ties with the newest version already emitted: same timestamp, new ids.
        const newest = e2e.emu.store
          .all(api)
          .filter((i) => !late.includes(i))
          .at(-1)!;
        e2e.emu.store.addAlerts(
          api,
          [1, 2, 3].map((n) => ({
            ...newest,
            [idField]: `${String(newest[idField])}-tie${n}`,
            [timeField]: newest[timeField],
          })),
        );
        runs.push(await runStanza(e2e, { name, api, checkpointDir }));
        expect(runs[2]!.exitCode, runs[2]!.stderrLines.join('\n')).to.equal(0);
        expect(runs[2]!.events).to.have.length(12 + 3);

        runs.push(await runStanza(e2e, { name, api, checkpointDir }));
        expect(runs[3]!.events).to.have.length(0);

        const emitted = runs.flatMap((r) => emittedVersions(api, r.events));
        const counts = countBy(emitted);
        const duplicates = [...counts].filter(([, n]) => n > 1);
        expect(duplicates, 'versions emitted more than once').to.deep.equal([]);
        const served = servedVersions(e2e, api);
        expect(served.size).to.equal(400 + 25 + 12 + 3);
        expect(new Set(emitted)).to.deep.equal(served);
        for (const v of currentVersions(e2e, api))
          expect(counts.has(v), `current version ${v} not emitted`).to.equal(true);

        // Events carry the contract's sourcetype and time, and the checkpoint is the versioned document.
        const first = runs[0]!.events[0]!;
        expect(first.sourcetype).to.equal(SOURCETYPES[api]);
        expect(first.stanza).to.equal(`defender_alerts://${name}`);
        expect(first.time).to.match(/^\d{10}\.\d{3,}$/);
        expect(first.index).to.equal(undefined);
        const [checkpoint] = Object.values(readCheckpoints(checkpointDir)) as { v: number; watermark: string }[];
        expect(checkpoint!.v).to.equal(2);
        expect(checkpoint!.watermark).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
        for (const run of runs) assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
        // The health dashboard's line.
        expect(runs[0]!.stderrLines.some((l) => /^INFO .*action=run_end .*n_events=400/.test(l))).to.equal(true);
      });

      it('loses nothing when runs are SIGKILLed at random points, once a clean run follows', async () => {
        const { id: idField } = KEY_FIELDS[api];
        const checkpointDir = newCheckpointDir();
        const name = `kill_${api}`;
        let seed = 11;
        const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
        const emitted: string[] = [];
        let killed = 0;
        for (let round = 0; round < 6; round++) {
          const now = Date.now();
          // Round 0 is a day of backlog; later rounds bring alerts timed up to 200 s in the past: late arrivals
          // within the 300 s overlap, which the contract promises to catch (older ones are out of its reach).
          const from = round === 0 ? now - 86_400_000 : now - 200_000;
          e2e.emu.store.addAlerts(
            api,
            generateAlerts(api, { count: 40, seed: 100 + round, from, to: now - 1_000, tieGroups: 8 }),
          );
          const ids = e2e.emu.store.all(api).map((i) => String(i[idField]));
          for (let i = 0; i < 5; i++) e2e.emu.store.updateAlert(api, ids[Math.floor(random() * ids.length)]!);
          const afterEvents = 1 + Math.floor(random() * 60);
          const run = await runStanza(e2e, { name, api, checkpointDir, kill: { signal: 'SIGKILL', afterEvents } });
          // A run with fewer than `afterEvents` events to write ends by itself, and must end cleanly.
          if (run.signal === 'SIGKILL') killed++;
          else expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
          emitted.push(...emittedVersions(api, run.events));
        }
        expect(killed, 'runs killed mid-stream').to.be.at.least(3);
        const clean = await runStanza(e2e, { name, api, checkpointDir });
        expect(clean.exitCode, clean.stderrLines.join('\n')).to.equal(0);
        emitted.push(...emittedVersions(api, clean.events));
        const emittedSet = new Set(emitted);
        // A version served to a run that was then killed before writing it, and updated before the next run, no
        // longer exists anywhere: its newer version stands for it. Every other served version must be there.
        const current = currentVersions(e2e, api);
        const currentById = new Map(
          [...current].map((v) => [v.slice(0, v.lastIndexOf('@')), BigInt(v.slice(v.lastIndexOf('@') + 1))]),
        );
        for (const v of servedVersions(e2e, api)) {
          const id = v.slice(0, v.lastIndexOf('@'));
          const superseded = currentById.get(id)! > BigInt(v.slice(v.lastIndexOf('@') + 1));
          expect(emittedSet.has(v) || superseded, `served version ${v} lost`).to.equal(true);
        }
        for (const v of current) expect(emittedSet.has(v), `current version ${v} lost`).to.equal(true);
      });
    });
  }

  it('stores a clear secret in splunkd, masks the stanza, and reads the secret back on the next run', async () => {
    const checkpointDir = newCheckpointDir();
    const first = await runStanza(e2e, { name: 'secret_flow', api: 'graph', checkpointDir });
    expect(first.exitCode, first.stderrLines.join('\n')).to.equal(0);
    const stored = [...e2e.splunkd.passwords.values()].find((p) => p.username === 'secret_flow');
    expect(stored?.realm).to.equal('TA-microsoft-defender');
    expect(stored?.app).to.equal('TA-microsoft-defender');
    const update = e2e.splunkd.inputUpdates.find((u) => u.name === 'secret_flow');
    expect(update?.scheme).to.equal('defender_alerts');
    expect(update?.params.client_secret).to.equal('<encrypted>');
    const second = await runStanza(e2e, {
      name: 'secret_flow',
      api: 'graph',
      checkpointDir,
      params: { client_secret: '<encrypted>' },
    });
    expect(second.exitCode, second.stderrLines.join('\n')).to.equal(0);
    expect(second.stderrLines.filter((l) => /^(ERROR|WARN)/.test(l))).to.deep.equal([]);
    assertNoSecrets([...first.stderrLines, ...second.stderrLines].join('\n'));
  });
});
