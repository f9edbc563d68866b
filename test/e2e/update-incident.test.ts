/**
 * `defender_update_incident` end to end: the BUILT `bin/defender_update_incident.sh --execute` run as splunkd runs it,
 * with a JSON payload on stdin and a gzip CSV results file, against the emulator's Graph incidents and the fake
 * splunkd (input stanza, stored secret, outcome events). Checks the incidents' state in the emulator afterwards.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SECRET_MASK } from '../../src/config/types.js';
import { startEmulator, type Emulator } from '../emulator/emulator.js';
import { generateAlerts } from '../emulator/generator.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { runScript, type ScriptResult } from '../harness/splunkd-harness.js';
import { builtAppDir } from '../helpers/built-app.js';

const TENANT = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
const CLIENT = '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b';
const SECRET = 'Inc~ident-SeCreT.value_1357924680abcdef';
const SESSION_KEY = 'IncidentSessionKey^abcdefghijklmnopqrstuvwxyz_0123456789';
const REALM = 'TA-microsoft-defender';
const ACTION = 'defender_update_incident';
const INCIDENTS_PATH = '/v1.0/security/incidents';

interface Outcome {
  action: string;
  outcome: string;
  id?: string;
  http_status: number | null;
  error: string | null;
  row: number;
  input: string | null;
  verified?: boolean;
}

describe('defender_update_incident end to end (built launcher, emulator, fake splunkd)', function () {
  this.timeout(180_000);
  let emu: Emulator;
  let splunkd: FakeSplunkd;
  let appDir: string;
  const dir = mkdtempSync(join(tmpdir(), 'ta-defender-incident-action-'));
  const outputs: string[] = [];
  let sidCounter = 0;

  before(async () => {
    appDir = builtAppDir();
    emu = await startEmulator({ rateLimits: false });
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ['SecurityIncident.ReadWrite.All'] });
    splunkd = await startFakeSplunkd({
      sessionKey: SESSION_KEY,
      inputStanzas: {
        'defender_alerts://incidents_prod': {
          tenant_id: TENANT,
          client_id: CLIENT,
          client_secret: SECRET_MASK,
          api: 'incidents',
          api_url: emu.urls.graph,
          login_url: emu.urls.login,
          interval: '300',
          index: 'default',
        },
      },
    });
    splunkd.passwords.set(`${REALM}:incidents_prod:`, {
      realm: REALM,
      username: 'incidents_prod',
      password: SECRET,
      app: REALM,
    });
  });
  after(async () => {
    await emu?.close();
    await splunkd?.close();
  });
  beforeEach(() => {
    emu.store.clear();
    emu.faults.clear();
  });
  afterEach(() => {
    const everything = [...outputs, ...splunkd.events.map((e) => e.body)].join('\n');
    for (const secret of [SECRET, SESSION_KEY]) expect(everything.includes(secret), 'a secret leaked').to.equal(false);
    expect(everything).not.to.match(/Bearer\s+[A-Za-z0-9._-]{20,}/);
  });

  /** 50 incidents (each with its own custom tag) and a results file of their ids, as splunkd writes it. */
  function fiftyIncidents(name: string): { ids: string[]; path: string } {
    const now = Date.now();
    const incidents = generateAlerts('incidents', { count: 50, seed: 61, from: now - 86_400_000, to: now - 60_000 });
    for (const incident of incidents) incident.customTags = ['own-tag'];
    emu.store.addAlerts('incidents', incidents);
    const ids = incidents.map((i) => String(i.id));
    const path = join(dir, `${name}.csv.gz`);
    writeFileSync(
      path,
      gzipSync(
        ['id,displayName,__mv_id,__mv_displayName', ...ids.map((id) => `${id},"incident ${id}",,`)].join('\n') + '\n',
      ),
    );
    return { ids, path };
  }

  async function execute(resultsPath: string, configuration: Record<string, string>) {
    const sid = `scheduler__admin__search__RMD5incident_at_1700000000_${++sidCounter}`;
    const before = splunkd.events.length;
    const requestsBefore = emu.requests.length;
    const payload = {
      app: 'search',
      owner: 'admin',
      results_file: resultsPath,
      server_host: 'splunk.example',
      server_uri: splunkd.uri,
      session_key: SESSION_KEY,
      sid,
      search_name: 'Incident response',
      configuration,
      result: {},
    };
    const result: ScriptResult = await runScript(appDir, ACTION, {
      args: ['--execute'],
      stdin: JSON.stringify(payload),
      env: { NODE_EXTRA_CA_CERTS: emu.caFile },
      timeoutMs: 120_000,
    });
    outputs.push(result.stderrLines.join('\n'));
    const events = splunkd.events.slice(before);
    for (const event of events) expect(event.query).to.include({ sourcetype: 'ms:defender:action', source: ACTION });
    const outcomes = events.flatMap((e) => e.body.split('\n')).map((line) => JSON.parse(line) as Outcome);
    const requests = emu.requests
      .slice(requestsBefore)
      .filter((r) => r.service === 'graph' && r.path.startsWith(INCIDENTS_PATH));
    return { result, outcomes, requests };
  }

  it('resolves 50 incidents with classification, determination, owner, tags, comment: one outcome each', async () => {
    const { ids, path } = fiftyIncidents('incidents-50');
    const { result, outcomes, requests } = await execute(path, {
      input: 'incidents_prod',
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'clean',
      assigned_to: 'soc@contoso.com',
      custom_tags: 'splunk, triaged',
      comment: 'Lab activity, closed from Splunk',
    });
    expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
    expect(outcomes).to.have.length(50);
    expect(
      outcomes.every((o) => o.outcome === 'success' && o.verified === true && o.input === 'incidents_prod'),
    ).to.equal(true);
    expect(outcomes.map((o) => o.id).sort()).to.deep.equal([...ids].sort());
    for (const id of ids) {
      const incident = emu.store.get('incidents', id)!;
      expect(incident, id).to.deep.include({
        status: 'resolved',
        classification: 'falsePositive',
        determination: 'notMalicious',
        assignedTo: 'soc@contoso.com',
        customTags: ['own-tag', 'splunk', 'triaged'],
      });
      expect((incident.comments as { comment: string }[]).at(-1)!.comment).to.equal('Lab activity, closed from Splunk');
    }
    const byMethod = (m: string) => requests.filter((r) => r.method === m).length;
    expect({ GET: byMethod('GET'), PATCH: byMethod('PATCH'), POST: byMethod('POST') }).to.deep.equal({
      GET: 50,
      PATCH: 50,
      POST: 50,
    });
    const line = result.stderrLines.find((l) => l.startsWith('INFO Alert action finished'))!;
    expect(line).to.match(
      /alert_action=defender_update_incident action=action_end n_rows=50 n_items=50 succeeded=50 failed=0 invalid=0/,
    );
    process.stderr.write(
      `      update incident: rows=50 succeeded=${outcomes.filter((o) => o.outcome === 'success').length} ` +
        `calls GET=${byMethod('GET')} PATCH=${byMethod('PATCH')} POST=${byMethod('POST')}\n`,
    );
  });

  it('waits out a 429 (Retry-After: 1) and still updates all 50', async () => {
    const { ids, path } = fiftyIncidents('incidents-429');
    emu.addFault({
      service: 'graph',
      method: 'PATCH',
      pathIncludes: INCIDENTS_PATH,
      times: 2,
      kind: { status: 429, retryAfter: 1 },
    });
    const { result, outcomes, requests } = await execute(path, { input: 'incidents_prod', status: 'inProgress' });
    expect(emu.faults.pending()).to.deep.equal([]);
    expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
    expect(outcomes.filter((o) => o.outcome === 'success')).to.have.length(50);
    expect(requests.filter((r) => r.status === 429)).to.have.length(2);
    expect(result.stderrLines.filter((l) => /^WARN .*action=throttled .*status=429/.test(l))).to.have.length(2);
    for (const id of ids) expect(emu.store.get('incidents', id)!.status).to.equal('inProgress');
  });

  it('dry run: reports 50 dry_run outcomes without any call to Graph', async () => {
    const { path } = fiftyIncidents('incidents-dry');
    const { result, outcomes, requests } = await execute(path, {
      input: 'incidents_prod',
      status: 'resolved',
      dry_run: '1',
    });
    expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(Array(50).fill('dry_run'));
    expect(requests).to.deep.equal([]);
  });

  it('refuses a value outside the documented enums before any call, each row invalid with the reason', async () => {
    const { path } = fiftyIncidents('incidents-invalid');
    const tokensBefore = emu.requests.filter((r) => r.service === 'login').length;
    const { result, outcomes, requests } = await execute(path, { input: 'incidents_prod', status: 'closed' });
    expect(result.exitCode).to.equal(1);
    expect(outcomes).to.have.length(50);
    expect(
      outcomes.every((o) => o.outcome === 'invalid' && /status "closed" is not an incident status/.test(o.error!)),
    ).to.equal(true);
    expect(requests).to.deep.equal([]);
    expect(emu.requests.filter((r) => r.service === 'login').length, 'token requests').to.equal(tokensBefore);
  });
});
