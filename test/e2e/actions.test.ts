/**
 * The two alert actions end to end: the BUILT `bin/<action>.sh --execute` run as splunkd runs it (harness), with a
 * JSON payload on stdin and a real gzip CSV results file, against the emulator (Entra ID, Graph, MDE) and the fake
 * splunkd (input stanza, stored secret, outcome events). Checks the emulator's resulting state and request log.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SECRET_MASK } from '../../src/config/types.js';
import { startEmulator, type Emulator } from '../emulator/emulator.js';
import type { IssuedToken } from '../emulator/entra.js';
import { generateAlerts } from '../emulator/generator.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { runScript, type ScriptResult } from '../harness/splunkd-harness.js';
import { builtAppDir } from '../helpers/built-app.js';

const TENANT = '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a';
const CLIENT = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';
const SECRET = 'Act~ion-SeCreT.value_0987654321zyxwvuts';
const SESSION_KEY = 'ActionSessionKey^abcdefghijklmnopqrstuvwxyz_0123456789';
const REALM = 'TA-microsoft-defender';
const ROLES = ['SecurityAlert.ReadWrite.All', 'Alert.ReadWrite.All', 'Ti.ReadWrite.All'];

interface Outcome {
  action: string;
  outcome: string;
  id?: string;
  value?: string;
  indicator_type?: string;
  http_status: number | null;
  error: string | null;
  row: number;
  search_name: string | null;
  sid: string | null;
  input: string | null;
}

describe('alert actions end to end (built app, emulator, fake splunkd)', function () {
  this.timeout(180_000);
  let emu: Emulator;
  let splunkd: FakeSplunkd;
  let appDir: string;
  const dir = mkdtempSync(join(tmpdir(), 'ta-defender-actions-'));
  const outputs: string[] = [];
  let sidCounter = 0;

  before(async () => {
    appDir = builtAppDir();
    emu = await startEmulator({ rateLimits: false });
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ROLES });
    const stanza = (api: string) => ({
      tenant_id: TENANT,
      client_id: CLIENT,
      client_secret: SECRET_MASK,
      api,
      api_url: emu.urls[api as 'graph' | 'mde'],
      login_url: emu.urls.login,
      interval: '300',
      index: 'default',
      sourcetype: 'ms:defender:graph:alerts',
    });
    splunkd = await startFakeSplunkd({
      sessionKey: SESSION_KEY,
      inputStanzas: { 'defender_alerts://graph_prod': stanza('graph'), 'defender_alerts://mde_prod': stanza('mde') },
    });
    for (const user of ['graph_prod', 'mde_prod']) {
      splunkd.passwords.set(`${REALM}:${user}:`, { realm: REALM, username: user, password: SECRET, app: REALM });
    }
  });
  after(async () => {
    await emu?.close();
    await splunkd?.close();
  });

  afterEach(() => {
    // No secret, session key or token in any stderr line or outcome event, whatever the test did.
    const everything = [...outputs, ...splunkd.events.map((e) => e.body)].join('\n');
    for (const secret of [SECRET, SESSION_KEY, encodeURIComponent(SECRET)])
      expect(everything.includes(secret), 'a secret leaked').to.equal(false);
    expect(everything).not.to.match(/Bearer\s+[A-Za-z0-9._-]{20,}/);
  });

  /** Writes a results file as splunkd does: gzip CSV, multi-valued fields with a `__mv_` column. */
  function resultsFile(name: string, header: string[], rows: Array<Array<string | string[]>>): string {
    const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
    const columns = [...header, ...header.map((h) => `__mv_${h}`)];
    const lines = [columns.map(quote).join(',')];
    for (const row of rows) {
      const plain = row.map((cell) => (Array.isArray(cell) ? cell.join('\n') : cell));
      const mv = row.map((cell) =>
        Array.isArray(cell) ? cell.map((v) => `$${v.replace(/\$/g, '$$$$')}$`).join(';') : '',
      );
      lines.push([...plain, ...mv].map(quote).join(','));
    }
    const path = join(dir, `${name}.csv.gz`);
    writeFileSync(path, gzipSync(lines.join('\n') + '\n'));
    return path;
  }

  async function execute(
    action: string,
    resultsPath: string,
    configuration: Record<string, string>,
  ): Promise<{ result: ScriptResult; outcomes: Outcome[]; sid: string }> {
    const sid = `scheduler__admin__search__RMD5test_at_1700000000_${++sidCounter}`;
    const before = splunkd.events.length;
    const payload = {
      app: 'search',
      owner: 'admin',
      results_file: resultsPath,
      results_link: `http://splunk.example:8000/app/search/@go?sid=${sid}`,
      search_uri: '/servicesNS/admin/search/saved/searches/Defender+response',
      server_host: 'splunk.example',
      server_uri: splunkd.uri,
      session_key: SESSION_KEY,
      sid,
      search_name: 'Defender response',
      configuration,
      result: {},
    };
    const result = await runScript(appDir, action, {
      args: ['--execute'],
      stdin: JSON.stringify(payload),
      env: { NODE_EXTRA_CA_CERTS: emu.caFile },
      timeoutMs: 120_000,
    });
    outputs.push(result.stderrLines.join('\n'));
    const events = splunkd.events.slice(before);
    for (const event of events) expect(event.query).to.include({ sourcetype: 'ms:defender:action', source: action });
    const outcomes = events.flatMap((e) => e.body.split('\n')).map((line) => JSON.parse(line) as Outcome);
    return { result, outcomes, sid };
  }

  function writeRequests(service: 'graph' | 'mde') {
    return emu.requests.filter((r) => r.service === service && r.method !== 'GET');
  }

  function summary(result: ScriptResult): string {
    const line = result.stderrLines.find((l) => l.startsWith('INFO Alert action finished'));
    expect(line, result.stderrLines.join('\n')).to.be.a('string');
    return line!;
  }

  const reader: IssuedToken = {
    tenantId: TENANT,
    clientId: CLIENT,
    audience: '',
    roles: ['Ti.ReadWrite.All'],
    expiresAtMs: Infinity,
  };
  const tenantIndicators = () => new Map(emu.indicators.visible(reader).map((i) => [i.indicatorValue, i]));

  describe('defender_submit_indicator', () => {
    it('lands 1,200 indicators from one results file in 3 import calls, with an outcome event per row', async () => {
      const hashes = Array.from({ length: 1200 }, (_, i) => (0xa000000 + i).toString(16).padStart(64, '0'));
      const path = resultsFile(
        'indicators-1200',
        ['indicator', 'note'],
        hashes.map((h, i) => [h, `row ${i}, "quoted"`]),
      );
      const importsBefore = emu.requests.filter((r) => r.path === '/api/indicators/import').length;
      const { result, outcomes, sid } = await execute('defender_submit_indicator', path, {
        input: 'mde_prod',
        action: 'Block',
        severity: 'High',
        expiration: '+30d',
        title: 'Bad files',
        description: 'From Splunk',
      });

      expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
      const imports = emu.requests.filter((r) => r.path === '/api/indicators/import').slice(importsBefore);
      expect(imports.map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(outcomes).to.have.length(1200);
      expect(
        outcomes.every((o) => o.outcome === 'success' && o.http_status === 200 && o.indicator_type === 'FileSha256'),
      ).to.equal(true);
      expect(new Set(outcomes.map((o) => o.row)).size).to.equal(1200);
      expect(outcomes[0]).to.include({
        action: 'defender_submit_indicator',
        search_name: 'Defender response',
        sid,
        input: 'mde_prod',
      });
      const stored = tenantIndicators();
      for (const hash of hashes)
        expect(stored.get(hash), hash).to.include({
          indicatorType: 'FileSha256',
          action: 'Block',
          severity: 'High',
          title: 'Bad files',
        });
      expect(summary(result)).to.match(
        /alert_action=defender_submit_indicator action=action_end n_rows=1200 n_items=1200 succeeded=1200 failed=0 invalid=0 skipped=0 dry_run=0/,
      );
    });

    it('blocks what a CIM search finds even though its rows say action=allowed and type=alert (never an allow-list entry)', async () => {
      const hash = 'b'.repeat(64);
      const path = resultsFile(
        'indicators-cim',
        ['indicator', 'action', 'type', 'severity'],
        [[hash, 'allowed', 'alert', 'informational']],
      );
      const { result, outcomes } = await execute('defender_submit_indicator', path, {
        input: 'mde_prod',
        action: 'Block',
        severity: 'High',
      });
      expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
      expect(outcomes).to.have.length(1);
      expect(outcomes[0]).to.include({ outcome: 'success', indicator_type: 'FileSha256' });
      expect(tenantIndicators().get(hash)).to.include({ action: 'Block', severity: 'High' });
    });

    it('reports invalid rows and still lands the valid ones, multi-valued fields included', async () => {
      const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
      // indicator_action overrides the action for its row; a CIM `action` field never would.
      const path = resultsFile(
        'indicators-mixed',
        ['indicator', 'indicator_action'],
        [
          [sha1, ''],
          ['10.0.0.0/8', ''],
          [['198.51.100.7', 'evil-domain.example'], ''],
          ['https://phish.example/login', 'Warn'],
          ['', ''],
          [sha1.toUpperCase(), ''],
          ['198.51.100.8', 'BlockAndRemediate'],
        ],
      );
      const { result, outcomes } = await execute('defender_submit_indicator', path, {
        input: 'mde_prod',
        action: 'Audit',
      });

      const byValue = new Map(outcomes.map((o) => [`${o.row}:${o.value ?? ''}`, o]));
      expect(byValue.get(`1:${sha1}`)).to.include({ outcome: 'success', indicator_type: 'FileSha1' });
      expect(byValue.get('2:10.0.0.0/8')).to.include({ outcome: 'invalid', http_status: null });
      expect(byValue.get('2:10.0.0.0/8')!.error).to.include('CIDR range');
      expect(byValue.get('3:198.51.100.7')).to.include({ outcome: 'success', indicator_type: 'IpAddress' });
      expect(byValue.get('3:evil-domain.example')).to.include({ outcome: 'success', indicator_type: 'DomainName' });
      expect(byValue.get('4:https://phish.example/login')).to.include({ outcome: 'success', indicator_type: 'Url' });
      expect(byValue.get('5:')).to.include({ outcome: 'skipped' });
      expect(byValue.get(`6:${sha1}`)).to.include({ outcome: 'skipped' });
      expect(byValue.get('7:198.51.100.8')!.error).to.include('not allowed for IpAddress');

      const stored = tenantIndicators();
      expect(stored.get(sha1)).to.include({ action: 'Audit', generateAlert: true });
      expect(stored.get('https://phish.example/login')).to.include({ action: 'Warn' });
      expect(stored.has('10.0.0.0/8')).to.equal(false);
      expect(result.exitCode).to.equal(1);
      const errors = result.stderrLines.filter((l) => l.startsWith('ERROR'));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/2 of 8 indicators were not valid \(0 failed, 2 invalid\); 4 succeeded/);
    });

    it('dry run validates and reports without any write call to Defender', async () => {
      const path = resultsFile('indicators-dry', ['indicator'], [['203.0.113.99'], ['bad value here']]);
      const writesBefore = writeRequests('mde').length;
      const countBefore = emu.indicators.activeCount(TENANT);
      const { result, outcomes } = await execute('defender_submit_indicator', path, {
        input: 'mde_prod',
        action: 'Block',
        dry_run: '1',
      });
      expect(writeRequests('mde').length).to.equal(writesBefore);
      expect(emu.indicators.activeCount(TENANT)).to.equal(countBefore);
      expect(outcomes.map((o) => o.outcome).sort()).to.deep.equal(['dry_run', 'invalid']);
      expect(result.exitCode).to.equal(1);
    });
  });

  describe('defender_update_alert', () => {
    for (const api of ['graph', 'mde'] as const) {
      it(`updates 50 alerts through ${api} and the emulator shows the change`, async () => {
        const alerts = generateAlerts(api, {
          count: 50,
          seed: api === 'graph' ? 11 : 12,
          from: Date.now() - 86_400_000,
          to: Date.now() - 60_000,
        });
        emu.store.addAlerts(api, alerts);
        const ids = alerts.map((a) => String(a.id));
        // Two ids share a row (a multi-valued field) and one id appears twice: 50 alerts from 49 rows plus a duplicate.
        const rows: Array<Array<string | string[]>> = [
          [[ids[0]!, ids[1]!]],
          ...ids.slice(2).map((id) => [id]),
          [ids[5]!],
        ];
        const path = resultsFile(`update-${api}`, ['alert_id'], rows);
        const { result, outcomes } = await execute('defender_update_alert', path, {
          input: `${api}_prod`,
          id_field: 'alert_id',
          status: 'Resolved',
          classification: 'TruePositive',
          determination: 'Malware',
          assigned_to: 'soc@contoso.example',
          comment: 'Closed from Splunk',
        });

        expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
        const succeeded = outcomes.filter((o) => o.outcome === 'success');
        expect(succeeded.map((o) => o.id).sort()).to.deep.equal([...ids].sort());
        expect(outcomes.filter((o) => o.outcome === 'skipped').map((o) => o.id)).to.deep.equal([ids[5]]);
        for (const id of ids) {
          const alert = emu.store.get(api, id)!;
          if (api === 'graph') {
            expect(alert, id).to.include({
              status: 'resolved',
              classification: 'truePositive',
              determination: 'malware',
              assignedTo: 'soc@contoso.example',
            });
          } else {
            expect(alert, id).to.include({
              status: 'Resolved',
              classification: 'TruePositive',
              determination: 'Malware',
              assignedTo: 'soc@contoso.example',
            });
          }
          expect((alert.comments as Array<{ comment: string }>).map((c) => c.comment)).to.include('Closed from Splunk');
        }
        const writes = writeRequests(api).filter((r) => r.path.includes('/alerts'));
        if (api === 'mde') expect(writes.map((r) => r.path)).to.deep.equal(['/api/alerts/batchUpdate']);
        else expect(writes.filter((r) => r.method === 'PATCH')).to.have.length(50);
        expect(summary(result)).to.match(/n_items=51 succeeded=50 failed=0 invalid=0 skipped=1 dry_run=0/);
      });
    }

    it('dry run makes no write call and reports each alert', async () => {
      const alerts = generateAlerts('graph', {
        count: 3,
        seed: 21,
        from: Date.now() - 86_400_000,
        to: Date.now() - 60_000,
      });
      emu.store.addAlerts('graph', alerts);
      const path = resultsFile(
        'update-dry',
        ['id'],
        alerts.map((a) => [String(a.id)]),
      );
      const writesBefore = writeRequests('graph').length + writeRequests('mde').length;
      const { result, outcomes } = await execute('defender_update_alert', path, {
        input: 'graph_prod',
        status: 'inProgress',
        dry_run: '1',
      });
      expect(result.exitCode).to.equal(0);
      expect(writeRequests('graph').length + writeRequests('mde').length).to.equal(writesBefore);
      expect(outcomes.map((o) => o.outcome)).to.deep.equal(['dry_run', 'dry_run', 'dry_run']);
      for (const alert of alerts) expect(emu.store.get('graph', String(alert.id))!.status).to.equal(alert.status);
    });

    it('refuses values outside the documented enums before any call, naming the parameter', async () => {
      const path = resultsFile('update-bad', ['id'], [['da0000000000000000_1']]);
      const writesBefore = writeRequests('mde').length;
      const { result, outcomes } = await execute('defender_update_alert', path, {
        input: 'mde_prod',
        classification: 'FalsePositive',
        determination: 'Malware',
      });
      expect(result.exitCode).to.equal(1);
      expect(writeRequests('mde').length).to.equal(writesBefore);
      expect(outcomes).to.have.length(1);
      expect(outcomes[0]).to.include({ outcome: 'invalid' });
      expect(result.stderrLines.filter((l) => l.startsWith('ERROR'))[0]).to.include(
        'determination Malware does not fit classification FalsePositive',
      );
    });

    it('names a missing input and exits non-zero', async () => {
      const path = resultsFile('update-noinput', ['id'], [['da0000000000000000_2']]);
      const { result } = await execute('defender_update_alert', path, { input: 'nope', status: 'resolved' });
      expect(result.exitCode).to.equal(1);
      expect(result.stderrLines.join('\n')).to.match(/ERROR input "nope" is not a defender_alerts input/);
    });

    it('refuses to run without --execute', async () => {
      const result = await runScript(appDir, 'defender_update_alert', { args: [], stdin: '' });
      outputs.push(result.stderrLines.join('\n'));
      expect(result.exitCode).to.equal(2);
      expect(result.stderrLines).to.have.length(1);
      expect(result.stderrLines[0]).to.match(
        /^ERROR defender_update_alert is a Splunk alert action: splunkd runs it with --execute/,
      );
    });
  });
});
