/**
 * Chaos and graceful stop, for each api: the BUILT app's launcher run as splunkd runs it, against the emulator.
 *
 * Chaos: 30 seeded rounds of new alerts (fresh ones, updates, ties on one timestamp, late arrivals within the overlap),
 * each followed by a run that is SIGKILLed at a varying instant (at spawn, during start-up and token fetch, after N
 * events) or left to finish; then clean runs. Contract §2.3: every served version is emitted at least once, crashes
 * included; outside a crash none twice. What that means run by run is checked from the outside only: the stdout of
 * each run, the checkpoint file it left, and what the emulator served while it ran.
 *
 * SIGTERM: splunkd's stop. Not a crash, so the run exits 0 with its stream closed, saves what it flushed, and the next
 * run emits exactly the rest: no version lost, none twice.
 */
import { expect } from 'chai';
import { floorToMs, formatApiTime, fromEpochMs, parseApiTime } from '../../src/defender/api-time.js';
import { generateAlerts, prng } from '../emulator/generator.js';
import type { InputResult } from '../harness/splunkd-harness.js';
import {
  assertNoSecrets,
  countBy,
  currentVersions,
  emittedAlertVersions,
  emittedVersions,
  KEY_FIELDS,
  newCheckpointDir,
  readCheckpoints,
  runStanza,
  seenVersions,
  servedVersions,
  startE2e,
  type Api,
  type E2e,
} from './context.js';

const APIS: Api[] = ['graph', 'mde', 'siem', 'incidents'];
const ROUNDS = 30;
const OVERLAP_TICKS = 300n * 10_000_000n; // overlap_seconds = 300 (context.ts stanzaParams)

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

const idOf = (version: string) => version.slice(0, version.lastIndexOf('@'));
const ticksOf = (version: string) => BigInt(version.slice(version.lastIndexOf('@') + 1));

/** The single checkpoint document of a one-stanza checkpoint dir, or undefined before the first save. */
function checkpointOf(dir: string): { watermark: bigint; seen: Set<string> } | undefined {
  const docs = Object.values(readCheckpoints(dir)) as { watermark: string; seen: Record<string, string[]> }[];
  expect(docs.length, 'checkpoint files for one stanza').to.be.at.most(1);
  const doc = docs[0];
  if (!doc) return undefined;
  return { watermark: parseApiTime(doc.watermark)!, seen: seenVersions(doc) };
}

/** Served versions with how often list responses delivered them whole (cumulative). */
function servedCounts(e2e: E2e, api: Api): Map<string, number> {
  return new Map(e2e.emu.served(api).map((v) => [`${v.id}@${parseApiTime(v.time)}`, v.count]));
}

/** api incidents: alert versions served inside incidents, with how often (cumulative). */
function servedAlertCounts(e2e: E2e): Map<string, number> {
  return new Map(e2e.emu.servedIncidentAlerts().map((v) => [`${v.id}@${parseApiTime(v.time)}`, v.count]));
}

function firstFew(list: string[], n = 8): string {
  return list.length <= n ? list.join(', ') : `${list.slice(0, n).join(', ')} … (${list.length} in all)`;
}

function runEnd(run: InputResult): string | undefined {
  return run.stderrLines.find((l) => /^(INFO|ERROR) .*action=run_end /.test(l));
}

type KillPlan =
  | { kind: 'none' }
  | { kind: 'spawn'; afterMs: number }
  | { kind: 'startup'; afterMs: number }
  | { kind: 'events'; afterEvents: number };

function describePlan(plan: KillPlan): string {
  if (plan.kind === 'none') return 'no kill';
  if (plan.kind === 'events') return `SIGKILL after ${plan.afterEvents} events`;
  return `SIGKILL after ${plan.afterMs} ms (${plan.kind})`;
}

describe('defender_alerts under chaos and on SIGTERM (built app, emulator, splunkd harness)', function () {
  this.timeout(300_000);
  let e2e: E2e;
  before(async () => {
    // As input.test.ts: unordered MDE pages, and pages of 37 so that ties span pages and a run spans many requests.
    e2e = await startE2e({ mdeOrder: 'unordered' }, '[collection]\npage_size = 37\n');
  });
  after(async () => e2e?.close());

  APIS.forEach((api, apiIndex) => {
    describe(`api=${api}`, () => {
      beforeEach(() => {
        e2e.emu.store.clear();
        e2e.emu.setLatency({});
      });

      it(`loses nothing and duplicates only through killed runs over ${ROUNDS} seeded rounds of SIGKILL chaos`, async () => {
        const { id: idField, time: timeField } = KEY_FIELDS[api];
        const store = e2e.emu.store;
        const checkpointDir = newCheckpointDir();
        const name = `chaos_${api}`;
        const random = prng(0xc4a05 + apiIndex);

        // Kill instants, shuffled: left to finish, killed at spawn (before node even starts), during start-up and
        // token fetch or the first pages (a delay), after N complete events.
        const kinds: KillPlan['kind'][] = shuffle(
          [
            ...Array<'none'>(6).fill('none'),
            ...Array<'spawn'>(3).fill('spawn'),
            ...Array<'startup'>(7).fill('startup'),
            ...Array<'events'>(14).fill('events'),
          ],
          random,
        );

        const emitted = new Map<string, number[]>(); // version → indexes of the runs that emitted it
        const runs: { round: number; plan: string; killed: boolean; events: number }[] = [];
        const emittedSoFar = new Set<string>();
        const emittedByClean = new Set<string>();
        const checkpointed = new Set<string>(); // every version any checkpoint ever held
        const servedToClean = new Set<string>();
        const violations: string[] = [];
        let hidden: Record<string, unknown>[] = [];
        // api incidents: the same bookkeeping for the alerts found inside incidents.
        const alertEmitted = new Map<string, number[]>();
        const alertsEmittedSoFar = new Set<string>();
        const alertsEmittedByClean = new Set<string>();
        const alertsServedToClean = new Set<string>();

        const doRun = async (round: number, plan: KillPlan) => {
          const before = servedCounts(e2e, api);
          const alertsBefore = servedAlertCounts(e2e);
          const kill =
            plan.kind === 'none'
              ? undefined
              : plan.kind === 'events'
                ? { signal: 'SIGKILL' as const, afterEvents: plan.afterEvents }
                : { signal: 'SIGKILL' as const, afterMs: plan.afterMs };
          const run = await runStanza(e2e, { name, api, checkpointDir, kill });
          assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
          const index = runs.length;
          const killed = run.signal !== null;
          const label = `round ${round} (${describePlan(plan)}, run ${killed ? 'killed' : 'finished'})`;
          runs.push({ round, plan: describePlan(plan), killed, events: run.events.length });
          if (!killed) {
            expect(run.exitCode, `${label}: exit code; stderr:\n${run.stderrLines.join('\n')}`).to.equal(0);
            expect(run.closed, `${label}: </stream> written`).to.equal(true);
            expect(runEnd(run), `${label}: run_end line`).to.match(/^INFO .*status=ok /);
          }
          const versions = emittedVersions(api, run.events);
          const inRun = new Set<string>();
          for (const v of versions) {
            // Within one run a version is never written twice, killed or not.
            if (inRun.has(v)) violations.push(`${label}: emitted ${v} twice in the same run`);
            inRun.add(v);
            // Once a checkpoint held a version, no run may emit it again: it was flushed and saved.
            if (checkpointed.has(v))
              violations.push(`${label}: re-emitted ${v}, which a saved checkpoint already held`);
            // Once a run that finished emitted a version, no later run may emit it again: only a crash re-emits.
            if (emittedByClean.has(v))
              violations.push(`${label}: re-emitted ${v}, which a run that finished had emitted`);
            emitted.set(v, [...(emitted.get(v) ?? []), index]);
            emittedSoFar.add(v);
            if (!killed) emittedByClean.add(v);
          }
          if (!killed) {
            // A run that finished read every page it was served to the end: each version served is emitted now or was
            // before.
            for (const [v, count] of servedCounts(e2e, api)) {
              if (count === (before.get(v) ?? 0)) continue;
              servedToClean.add(v);
              if (!emittedSoFar.has(v)) violations.push(`${label}: was served ${v} and did not emit it`);
            }
          }
          if (api === 'incidents') {
            const inRunAlerts = new Set<string>();
            for (const v of emittedAlertVersions(run.events)) {
              if (inRunAlerts.has(v)) violations.push(`${label}: emitted alert ${v} twice in the same run`);
              inRunAlerts.add(v);
              if (alertsEmittedByClean.has(v)) {
                violations.push(`${label}: re-emitted alert ${v}, which a run that finished had emitted`);
              }
              alertEmitted.set(v, [...(alertEmitted.get(v) ?? []), index]);
              alertsEmittedSoFar.add(v);
              if (!killed) alertsEmittedByClean.add(v);
            }
            if (!killed) {
              for (const [v, count] of servedAlertCounts(e2e)) {
                if (count === (alertsBefore.get(v) ?? 0)) continue;
                alertsServedToClean.add(v);
                if (!alertsEmittedSoFar.has(v)) {
                  violations.push(`${label}: was served alert ${v} inside an incident and did not emit it`);
                }
              }
            }
          }
          // The checkpoint on disk (old or new, whatever the kill left) holds only versions already out on stdout.
          const checkpoint = checkpointOf(checkpointDir);
          for (const v of checkpoint?.seen ?? []) {
            if (!emittedSoFar.has(v))
              violations.push(`${label}: checkpoint holds ${v}, which no run emitted (saved before flushing?)`);
            checkpointed.add(v);
          }
          return run;
        };

        for (let round = 0; round < ROUNDS; round++) {
          const now = Date.now();
          // Late arrivals of the previous round appear now, timed 30–120 s in the past: within the 300 s overlap.
          for (const item of hidden) store.setVisible(api, String(item[idField]), true);
          hidden = [];

          // New alerts: a day of backlog first (closed windows), then alerts of the last 200 s, often on few instants.
          const count = round === 0 ? 40 : 5 + Math.floor(random() * 20);
          const from = round === 0 ? now - 86_400_000 : now - 200_000;
          const tieGroups = round === 0 ? 8 : random() < 0.5 ? 1 + Math.floor(random() * 3) : undefined;
          store.addAlerts(
            api,
            generateAlerts(api, { count, seed: 1000 + round, from, to: now - 1_000, tieGroups, approxBytes: 800 }),
          );

          const visible = store.all(api);
          // Updates: new versions of existing alerts; in half the rounds they all share one new timestamp.
          const nUpdates = round === 0 ? 0 : Math.floor(random() * 6);
          const chosen = new Set<string>();
          while (chosen.size < Math.min(nUpdates, visible.length))
            chosen.add(String(visible[Math.floor(random() * visible.length)]![idField]));
          let sharedTime: string | undefined;
          if (random() < 0.5 && chosen.size > 0) {
            let t = fromEpochMs(now);
            for (const id of chosen) {
              const current = parseApiTime(String(store.get(api, id)![timeField]))!;
              if (current >= t) t = current + 1n;
            }
            sharedTime = formatApiTime(t);
          }
          for (const id of chosen) store.updateAlert(api, id, api === 'siem' ? {} : { severity: 'high' }, sharedTime);

          if (api === 'incidents' && round > 0) {
            // Alerts updated while their incident's lastUpdateDateTime stays, and now and then a merge.
            const alerts = store.all('graph');
            for (let n = Math.floor(random() * 3); n > 0; n--) {
              const alertId = String(alerts[Math.floor(random() * alerts.length)]!.id);
              store.updateAlert('graph', alertId, { status: 'inProgress' });
            }
            const open = store.all('incidents').filter((i) => i.status !== 'redirected');
            if (random() < 0.3 && open.length >= 2) {
              const from = open[Math.floor(random() * open.length)]!;
              const into = open.find((i) => i.id !== from.id)!;
              store.mergeIncidents(String(from.id), String(into.id), { touchAlerts: random() < 0.5 });
            }
          }

          // Ties with the newest version (often the watermark itself): same timestamp, new ids.
          if (random() < 0.5) {
            const newest = store.all(api).at(-1)!;
            const nTies = 1 + Math.floor(random() * 3);
            store.addAlerts(
              api,
              Array.from({ length: nTies }, (_, n) => ({
                ...newest,
                [idField]: `${String(newest[idField])}-r${round}t${n}`,
                [timeField]: newest[timeField],
              })),
            );
          }

          // Late arrivals: indexed late by the service, hidden during this round's run.
          if (round > 0 && random() < 0.5) {
            hidden = generateAlerts(api, {
              count: 1 + Math.floor(random() * 5),
              seed: 2000 + round,
              from: now - 120_000,
              to: now - 30_000,
              approxBytes: 800,
            });
            store.addHidden(api, hidden);
          }

          // The read floor is watermark − overlap rounded down to the millisecond: a version just below the exact
          // bound but inside that millisecond is read again every run, so `seen` must keep it (it once did not).
          if (round > 0 && random() < 0.3) {
            const pair = generateAlerts(api, {
              count: 2,
              seed: 3000 + round,
              from: now - 100_000,
              to: now - 1_000,
              approxBytes: 800,
            });
            const onMs = floorToMs(fromEpochMs(now) - 2995n * 1_000_000n); // now − 299.5 s, on a whole millisecond
            pair[0]![timeField] = formatApiTime(onMs);
            pair[1]![timeField] = formatApiTime(onMs + OVERLAP_TICKS + 500n); // 300 s + 50 µs later: the next watermark
            store.addAlerts(api, pair);
          }

          const kind = kinds[round]!;
          const plan: KillPlan =
            kind === 'none'
              ? { kind }
              : kind === 'spawn'
                ? { kind, afterMs: Math.floor(random() * 5) }
                : kind === 'startup'
                  ? { kind, afterMs: 40 + Math.floor(random() * 360) }
                  : { kind, afterEvents: 1 + Math.floor(random() * (count + chosen.size + 4)) };
          await doRun(round, plan);
        }

        // Whatever is still hidden arrives, then clean runs: the first catches up, the second has nothing left.
        for (const item of hidden) store.setVisible(api, String(item[idField]), true);
        // The boundary pair's B is up to 0.5 s in the future, and the SIEM exporter serves nothing newer than its now:
        // let every stored version be in the past first, or B would reach only the idle run.
        const newest = Math.max(
          ...store.all(api).map((item) => Number(parseApiTime(String(item[timeField]))! / 10_000n)),
        );
        if (newest >= Date.now()) await new Promise((resolve) => setTimeout(resolve, newest - Date.now() + 50));
        const clean = await doRun(ROUNDS, { kind: 'none' });
        const idle = await doRun(ROUNDS + 1, { kind: 'none' });
        expect(clean.signal).to.equal(null);
        expect(idle.signal).to.equal(null);

        const totalEmissions = [...emitted.values()].reduce((n, list) => n + list.length, 0);
        const duplicated = [...emitted].filter(([, list]) => list.length > 1);
        const duplicates = totalEmissions - emitted.size;
        const killedRuns = runs.filter((r) => r.killed);
        const summary =
          `api=${api} rounds=${ROUNDS} runs=${runs.length} killed=${killedRuns.length} ` +
          `killed_before_first_event=${killedRuns.filter((r) => r.events === 0).length} versions=${emitted.size} ` +
          `emissions=${totalEmissions} duplicates=${duplicates} duplicated_versions=${duplicated.length}`;
        process.stderr.write(`      chaos ${summary}\n`);

        expect(violations, `${summary}\n${firstFew(violations, 5)}`).to.deep.equal([]);
        expect(idle.events, `${summary}: a run with nothing new emitted events`).to.have.length(0);
        // A duplicate needs a crash: every emission but the last of a version came from a killed run.
        for (const [v, list] of duplicated) {
          for (const i of list.slice(0, -1))
            expect(
              runs[i]!.killed,
              `${summary}: ${v} emitted by runs ${list.join(', ')}; run ${i} was not killed`,
            ).to.equal(true);
        }

        // Nothing lost. A version served only to killed runs and updated before any run emitted it exists nowhere any
        // more: its newer version stands for it. Every other served version, and every current one, was emitted.
        const current = currentVersions(e2e, api);
        const currentById = new Map([...current].map((v) => [idOf(v), ticksOf(v)]));
        const lost = [...servedVersions(e2e, api)].filter((v) => {
          if (emitted.has(v)) return false;
          const superseded = currentById.get(idOf(v))! > ticksOf(v);
          return !superseded || servedToClean.has(v);
        });
        expect(lost, `${summary}: served versions lost: ${firstFew(lost)}`).to.deep.equal([]);
        const missing = [...current].filter((v) => !emitted.has(v));
        expect(missing, `${summary}: current versions never emitted: ${firstFew(missing)}`).to.deep.equal([]);

        if (api === 'incidents') {
          const alertEmissions = [...alertEmitted.values()].reduce((n, list) => n + list.length, 0);
          const alertsDuplicated = [...alertEmitted].filter(([, list]) => list.length > 1);
          process.stderr.write(
            `      chaos api=incidents alert_versions=${alertEmitted.size} alert_emissions=${alertEmissions} ` +
              `alert_duplicates=${alertEmissions - alertEmitted.size}\n`,
          );
          for (const [v, list] of alertsDuplicated) {
            for (const i of list.slice(0, -1)) {
              const why = `${summary}: alert ${v} emitted by runs ${list.join(', ')}; run ${i} was not killed`;
              expect(runs[i]!.killed, why).to.equal(true);
            }
          }
          const currentAlerts = currentVersions(e2e, 'graph');
          const currentAlertById = new Map([...currentAlerts].map((v) => [idOf(v), ticksOf(v)]));
          const servedAlerts = new Set(e2e.emu.servedIncidentAlerts().map((v) => `${v.id}@${parseApiTime(v.time)}`));
          const lostAlerts = [...servedAlerts].filter((v) => {
            if (alertEmitted.has(v)) return false;
            const superseded = currentAlertById.get(idOf(v))! > ticksOf(v);
            return !superseded || alertsServedToClean.has(v);
          });
          const why = `${summary}: alert versions served inside incidents and lost: ${firstFew(lostAlerts)}`;
          expect(lostAlerts, why).to.deep.equal([]);
        }

        // The chaos did happen: kills before any event and kills after some.
        expect(
          killedRuns.some((r) => r.events === 0),
          summary,
        ).to.equal(true);
        expect(
          killedRuns.some((r) => r.events > 0),
          summary,
        ).to.equal(true);
      });

      it('stops cleanly on SIGTERM (exit 0, </stream>, progress saved) and the next run emits exactly the rest', async () => {
        const { id: idField } = KEY_FIELDS[api];
        const store = e2e.emu.store;
        const checkpointDir = newCheckpointDir();
        const name = `sigterm_${api}`;
        const runs: InputResult[] = [];
        // Bodies arrive over time, as from Microsoft: a whole SIEM array (one page of ~1 MB) delivered at once is
        // written out in one go (stdout on a pipe is synchronous), so the SIGTERM sent after 400 events could only be
        // seen once every event was out, and the run would not be stopped "in the middle" this test is about.
        e2e.emu.setLatency({ [api]: { bytesPerSecond: 2_000_000 } });

        /** A SIGTERMed run: what splunkd sees of a graceful stop, and the checkpoint it must leave. */
        const stoppedRun = async (afterEvents: number, total: number) => {
          const run = await runStanza(e2e, { name, api, checkpointDir, kill: { signal: 'SIGTERM', afterEvents } });
          runs.push(run);
          const stderr = run.stderrLines.join('\n');
          expect(run.signal, `killed by a signal instead of stopping; stderr:\n${stderr}`).to.equal(null);
          expect(run.exitCode, stderr).to.equal(0);
          expect(run.closed, '</stream> written').to.equal(true);
          expect(run.events.length).to.be.at.least(afterEvents);
          expect(emittedVersions(api, run.events).length, 'stopped before the end').to.be.below(total);
          expect(
            run.stderrLines.some((l) => /^INFO .*action=stop .*signal=SIGTERM/.test(l)),
            stderr,
          ).to.equal(true);
          const end = runEnd(run);
          expect(end, stderr).to.match(/^INFO .*action=run_end .*status=stopped /);
          expect(end, 'n_events of run_end is what went out on stdout').to.include(` n_events=${run.events.length} `);
          expect(
            run.stderrLines.filter((l) => /^(ERROR|FATAL) /.test(l)),
            stderr,
          ).to.deep.equal([]);
          // Progress saved for everything flushed: each version emitted is in the checkpoint's seen set, or below where
          // the next run reads from (watermark − overlap, floored to the ms as the window planner does); and seen holds
          // nothing unflushed.
          const checkpoint = checkpointOf(checkpointDir);
          expect(checkpoint, 'a checkpoint was saved').to.not.equal(undefined);
          const emittedSoFar = new Set(runs.flatMap((r) => emittedVersions(api, r.events)));
          const nextReadFrom = floorToMs(checkpoint!.watermark - OVERLAP_TICKS);
          const uncovered = emittedVersions(api, run.events).filter(
            (v) => !checkpoint!.seen.has(v) && ticksOf(v) >= nextReadFrom,
          );
          expect(uncovered, 'emitted before the stop but not in the checkpoint').to.deep.equal([]);
          expect(
            [...checkpoint!.seen].filter((v) => !emittedSoFar.has(v)),
            'checkpoint holds versions never emitted',
          ).to.deep.equal([]);
          return run;
        };
        const cleanRun = async () => {
          const run = await runStanza(e2e, { name, api, checkpointDir });
          runs.push(run);
          expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
          expect(run.closed).to.equal(true);
          expect(runEnd(run)).to.match(/^INFO .*status=ok /);
          return run;
        };

        // Phase 1, a backfill: a day of alerts read in closed windows, stopped in the middle of one.
        const now = Date.now();
        store.addAlerts(
          api,
          generateAlerts(api, {
            count: 3000,
            seed: 31,
            from: now - 86_400_000,
            to: now - 60_000,
            tieGroups: 40,
            approxBytes: 600,
          }),
        );
        const first = await stoppedRun(800, 3000);
        const second = await cleanRun();
        const ownCount = (run: InputResult) => emittedVersions(api, run.events).length;
        expect(ownCount(first) + ownCount(second), 'events of the stopped run and the next one').to.equal(3000);

        // Phase 2, a normal run (one open window): new alerts over the last 4 minutes, some older than the watermark
        // (late, within the overlap), and updates; stopped again, then a clean run.
        const later = Date.now();
        const phase1Ids = new Set(store.all(api).map((i) => String(i[idField])));
        store.addAlerts(
          api,
          generateAlerts(api, {
            count: 1500,
            seed: 32,
            from: later - 240_000,
            to: later - 1_000,
            tieGroups: 20,
            approxBytes: 600,
          }),
        );
        // Every 60th alert gets a new version; of a new alert, only the updated version is ever served.
        const ids = store.all(api).map((i) => String(i[idField]));
        for (let i = 0; i < ids.length; i += 60) store.updateAlert(api, ids[i]!);
        const updates = ids.filter((id, i) => i % 60 === 0 && phase1Ids.has(id)).length;
        expect(updates).to.be.greaterThan(0);
        await stoppedRun(400, 1500 + updates);
        await cleanRun();
        const idle = await cleanRun();
        expect(idle.events, 'a run with nothing new').to.have.length(0);

        for (const run of runs) assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
        const all = runs.flatMap((r) => emittedVersions(api, r.events));
        const counts = new Map<string, number>();
        for (const v of all) counts.set(v, (counts.get(v) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
        expect(twice, 'versions emitted more than once across SIGTERMed and clean runs').to.deep.equal([]);
        expect(all.length).to.equal(3000 + 1500 + updates);
        // The union of the runs is exactly what the API served, every current version included.
        expect(new Set(all)).to.deep.equal(servedVersions(e2e, api));
        for (const v of currentVersions(e2e, api))
          expect(counts.has(v), `current version ${v} not emitted`).to.equal(true);
        if (api === 'incidents') {
          // Every alert version served inside an incident, once across the stopped and clean runs.
          const alerts = runs.flatMap((r) => emittedAlertVersions(r.events));
          const alertsTwice = [...countBy(alerts)].filter(([, n]) => n > 1);
          expect(alertsTwice, 'alert versions emitted more than once').to.deep.equal([]);
          const served = e2e.emu.servedIncidentAlerts().map((v) => `${v.id}@${parseApiTime(v.time)}`);
          expect(new Set(alerts)).to.deep.equal(new Set(served));
        }
      });
    });
  });
});

/**
 * SIGKILL while several windows are in flight: a backfill of many closed windows, read by the input's pool (several
 * windows at once, events written as they come, the checkpoint moved only past windows complete and flushed, in
 * order), killed after a varying number of events, with updates between runs; then a clean run.
 */
describe('defender_alerts killed with several windows in flight (built app, emulator)', function () {
  this.timeout(300_000);
  const ROUNDS_IN_FLIGHT = 8;
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e({ mdeOrder: 'unordered' }, '[collection]\npage_size = 37\n');
    // A little latency per page, so that windows read at once really overlap (a local server answers at once).
    e2e.emu.setLatency({ graph: { ttfbMs: 15 }, mde: { ttfbMs: 15 }, siem: { ttfbMs: 15 }, incidents: { ttfbMs: 15 } });
  });
  after(async () => e2e?.close());

  APIS.forEach((api, apiIndex) => {
    it(`api=${api}: loses nothing and duplicates only through the killed runs`, async () => {
      const { id: idField } = KEY_FIELDS[api];
      e2e.emu.store.clear();
      const checkpointDir = newCheckpointDir();
      const random = prng(0x1f11 + apiIndex);
      const now = Date.now();
      e2e.emu.store.addAlerts(
        api,
        generateAlerts(api, {
          count: 1500,
          seed: 77 + apiIndex,
          from: now - 6 * 86_400_000,
          to: now - 600_000,
          approxBytes: 600,
        }),
      );
      const emittedBy = new Map<string, number[]>();
      const killed: boolean[] = [];
      const checkpointed = new Set<string>();
      const violations: string[] = [];
      let interleavedRuns = 0;
      for (let round = 0; round <= ROUNDS_IN_FLIGHT; round++) {
        const clean = round === ROUNDS_IN_FLIGHT;
        if (round === 4) {
          // New versions of some alerts between runs.
          const ids = e2e.emu.store.all(api).map((a) => String(a[idField]));
          for (let i = 0; i < 40; i++) {
            const id = ids[Math.floor(random() * ids.length)]!;
            e2e.emu.store.updateAlert(api, id, api === 'siem' ? {} : { severity: 'high' });
          }
        }
        const firstRequest = e2e.emu.requests.length;
        const run = await runStanza(e2e, {
          name: `inflight_${api}`,
          api,
          checkpointDir,
          kill: clean ? undefined : { signal: 'SIGKILL', afterEvents: 30 + Math.floor(random() * 500) },
        });
        const index = killed.length;
        const wasKilled = run.signal !== null;
        killed.push(wasKilled);
        if (clean) expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
        const inRun = new Set<string>();
        for (const v of emittedVersions(api, run.events)) {
          if (inRun.has(v)) violations.push(`run ${index}: ${v} twice in one run`);
          inRun.add(v);
          if (checkpointed.has(v)) violations.push(`run ${index}: re-emitted ${v}, which a saved checkpoint held`);
          emittedBy.set(v, [...(emittedBy.get(v) ?? []), index]);
        }
        const checkpoint = checkpointOf(checkpointDir);
        for (const v of checkpoint?.seen ?? []) {
          if (!emittedBy.has(v)) violations.push(`run ${index}: checkpoint holds ${v}, never emitted`);
          checkpointed.add(v);
        }
        // Several windows in flight: a page of one window was requested between two pages of another.
        const windows = e2e.emu.requests
          .slice(firstRequest)
          .filter((r) => r.service !== 'login' && r.method === 'GET')
          .map((r) => r.query.$filter ?? `${r.query.sinceTimeUtc}..${r.query.untilTimeUtc}`);
        const firstAt = new Map<string, number>();
        let interleaved = false;
        windows.forEach((w, i) => {
          if (!firstAt.has(w)) firstAt.set(w, i);
          else if (windows.slice(firstAt.get(w)! + 1, i).some((other) => other !== w)) interleaved = true;
        });
        if (interleaved && wasKilled) interleavedRuns++;
      }
      expect(violations).to.deep.equal([]);
      // Nothing lost: every version the API holds now was emitted.
      for (const v of currentVersions(e2e, api)) expect(emittedBy.has(v), `${v} never emitted`).to.equal(true);
      // Duplicates only through kills: every emission but the last of a version came from a killed run.
      let duplicates = 0;
      for (const [v, list] of emittedBy) {
        for (const i of list.slice(0, -1)) {
          duplicates++;
          expect(killed[i], `${v} emitted by runs ${list.join(', ')}; run ${i} was not killed`).to.equal(true);
        }
      }
      process.stdout.write(
        `      in-flight api=${api} runs=${killed.length} killed=${killed.filter(Boolean).length} ` +
          `killed_with_windows_interleaved=${interleavedRuns} versions=${emittedBy.size} duplicates=${duplicates}\n`,
      );
      // A run that has little left to read can end before its kill point (kill points are drawn below 530 events so
      // that few do), so not every round need be a kill; all but two are, or the test would prove little about kills.
      expect(killed.filter(Boolean).length, 'runs killed').to.be.at.least(ROUNDS_IN_FLIGHT - 2);
      if (api !== 'siem') expect(interleavedRuns, 'killed runs with windows read at once').to.be.at.least(1);
    });
  });
});
