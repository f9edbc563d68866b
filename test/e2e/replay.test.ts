/**
 * replay_from end to end, for each api: the BUILT app's launcher run as splunkd runs it, against the emulator.
 *
 * Four days of alerts with none within 10 minutes of "two days ago", so that `-2d` has one meaning whenever the run
 * starts. A replay of `-2d` writes exactly the versions of the last two days again, once; the same value again
 * writes nothing. A replay SIGKILLed midway continues on the next run: nothing of the range lost, nothing outside it
 * written again, and only the versions of the window the kill cut written twice.
 */
import { expect } from 'chai';
import { parseApiTime } from '../../src/defender/api-time.js';
import { generateAlerts } from '../emulator/generator.js';
import type { InputResult } from '../harness/splunkd-harness.js';
import {
  assertNoSecrets,
  countBy,
  currentVersions,
  emittedAlertVersions,
  emittedVersions,
  newCheckpointDir,
  runStanza,
  startE2e,
  type Api,
  type E2e,
} from './context.js';

const APIS: Api[] = ['graph', 'mde', 'siem', 'incidents'];
const DAY = 86_400_000;
const MARGIN = 10 * 60_000;

const ticksOf = (version: string) => BigInt(version.slice(version.lastIndexOf('@') + 1));

function runEnd(run: InputResult): string {
  return run.stderrLines.find((l) => /^(INFO|ERROR) .*action=run_end /.test(l)) ?? run.stderrLines.join('\n');
}

describe('defender_alerts replay_from (built app, emulator, splunkd harness)', function () {
  this.timeout(180_000);
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e({ mdeOrder: 'unordered' }, '[collection]\npage_size = 37\n');
  });
  after(async () => e2e?.close());

  APIS.forEach((api, apiIndex) => {
    describe(`api=${api}`, () => {
      let boundary: bigint;
      beforeEach(() => {
        e2e.emu.store.clear();
        const now = Date.now();
        const seed = 500 + apiIndex * 10;
        const older = generateAlerts(api, { count: 150, seed, from: now - 4 * DAY, to: now - 2 * DAY - MARGIN });
        const newer = generateAlerts(api, {
          count: 100,
          seed: seed + 1,
          from: now - 2 * DAY + MARGIN,
          to: now - 60_000,
        });
        e2e.emu.store.addAlerts(api, [...older, ...newer]);
        boundary = parseApiTime(new Date(now - 2 * DAY).toISOString())!;
      });

      /** Every version of the last two days (all of them were written by the first run). */
      const lastTwoDays = () => new Set([...currentVersions(e2e, api)].filter((v) => ticksOf(v) >= boundary));
      /** api incidents: the alerts inside the incidents of the last two days (the replay writes them too). */
      const alertsOfLastTwoDays = (): Set<string> => {
        if (api !== 'incidents') return new Set();
        const ids = new Set([...lastTwoDays()].map((v) => v.slice(0, v.lastIndexOf('@'))));
        return new Set([...ids].flatMap((id) => e2e.emu.store.alertsOfIncident(id).map((a) => `${a.key}@${a.time}`)));
      };

      it('writes the last two days again, exactly once, and never again for the same value', async () => {
        const checkpointDir = newCheckpointDir();
        const name = `replay_${api}`;
        const first = await runStanza(e2e, { name, api, checkpointDir });
        expect(first.exitCode, first.stderrLines.join('\n')).to.equal(0);
        expect(emittedVersions(api, first.events)).to.have.length(250);

        const replay = await runStanza(e2e, { name, api, checkpointDir, params: { replay_from: '-2d' } });
        expect(replay.exitCode, replay.stderrLines.join('\n')).to.equal(0);
        const written = emittedVersions(api, replay.events);
        const expected = lastTwoDays();
        expect(expected.size).to.equal(100);
        expect(
          [...countBy(written)].filter(([, n]) => n > 1),
          'written twice by the replay',
        ).to.deep.equal([]);
        expect(new Set(written)).to.deep.equal(expected);
        const alerts = api === 'incidents' ? emittedAlertVersions(replay.events) : [];
        const expectedAlerts = alertsOfLastTwoDays();
        expect(
          [...countBy(alerts)].filter(([, n]) => n > 1),
          'alerts written twice',
        ).to.deep.equal([]);
        expect(new Set(alerts), 'the alerts inside the replayed incidents').to.deep.equal(expectedAlerts);
        const total = expected.size + expectedAlerts.size;
        expect(runEnd(replay)).to.match(
          new RegExp(`^INFO .*status=ok .*n_events=${total} .*replay=-2d replay_done=true replay_events=${total}`),
        );
        expect(replay.stderrLines.some((l) => /^INFO .*action=replay_start .*replay=-2d/.test(l))).to.equal(true);
        expect(
          replay.stderrLines.filter((l) => /^WARN /.test(l)),
          'a two-day replay is within retention',
        ).to.deep.equal([]);

        const again = await runStanza(e2e, { name, api, checkpointDir, params: { replay_from: '-2d' } });
        expect(again.exitCode).to.equal(0);
        expect(again.events).to.have.length(0);
        expect(runEnd(again)).to.not.match(/replay=/);
        for (const run of [first, replay, again]) assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
        process.stderr.write(
          `      replay api=${api} range_versions=${expected.size} replay_events=${replay.events.length} ` +
            `(alerts inside incidents ${alerts.length}) duplicates=0 outside_range=0 ` +
            `same_value_again=${again.events.length}\n`,
        );
      });

      it('continues a replay SIGKILLed midway: nothing of the range lost, none outside it written again', async () => {
        const checkpointDir = newCheckpointDir();
        const name = `replay_kill_${api}`;
        const first = await runStanza(e2e, { name, api, checkpointDir });
        expect(first.exitCode, first.stderrLines.join('\n')).to.equal(0);
        const params = { replay_from: '-2d' };
        const killed = await runStanza(e2e, {
          name,
          api,
          checkpointDir,
          params,
          kill: { signal: 'SIGKILL', afterEvents: 45 },
        });
        expect(killed.signal).to.equal('SIGKILL');
        const clean = await runStanza(e2e, { name, api, checkpointDir, params });
        expect(clean.exitCode, clean.stderrLines.join('\n')).to.equal(0);
        expect(runEnd(clean)).to.match(/replay=-2d replay_done=true/);

        const expected = lastTwoDays();
        const fromKilled = emittedVersions(api, killed.events);
        const fromClean = emittedVersions(api, clean.events);
        expect(killed.events.length).to.be.at.least(45);
        expect(fromKilled.length).to.be.greaterThan(0);
        const lost = [...expected].filter((v) => !fromKilled.includes(v) && !fromClean.includes(v));
        expect(lost, 'versions of the range lost').to.deep.equal([]);
        const outside = [...fromKilled, ...fromClean].filter((v) => !expected.has(v));
        expect(outside, 'versions outside the range written again').to.deep.equal([]);
        expect(
          [...countBy(fromClean)].filter(([, n]) => n > 1),
          'written twice by the clean run',
        ).to.deep.equal([]);
        const twice = fromClean.filter((v) => fromKilled.includes(v));
        // The windows the killed run saved are not read again: only the window it was in is written twice.
        expect(twice.length, 'written by both runs').to.be.below(fromKilled.length);
        expect(fromClean.length, 'the clean run did not start the replay over').to.be.below(expected.size);

        if (api === 'incidents') {
          const expectedAlerts = alertsOfLastTwoDays();
          const alertsKilled = emittedAlertVersions(killed.events);
          const alertsClean = emittedAlertVersions(clean.events);
          const alertsLost = [...expectedAlerts].filter((v) => !alertsKilled.includes(v) && !alertsClean.includes(v));
          expect(alertsLost, 'alerts of the range lost').to.deep.equal([]);
          const alertsOutside = [...alertsKilled, ...alertsClean].filter((v) => !expectedAlerts.has(v));
          expect(alertsOutside, 'alerts outside the range written again').to.deep.equal([]);
          expect(
            [...countBy(alertsClean)].filter(([, n]) => n > 1),
            'alerts twice in the clean run',
          ).to.deep.equal([]);
        }

        const idle = await runStanza(e2e, { name, api, checkpointDir, params });
        expect(idle.events).to.have.length(0);
        process.stderr.write(
          `      replay-kill api=${api} range_versions=${expected.size} killed_run_events=` +
            `${fromKilled.length} clean_run_events=${fromClean.length} written_twice=${twice.length} lost=0 ` +
            `outside_range=0\n`,
        );
      });
    });
  });
});
