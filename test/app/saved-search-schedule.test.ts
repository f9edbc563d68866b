/**
 * "Defender - New high severity alerts" run on its schedule against a day of alert events indexed the way the input
 * indexes them: a poll every 300 s, Microsoft's API showing an update up to 6 minutes late, runs that take seconds,
 * events searchable a few seconds after indexing, Microsoft's clock a little ahead of Splunk's now and then. Every run
 * goes through test/app/lib/spl-run.ts with the saved search's own SPL, dispatch times and suppression; events get
 * their fields from props.conf (test/app/lib/search-time.ts). The expectation is computed apart from the SPL: an
 * alert must fire exactly once if, at some run, its newest searchable version is high or critical and not resolved,
 * and never otherwise.
 */
import { expect } from 'chai';
import { prng } from '../emulator/generator.js';
import { readDefaultConf, readSamples } from './lib/knowledge.js';
import { applySearchTime } from './lib/search-time.js';
import { resolveTime, runSearch, type Row } from './lib/spl-run.js';

const props = readDefaultConf('props');
const saved = readDefaultConf('savedsearches');
const macros = readDefaultConf('macros');
const eventtypes = readDefaultConf('eventtypes');
const NAME = 'Defender - New high severity alerts';
const stanza = saved.get(NAME);
const setting = (key: string): string => stanza?.get(key)?.value ?? '';

const START = Date.UTC(2024, 4, 1) / 1000;
const DAY = 86_400;
const POLL_S = 300;
/** Events indexed this many seconds before a run are not searchable by it yet. */
const SEARCH_LATENCY_S = 10;

/** One alert version as Defender serves it. */
interface Version {
  id: string;
  /** lastUpdateDateTime, epoch seconds (Microsoft's clock). */
  time: number;
  severity: 'informational' | 'low' | 'medium' | 'high';
  status: 'new' | 'inProgress' | 'resolved';
  /** When the input indexed it. */
  indexTime: number;
}

const template = readSamples('graph')[1] as Record<string, unknown>;

function toEvent(v: Version): Row {
  const iso = new Date(v.time * 1000).toISOString();
  const raw = JSON.stringify({
    ...template,
    id: v.id,
    providerAlertId: v.id,
    severity: v.severity,
    status: v.status,
    lastUpdateDateTime: iso,
  });
  const fields = applySearchTime(props, 'ms:defender:graph:alerts', raw);
  fields.set('_time', v.time);
  fields.set('_indextime', v.indexTime);
  fields.set('index', 'defender');
  return fields;
}

/** The first poll at or after `visible` that picks a version up, plus the seconds its run takes to index it. */
function indexTimeOf(visible: number, firstPoll: number, runSeconds: number): number {
  const poll = firstPoll + Math.ceil(Math.max(0, visible - firstPoll) / POLL_S) * POLL_S;
  return poll + runSeconds;
}

/** A day of alerts: 1-3 versions each, updates minutes to hours apart, with the API and indexing delays above. */
function simulatedDay(seed: number): Version[] {
  const rand = prng(seed);
  const firstPoll = START + Math.floor(rand() * POLL_S);
  const versions: Version[] = [];
  for (let a = 0; a < 250; a++) {
    const id = `da${seed}-${String(a).padStart(4, '0')}_1`;
    let time = START + Math.floor(rand() * (DAY - 4 * 3600));
    let severity: Version['severity'] =
      (['informational', 'low', 'medium', 'high', 'high'] as const)[Math.floor(rand() * 5)] ?? 'high';
    let status: Version['status'] = 'new';
    const count = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) {
      const apiDelay = Math.floor(rand() * 360);
      const skew = rand() < 0.05 ? -Math.floor(rand() * 60) : 0;
      versions.push({
        id,
        time: time - skew,
        severity,
        status,
        indexTime: indexTimeOf(time + apiDelay, firstPoll, 1 + Math.floor(rand() * 20)),
      });
      // The next update: seconds (same poll) to hours later; it may resolve, downgrade, or only touch the alert.
      time += rand() < 0.3 ? 5 + Math.floor(rand() * 60) : Math.floor(rand() * 3 * 3600);
      const change = rand();
      if (change < 0.35) status = 'resolved';
      else if (change < 0.55) severity = 'low';
      else if (change < 0.8) status = 'inProgress';
    }
  }
  return versions;
}

/** The scheduled runs of a cron `*\/5 * * * *` over [from, to). */
function runTimes(from: number, to: number): number[] {
  const every = Number(/^\*\/(\d+) \* \* \* \*$/.exec(setting('cron_schedule'))?.[1]);
  if (!every) throw new Error(`cron_schedule ${setting('cron_schedule')} is not modelled`);
  const out: number[] = [];
  for (let t = Math.ceil(from / (every * 60)) * every * 60; t < to; t += every * 60) out.push(t);
  return out;
}

/** Runs the saved search at every scheduled time with its suppression; returns each id's firing times. */
function fire(versions: Version[], runs: number[]): Map<string, number[]> {
  const events = versions.map(toEvent);
  const fired = new Map<string, number[]>();
  const suppressField = setting('alert.suppress.fields');
  const suppressFor = resolveTime(`+${setting('alert.suppress.period')}`, 0);
  const lastFired = new Map<string, number>();
  for (const now of runs) {
    const rows = runSearch(setting('search'), events, {
      macros,
      eventtypes,
      now,
      earliest: setting('dispatch.earliest_time'),
      latest: setting('dispatch.latest_time'),
      searchableUntil: now - SEARCH_LATENCY_S,
    });
    for (const row of rows) {
      const key = String(row.get(suppressField));
      const last = lastFired.get(key);
      if (setting('alert.suppress') === '1' && last !== undefined && now - last < suppressFor) continue;
      lastFired.set(key, now);
      fired.set(key, [...(fired.get(key) ?? []), now]);
    }
  }
  return fired;
}

/** The ids that must fire: at some run, the newest searchable version is high (or critical) and not resolved. */
function qualifying(versions: Version[], runs: number[]): Set<string> {
  const byId = new Map<string, Version[]>();
  for (const v of versions) byId.set(v.id, [...(byId.get(v.id) ?? []), v]);
  const out = new Set<string>();
  for (const [id, list] of byId) {
    for (const now of runs) {
      const seen = list.filter((v) => v.indexTime <= now - SEARCH_LATENCY_S);
      const newest = seen.sort((a, b) => b.time - a.time)[0];
      if (newest && newest.severity === 'high' && newest.status !== 'resolved') {
        out.add(id);
        break;
      }
    }
  }
  return out;
}

describe(`saved search "${NAME}" on its 5-minute schedule (defects 1 and 2)`, () => {
  it('fires every qualifying alert exactly once, and no other, over a day of realistically delayed events', function () {
    this.timeout(120_000);
    for (const seed of [1, 2]) {
      const versions = simulatedDay(seed);
      const runs = runTimes(START, START + DAY + 2 * 3600);
      const fired = fire(versions, runs);
      const want = qualifying(versions, runs);
      const missed = [...want].filter((id) => !fired.has(id));
      const twice = [...fired].filter(([, times]) => times.length > 1).map(([id]) => id);
      const wrong = [...fired.keys()].filter((id) => !want.has(id));
      expect({ seed, qualifying: want.size, missed, twice, wrong }).to.deep.equal({
        seed,
        qualifying: want.size,
        missed: [],
        twice: [],
        wrong: [],
      });
      expect(want.size, 'the day must have alerts to fire').to.be.above(50);
    }
  });

  it('does not fire an alert whose newer version, indexed in the same poll, resolved or downgraded it', () => {
    const t = START + 3600;
    const versions: Version[] = [
      { id: 'resolved', time: t, severity: 'high', status: 'new', indexTime: t + 290 },
      { id: 'resolved', time: t + 40, severity: 'high', status: 'resolved', indexTime: t + 290 },
      { id: 'downgraded', time: t, severity: 'high', status: 'new', indexTime: t + 290 },
      { id: 'downgraded', time: t + 40, severity: 'low', status: 'new', indexTime: t + 290 },
      { id: 'still-open', time: t, severity: 'high', status: 'new', indexTime: t + 290 },
      { id: 'still-open', time: t + 40, severity: 'high', status: 'inProgress', indexTime: t + 290 },
    ];
    const fired = fire(versions, runTimes(t, t + 3600));
    expect([...fired.keys()].sort()).to.deep.equal(['still-open']);
  });

  it('does not fire an older version indexed after the newer version that resolved the alert', () => {
    const t = START + 7200;
    const versions: Version[] = [
      { id: 'late-old', time: t, severity: 'high', status: 'new', indexTime: t + 900 },
      { id: 'late-old', time: t + 60, severity: 'high', status: 'resolved', indexTime: t + 300 },
    ];
    expect([...fire(versions, runTimes(t, t + 3600)).keys()]).to.deep.equal([]);
  });

  it('fires an alert indexed minutes after its last update (the poll interval plus the API delay)', () => {
    const t = START + 10_800;
    const versions: Version[] = [{ id: 'late', time: t, severity: 'high', status: 'new', indexTime: t + 600 }];
    expect([...fire(versions, runTimes(t, t + 3600)).keys()]).to.deep.equal(['late']);
  });
});
