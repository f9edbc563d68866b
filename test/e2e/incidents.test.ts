/**
 * api = incidents end to end: the BUILT app's launcher run as splunkd runs it, against the emulator's Graph
 * incidents. Counts what the issue asks for (incidents, alert events, API calls, pages) and checks each case an
 * incident collector gets wrong: an incident updated with its alerts unchanged, an alert updated while its incident's
 * time stays, merges, and the bytes of both kinds of events.
 */
import { expect } from 'chai';
import { parseApiTime, toEpochSecondsText } from '../../src/defender/api-time.js';
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
  servedIncidentAlertVersions,
  SOURCETYPES,
  startE2e,
  type E2e,
} from './context.js';

const DAY = 86_400_000;
const INCIDENTS_PATH = '/v1.0/security/incidents';

function runEnd(run: InputResult): string {
  return run.stderrLines.find((l) => /^(INFO|ERROR) .*action=run_end /.test(l)) ?? run.stderrLines.join('\n');
}

function field(line: string, name: string): string | undefined {
  return new RegExp(` ${name}=(\\S+)`).exec(line)?.[1];
}

describe('defender_alerts api=incidents (built app, emulator, splunkd harness)', function () {
  this.timeout(180_000);
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e();
  });
  after(async () => e2e?.close());
  beforeEach(() => e2e.emu.store.clear());

  /** One run of the stanza; checks it ended cleanly and leaked nothing. */
  async function run(name: string, checkpointDir: string, params: Record<string, string> = {}) {
    const from = e2e.emu.requests.length;
    const result = await runStanza(e2e, { name, api: 'incidents', checkpointDir, params });
    expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
    assertNoSecrets(result.stderrLines.join('\n') + result.stdout.toString());
    const calls = e2e.emu.requests.slice(from).filter((r) => r.service === 'graph' && r.path === INCIDENTS_PATH);
    return {
      result,
      incidents: emittedVersions('incidents', result.events),
      alerts: emittedAlertVersions(result.events),
      calls: calls.length,
      pages: Number(field(runEnd(result), 'pages')),
    };
  }

  it('backfills every incident version and every alert inside them once, as served, in pages of 50', async () => {
    const now = Date.now();
    const generated = generateAlerts('incidents', {
      count: 300,
      seed: 41,
      from: now - 3 * DAY,
      to: now - 60_000,
      alertsPerIncident: 4,
      hostileEvery: 50,
    });
    e2e.emu.store.addAlerts('incidents', generated);
    const nAlerts = e2e.emu.store.all('graph').length;
    const checkpointDir = newCheckpointDir();
    const backfill = await run('incidents_backfill', checkpointDir);

    expect(backfill.incidents).to.have.length(300);
    expect(backfill.alerts).to.have.length(nAlerts);
    expect(new Set(backfill.incidents)).to.deep.equal(currentVersions(e2e, 'incidents'));
    expect(new Set(backfill.alerts)).to.deep.equal(currentVersions(e2e, 'graph'));
    expect(new Set(backfill.alerts)).to.deep.equal(servedIncidentAlertVersions(e2e));
    expect(backfill.calls, 'API calls = pages: no retries needed').to.equal(backfill.pages);
    const lists = e2e.emu.requests.filter((r) => r.path === INCIDENTS_PATH);
    for (const request of lists.filter((r) => r.query.$filter !== undefined)) {
      expect(request.query.$top).to.equal('50');
      expect(request.query.$expand).to.equal('alerts');
      expect(request.query.$filter).to.match(/^lastUpdateDateTime ge \S+( and lastUpdateDateTime lt \S+)?$/);
      expect(request.headers.prefer).to.equal('include-unknown-enum-members');
    }
    // A closed window's last page may be short: at least 300 / 50 pages, and each window at least one.
    expect(backfill.pages).to.be.at.least(6);

    // Bytes: the incident as served without its alerts member, each alert as served inside it; times and sourcetypes.
    for (const event of backfill.result.events) {
      const value = JSON.parse(event.data) as Record<string, unknown>;
      if (event.sourcetype === SOURCETYPES.incidents) {
        expect(event.data).to.equal(e2e.emu.store.table('incidents').get(String(value.id))!.json.toString('utf8'));
        expect(value).to.not.have.property('alerts');
      } else {
        expect(event.sourcetype).to.equal(SOURCETYPES.graph);
        expect(event.data).to.equal(e2e.emu.store.table('graph').get(String(value.id))!.json.toString('utf8'));
      }
      expect(event.time).to.equal(toEpochSecondsText(parseApiTime(String(value.lastUpdateDateTime))!));
    }
    const end = runEnd(backfill.result);
    expect(end).to.match(
      new RegExp(`^INFO .*api=incidents status=ok n_events=${300 + nAlerts} n_alert_events=${nAlerts} `),
    );
    process.stderr.write(
      `      incidents backfill: incidents=${backfill.incidents.length} alert_events=` +
        `${backfill.alerts.length} api_calls=${backfill.calls} pages=${backfill.pages}\n`,
    );

    const idle = await run('incidents_backfill', checkpointDir);
    expect(idle.incidents.length + idle.alerts.length).to.equal(0);
  });

  it('writes an incident updated 5 times with its alerts unchanged 5 times, and none of its alerts again', async () => {
    const now = Date.now();
    e2e.emu.store.addAlerts(
      'incidents',
      generateAlerts('incidents', {
        count: 20,
        seed: 42,
        from: now - DAY,
        to: now - 3_600_000,
        alertsPerIncident: 4,
      }),
    );
    const checkpointDir = newCheckpointDir();
    const first = await run('incidents_updates', checkpointDir);
    expect(first.incidents).to.have.length(20);
    const target = String(e2e.emu.store.all('incidents')[7]!.id);
    const counts = { incidentEvents: 0, alertEvents: 0 };
    for (let n = 1; n <= 5; n++) {
      e2e.emu.store.updateAlert('incidents', target, { assignedTo: `analyst${n}@contoso.com`, status: 'inProgress' });
      const next = await run('incidents_updates', checkpointDir);
      expect(next.incidents.map((v) => v.split('@')[0])).to.deep.equal([target]);
      expect(next.alerts, `update ${n}: alerts of an incident whose alerts did not change`).to.deep.equal([]);
      counts.incidentEvents += next.incidents.length;
      counts.alertEvents += next.alerts.length;
    }
    process.stderr.write(
      `      incident updated 5 times, alerts unchanged: incident_events=${counts.incidentEvents} ` +
        `alert_events=${counts.alertEvents}\n`,
    );
  });

  it('writes an alert updated under a still incident when served: in the overlap or with the next update', async () => {
    const now = Date.now();
    const [recent] = generateAlerts('incidents', {
      count: 1,
      seed: 43,
      from: now - 90_000,
      to: now - 60_000,
      alertsPerIncident: 2,
    });
    const [old] = generateAlerts('incidents', {
      count: 1,
      seed: 44,
      from: now - 2 * DAY,
      to: now - DAY,
      alertsPerIncident: 2,
    });
    e2e.emu.store.addAlerts('incidents', [recent!, old!]);
    const checkpointDir = newCheckpointDir();
    await run('incidents_alert_updates', checkpointDir);
    const recentAlert = String((recent!.alerts as Record<string, unknown>[])[0]!.id);
    const oldAlert = String((old!.alerts as Record<string, unknown>[])[0]!.id);
    e2e.emu.store.updateAlert('graph', recentAlert, { status: 'resolved' });
    e2e.emu.store.updateAlert('graph', oldAlert, { status: 'resolved' });

    // The recent incident is read again within the overlap: its alert's new version comes, the incident does not.
    const second = await run('incidents_alert_updates', checkpointDir);
    expect(second.incidents).to.deep.equal([]);
    expect(second.alerts.map((v) => v.split('@')[0])).to.deep.equal([recentAlert]);
    // The old incident is outside the overlap: its alert's new version comes when the incident next changes.
    e2e.emu.store.updateAlert('incidents', String(old!.id), { assignedTo: 'soc@contoso.com' });
    const third = await run('incidents_alert_updates', checkpointDir);
    expect(third.incidents.map((v) => v.split('@')[0])).to.deep.equal([String(old!.id)]);
    expect(third.alerts.map((v) => v.split('@')[0])).to.deep.equal([oldAlert]);
  });

  it('writes a merge as two incident versions and no alert event; a moved alert Microsoft updated once', async () => {
    const now = Date.now();
    e2e.emu.store.addAlerts(
      'incidents',
      generateAlerts('incidents', {
        count: 4,
        seed: 45,
        from: now - DAY,
        to: now - 3_600_000,
        alertsPerIncident: 3,
      }),
    );
    const checkpointDir = newCheckpointDir();
    const first = await run('incidents_merges', checkpointDir);
    const [a, b, c, d] = e2e.emu.store.all('incidents').map((i) => String(i.id));
    const moved = e2e.emu.store.alertsOfIncident(a!).length;

    e2e.emu.store.mergeIncidents(a!, b!);
    const merge = await run('incidents_merges', checkpointDir);
    expect(merge.incidents.map((v) => v.split('@')[0]).sort()).to.deep.equal([a!, b!].sort());
    expect(merge.alerts, 'alerts moved by the merge, unchanged').to.deep.equal([]);
    const redirected = merge.result.events.find((e) => JSON.parse(e.data).id === a)!;
    expect(JSON.parse(redirected.data)).to.include({ status: 'redirected', redirectIncidentId: b });

    const touched = e2e.emu.store.alertsOfIncident(c!).length;
    e2e.emu.store.mergeIncidents(c!, d!, { touchAlerts: true });
    const mergeTouched = await run('incidents_merges', checkpointDir);
    expect(mergeTouched.incidents).to.have.length(2);
    expect(mergeTouched.alerts, 'alerts Microsoft updated during the merge: their new versions').to.have.length(
      touched,
    );

    const all = [first, merge, mergeTouched].flatMap((r) => r.alerts);
    expect([...countBy(all)].filter(([, n]) => n > 1)).to.deep.equal([]);
    process.stderr.write(
      `      merge: incident_events=${merge.incidents.length} alert_events=${merge.alerts.length} ` +
        `(alerts moved=${moved}); merge with updated alerts: incident_events=${mergeTouched.incidents.length} ` +
        `alert_events=${mergeTouched.alerts.length}\n`,
    );
  });

  it('writes only the incidents with include_alerts = false', async () => {
    const now = Date.now();
    e2e.emu.store.addAlerts(
      'incidents',
      generateAlerts('incidents', { count: 30, seed: 46, from: now - DAY, to: now - 60_000 }),
    );
    const only = await run('incidents_only', newCheckpointDir(), { include_alerts: 'false' });
    expect(only.incidents).to.have.length(30);
    expect(only.alerts).to.deep.equal([]);
    expect(only.result.stderrLines.filter((l) => /^WARN /.test(l))).to.deep.equal([]);
  });
});
