/**
 * Accounts end to end: an account on disk (ta_microsoft_defender_account.conf, read by the fake splunkd as splunkd
 * reads the app's confs) with its secret in storage/passwords, used by the BUILT input (`account = <name>`) and by
 * both BUILT alert actions (`param.account`), against the emulator. Nothing holds the secret but storage/passwords.
 */
import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../emulator/emulator.js';
import { generateAlerts } from '../emulator/generator.js';
import { createConfigRoutes, type ConfigRoutes } from '../harness/fake-splunkd-config.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { buildInputXml, buildValidationXml } from '../harness/input-xml.js';
import { runInput, runScript } from '../harness/splunkd-harness.js';
import { builtAppDir } from '../helpers/built-app.js';

const APP = 'TA-microsoft-defender';
const TENANT = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
const CLIENT = '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d';
const SECRET = 'Acc0unt~SeCreT.value_only-in-storage-passwords';
const SESSION_KEY = 'AccountsSessionKey^abcdefghijklmnopqrstuvwxyz_0123';

describe('accounts end to end (built input and actions, emulator, fake splunkd)', function () {
  this.timeout(180_000);
  let emu: Emulator;
  let splunkd: FakeSplunkd;
  let config: ConfigRoutes;
  let splunkHome: string;
  let appDir: string;
  const stderr: string[] = [];

  before(async () => {
    emu = await startEmulator({ rateLimits: false });
    emu.addApp({
      tenantId: TENANT,
      clientId: CLIENT,
      secret: SECRET,
      roles: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All', 'Ti.ReadWrite.All'],
    });
    splunkHome = mkdtempSync(join(tmpdir(), 'ta-defender-accounts-'));
    appDir = join(splunkHome, 'etc', 'apps', APP);
    mkdirSync(join(splunkHome, 'etc', 'apps'), { recursive: true });
    cpSync(builtAppDir(), appDir, { recursive: true });
    mkdirSync(join(appDir, 'local'), { recursive: true });
    // What the Configuration page writes: the account's fields in the app's local conf, no secret.
    writeFileSync(
      join(appDir, 'local', 'ta_microsoft_defender_account.conf'),
      `[contoso]\ntenant_id = ${TENANT}\nclient_id = ${CLIENT}\nregion = global\nlogin_url = ${emu.urls.login}\n`,
    );
    let uri = '';
    config = createConfigRoutes({ splunkHome, serverUri: () => uri });
    splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY, routes: config.routes });
    uri = splunkd.uri;
    splunkd.passwords.set(`${APP}:account#contoso:`, {
      realm: APP,
      username: 'account#contoso',
      password: SECRET,
      app: APP,
    });
  });
  after(async () => {
    await config?.close();
    await emu?.close();
    await splunkd?.close();
  });

  afterEach(() => {
    for (const text of stderr) expect(text.includes(SECRET), 'the secret leaked into stderr').to.equal(false);
  });

  it("collects with account = contoso: the account's tenant, client and secret, the stanza's api_url", async () => {
    emu.store.addAlerts(
      'graph',
      generateAlerts('graph', { count: 25, seed: 31, from: Date.now() - 3_600_000, to: Date.now() - 60_000 }),
    );
    const stdin = buildInputXml({
      serverUri: splunkd.uri,
      sessionKey: SESSION_KEY,
      checkpointDir: mkdtempSync(join(tmpdir(), 'ta-defender-cp-')),
      stanzas: [
        {
          name: 'defender_alerts://via_account',
          params: { account: 'contoso', api: 'graph', api_url: emu.urls.graph, start_time: '-1d' },
        },
      ],
    });
    const run = await runInput({ appDir, stdin, env: { NODE_EXTRA_CA_CERTS: emu.caFile }, timeoutMs: 60_000 });
    stderr.push(run.stderrLines.join('\n'));
    expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
    expect(run.events).to.have.length(25);
    const tokenPosts = emu.requests.filter((r) => r.service === 'login' && r.path.endsWith('/token'));
    expect(tokenPosts.length).to.be.greaterThan(0);
    expect(splunkd.inputUpdates, 'an account input is never masked: it holds no secret').to.have.length(0);
  });

  it('fails an input whose account does not exist, naming it and where to create it', async () => {
    const stdin = buildInputXml({
      serverUri: splunkd.uri,
      sessionKey: SESSION_KEY,
      checkpointDir: mkdtempSync(join(tmpdir(), 'ta-defender-cp-')),
      stanzas: [{ name: 'defender_alerts://ghost', params: { account: 'fabrikam', api_url: emu.urls.graph } }],
    });
    const run = await runInput({ appDir, stdin, env: { NODE_EXTRA_CA_CERTS: emu.caFile }, timeoutMs: 60_000 });
    expect(run.exitCode).to.equal(1);
    expect(run.stderrLines.find((l) => l.includes('action=run_end'))).to.match(
      /account "fabrikam" does not exist: create it on the add-on's Configuration page.*error=config_invalid/,
    );
  });

  it('validates a stanza with an account through the launcher: the account is read and its credentials checked', async () => {
    const validate = (params: Record<string, string>) =>
      runScript(appDir, 'defender_alerts', {
        args: ['--validate-arguments'],
        stdin: buildValidationXml({
          serverUri: splunkd.uri,
          sessionKey: SESSION_KEY,
          checkpointDir: splunkHome,
          item: { name: 'v', params },
        }),
        env: { NODE_EXTRA_CA_CERTS: emu.caFile },
      });
    const ok = await validate({ account: 'contoso' });
    expect(ok.exitCode, ok.stdout.toString()).to.equal(0);
    const doubled = await validate({ account: 'contoso', tenant_id: TENANT });
    expect(doubled.exitCode).to.equal(1);
    expect(doubled.stdout.toString()).to.include('tenant_id is set together with account');
  });

  function resultsFile(header: string[], rows: string[][]): string {
    const path = join(mkdtempSync(join(tmpdir(), 'ta-defender-results-')), 'results.csv.gz');
    writeFileSync(path, gzipSync([header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n'));
    return path;
  }

  async function execute(action: string, results: string, configuration: Record<string, string>) {
    const before = splunkd.events.length;
    const payload = {
      app: 'search',
      owner: 'admin',
      results_file: results,
      server_uri: splunkd.uri,
      session_key: SESSION_KEY,
      sid: `accounts_${action}`,
      search_name: 'Accounts',
      configuration,
      result: {},
    };
    const result = await runScript(appDir, action, {
      args: ['--execute'],
      stdin: JSON.stringify(payload),
      env: { NODE_EXTRA_CA_CERTS: emu.caFile },
      timeoutMs: 120_000,
    });
    stderr.push(result.stderrLines.join('\n'));
    const outcomes = splunkd.events
      .slice(before)
      .flatMap((e) => e.body.split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, outcomes };
  }

  it('updates alerts through Graph with param.account', async () => {
    const ids = emu.store
      .all('graph')
      .slice(0, 3)
      .map((a) => String(a.id));
    const { result, outcomes } = await execute(
      'defender_update_alert',
      resultsFile(
        ['id'],
        ids.map((id) => [id]),
      ),
      {
        account: 'contoso',
        api_url: emu.urls.graph,
        status: 'resolved',
        classification: 'falsePositive',
      },
    );
    expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['success', 'success', 'success']);
    expect(outcomes[0]).to.include({ account: 'contoso', input: null, api: 'graph' });
    for (const id of ids) expect(emu.store.all('graph').find((a) => a.id === id)).to.include({ status: 'resolved' });
  });

  it('submits indicators to Defender for Endpoint with param.account', async () => {
    const hash = 'c'.repeat(64);
    const { result, outcomes } = await execute('defender_submit_indicator', resultsFile(['indicator'], [[hash]]), {
      account: 'contoso',
      api_url: emu.urls.mde,
      action: 'Block',
    });
    expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
    expect(outcomes[0]).to.include({ outcome: 'success', account: 'contoso', indicator_type: 'FileSha256' });
  });

  it('keeps the secret in storage/passwords only: no file of the app holds it', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(conf|meta|json|txt)$/.test(name)) files.push(path);
      }
    };
    walk(appDir);
    expect(files.length).to.be.greaterThan(5);
    for (const file of files) expect(readFileSync(file, 'utf8').includes(SECRET), file).to.equal(false);
  });
});
