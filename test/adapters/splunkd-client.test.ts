import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { createSplunkdClient, decideSplunkdConnection, toEntryName } from '../../src/adapters/splunkd-client.js';
import { SECRET_MASK } from '../../src/config/types.js';
import { SplunkdError } from '../../src/errors.js';
import type { SplunkdClient } from '../../src/ports.js';
import { MemoryLogger } from '../fakes/memory-ports.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { testTls } from '../helpers/tls.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SESSION_KEY = 'sess-Kq7jpfgz0WLe5t8Kw^secret-session';
const SECRET = 'cl13nt~S3cret.va/ue+abcdefghijklmnop';
const APP = 'TA-microsoft-defender';
const REALM = 'TA-microsoft-defender';

async function rejectionOf(promise: Promise<unknown>): Promise<SplunkdError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').to.be.instanceOf(SplunkdError);
  return error as SplunkdError;
}

describe('splunkd client', () => {
  let splunkd: FakeSplunkd;
  let log: MemoryLogger;
  let client: SplunkdClient;

  beforeEach(async () => {
    splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY });
    log = new MemoryLogger();
    client = createSplunkdClient({ serverUri: splunkd.uri, sessionKey: SESSION_KEY, app: APP, log, timeoutMs: 5_000 });
  });
  afterEach(() => splunkd.close());

  describe('secrets in storage/passwords', () => {
    it('stores a new secret under the app namespace and reads it back', async () => {
      await client.putSecret(REALM, 'prod', SECRET);
      expect(splunkd.passwords.get(`${REALM}:prod:`)).to.deep.equal({
        realm: REALM,
        username: 'prod',
        password: SECRET,
        app: APP,
      });
      expect(await client.getSecret(REALM, 'prod')).to.equal(SECRET);
      expect(splunkd.requests.every((r) => r.authorized)).to.equal(true);
    });

    it('returns undefined for a secret that is not stored', async () => {
      expect(await client.getSecret(REALM, 'nobody-stored-this')).to.equal(undefined);
    });

    it('updates a secret that already exists (409 on create) instead of failing', async () => {
      splunkd.passwords.set(`${REALM}:prod:`, { realm: REALM, username: 'prod', password: 'old-secret', app: APP });
      await client.putSecret(REALM, 'prod', SECRET);
      expect(splunkd.passwords.get(`${REALM}:prod:`)?.password).to.equal(SECRET);
      expect(splunkd.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
        `POST /servicesNS/nobody/${APP}/storage/passwords`,
        `POST /servicesNS/nobody/${APP}/storage/passwords/${REALM}:prod:`,
      ]);
    });

    it('encodes realm and user separately and keeps the trailing colon, for any stanza name', async () => {
      const user = 'eu/prod:1 ü';
      expect(toEntryName('my realm', user)).to.equal('my%20realm:eu%2Fprod%3A1%20%C3%BC:');
      await client.putSecret(REALM, user, SECRET);
      expect(await client.getSecret(REALM, user)).to.equal(SECRET);
      expect(splunkd.requests.at(-1)?.path).to.equal(
        `/servicesNS/nobody/${APP}/storage/passwords/${REALM}:eu%2Fprod%3A1%20%C3%BC:`,
      );
    });
  });

  describe('inputs and events', () => {
    it("masks the client secret of an input stanza in the stanza's own app", async () => {
      await client.updateInput('defender_alerts', 'prod/eu', 'search', { client_secret: SECRET_MASK });
      expect(splunkd.inputUpdates).to.deep.equal([
        { scheme: 'defender_alerts', name: 'prod/eu', app: 'search', params: { client_secret: SECRET_MASK } },
      ]);
      expect(splunkd.requests.at(-1)?.path).to.equal('/servicesNS/nobody/search/data/inputs/defender_alerts/prod%2Feu');
    });

    it('rejects an edit of a stanza splunkd does not have, naming the input', async () => {
      await splunkd.close();
      splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY, inputs: ['defender_alerts://prod'] });
      client = createSplunkdClient({ serverUri: splunkd.uri, sessionKey: SESSION_KEY, app: APP, log });
      const error = await rejectionOf(
        client.updateInput('defender_alerts', 'gone', APP, { client_secret: SECRET_MASK }),
      );
      expect(error.code).to.equal('splunkd_error');
      expect(error.message).to.include('defender_alerts://gone').and.include('404');
    });

    it('sends an event with its sourcetype, source, index and host as query and the data as body', async () => {
      const data = '{"action":"update_alert","outcome":"success","note":"ünï <&>"}';
      await client.sendEvent({
        data,
        sourcetype: 'ms:defender:action',
        source: 'defender_update_alert',
        index: 'security',
        host: 'sh1',
      });
      await client.sendEvent({ data: 'second', sourcetype: 'ms:defender:action' });
      expect(splunkd.events).to.deep.equal([
        {
          query: { sourcetype: 'ms:defender:action', source: 'defender_update_alert', index: 'security', host: 'sh1' },
          body: data,
        },
        { query: { sourcetype: 'ms:defender:action' }, body: 'second' },
      ]);
    });
  });

  describe('failures', () => {
    it('reports a wrong session key as splunkd_unauthorized on every call', async () => {
      const wrong = createSplunkdClient({ serverUri: splunkd.uri, sessionKey: 'not-the-key', app: APP, log });
      const calls = [
        wrong.getSecret(REALM, 'prod'),
        wrong.putSecret(REALM, 'prod', SECRET),
        wrong.updateInput('defender_alerts', 'prod', APP, { client_secret: SECRET_MASK }),
        wrong.sendEvent({ data: 'x', sourcetype: 'st' }),
      ];
      for (const call of calls) {
        const error = await rejectionOf(call);
        expect(error.code).to.equal('splunkd_unauthorized');
        expect(error.message).to.include('401').and.include('session key');
      }
      expect(splunkd.passwords.size).to.equal(0);
    });

    it('reports splunkd going down as splunkd_unreachable, naming the URI and what to check', async () => {
      splunkd.setDown(true);
      const error = await rejectionOf(client.putSecret(REALM, 'prod', SECRET));
      expect(error.code).to.equal('splunkd_unreachable');
      expect(error.message).to.include(splunkd.uri).and.include('splunkd is running');
      splunkd.setDown(false);
      await client.putSecret(REALM, 'prod', SECRET);
      expect(splunkd.passwords.size, 'works again once splunkd is back').to.equal(1);
    });

    it('reports a closed port as splunkd_unreachable', async () => {
      await splunkd.close();
      const error = await rejectionOf(client.getSecret(REALM, 'prod'));
      expect(error.code).to.equal('splunkd_unreachable');
      expect(error.message).to.include('ECONNREFUSED');
    });

    it('gives up on a splunkd that never answers, with a timeout error', async () => {
      splunkd.setHanging(true);
      const impatient = createSplunkdClient({
        serverUri: splunkd.uri,
        sessionKey: SESSION_KEY,
        app: APP,
        log,
        timeoutMs: 300,
      });
      const error = await rejectionOf(impatient.getSecret(REALM, 'prod'));
      expect(error.code).to.equal('splunkd_unreachable');
      expect(error.message).to.include('did not answer within 0.3 s');
    });

    it('maps 403 to splunkd_forbidden naming the capability the user lacks', async () => {
      const { uri, close } = await startPlainServer(403);
      try {
        const forbidden = createSplunkdClient({ serverUri: uri, sessionKey: SESSION_KEY, app: APP, log });
        const error403 = await rejectionOf(forbidden.getSecret(REALM, 'prod'));
        expect(error403.code).to.equal('splunkd_forbidden');
        expect(error403.message).to.include('list_storage_passwords');
      } finally {
        await close();
      }
    });

    it('never puts the session key or the secret in an error, even when splunkd echoes them', async () => {
      // A misbehaving splunkd that quotes the request (headers and body) back in its error message.
      const { uri, close } = await startPlainServer(500);
      try {
        const echoing = createSplunkdClient({ serverUri: uri, sessionKey: SESSION_KEY, app: APP, log });
        const error = await rejectionOf(echoing.putSecret(REALM, 'prod', SECRET));
        expect(error.code).to.equal('splunkd_error');
        expect(error.message).to.include('HTTP 500').and.include('splunkd said: refused').and.include('***');
        expectNoSecrets(inspect(error, { depth: 10 }));
      } finally {
        await close();
      }
    });

    it('keeps the session key and the secret out of every log line and error across a whole session', async () => {
      const errors: unknown[] = [];
      await client.putSecret(REALM, 'prod', SECRET);
      await client.putSecret(REALM, 'prod', SECRET);
      await client.getSecret(REALM, 'prod');
      await client.updateInput('defender_alerts', 'prod', APP, { client_secret: SECRET_MASK });
      await client.sendEvent({ data: 'outcome', sourcetype: 'st' });
      const wrong = createSplunkdClient({ serverUri: splunkd.uri, sessionKey: `${SESSION_KEY}-old`, app: APP, log });
      errors.push(await wrong.putSecret(REALM, 'prod', SECRET).catch((e: unknown) => e));
      splunkd.setDown(true);
      errors.push(await client.putSecret(REALM, 'prod', SECRET).catch((e: unknown) => e));
      errors.push(await client.getSecret(REALM, 'prod').catch((e: unknown) => e));
      expect(errors.every((e) => e instanceof SplunkdError)).to.equal(true);
      expect(log.lines.length).to.be.greaterThan(5);
      expectNoSecrets(inspect(log.lines, { depth: 10 }) + inspect(errors, { depth: 10 }));
    });
  });

  describe('where it may connect', () => {
    it('allows loopback hosts only, unless non-loopback is allowed explicitly', () => {
      for (const uri of [
        'https://127.0.0.1:8089',
        'https://127.1.2.3:8089',
        'https://localhost:8089',
        'https://[::1]:8089',
        'https://[::ffff:127.0.0.1]:8089',
        'http://127.0.0.1:8089',
      ]) {
        expect(decideSplunkdConnection(uri, {}).allowed, uri).to.equal(true);
      }
      for (const uri of [
        'https://10.0.0.5:8089',
        'https://splunk.example.com:8089',
        'https://0.0.0.0:8089',
        'https://[::]:8089',
        'https://127.0.0.1.nip.io:8089',
        'https://graph.microsoft.com',
      ]) {
        expect(decideSplunkdConnection(uri, {}).allowed, uri).to.equal(false);
        expect(decideSplunkdConnection(uri, { allowNonLoopback: true }).allowed, `${uri} allowed explicitly`).to.equal(
          true,
        );
      }
      for (const uri of ['ftp://127.0.0.1:8089', 'not a url', '']) {
        expect(decideSplunkdConnection(uri, { allowNonLoopback: true }).allowed, JSON.stringify(uri)).to.equal(false);
      }
    });

    it('checks the certificate only when a CA is given', () => {
      expect(decideSplunkdConnection('https://127.0.0.1:8089', {})).to.include({ allowed: true, verifyTls: false });
      expect(decideSplunkdConnection('https://127.0.0.1:8089', { ca: 'PEM' })).to.include({
        allowed: true,
        verifyTls: true,
      });
    });

    it('refuses a remote server_uri before any request, and logs the decision once at DEBUG', async () => {
      log = new MemoryLogger();
      const remote = createSplunkdClient({
        serverUri: 'https://splunk.example.com:8089',
        sessionKey: SESSION_KEY,
        app: APP,
        log,
      });
      const error = await rejectionOf(remote.getSecret(REALM, 'prod'));
      expect(error.code).to.equal('splunkd_uri_refused');
      expect(error.message).to.include('https://splunk.example.com:8089').and.include('loopback');
      await rejectionOf(remote.sendEvent({ data: 'x', sourcetype: 'st' }));
      const decisions = log.lines.filter((l) => l.fields?.action === 'splunkd_connection');
      expect(decisions).to.have.length(1);
      expect(decisions[0]).to.deep.include({ level: 'DEBUG' });
      expect(decisions[0]?.fields?.allowed).to.equal(false);
    });

    it('logs once at DEBUG that the loopback certificate is not checked', async () => {
      await client.getSecret(REALM, 'a');
      await client.getSecret(REALM, 'b');
      const decisions = log.lines.filter((l) => l.fields?.action === 'splunkd_connection');
      expect(decisions).to.have.length(1);
      expect(decisions[0]?.level).to.equal('DEBUG');
      expect(decisions[0]?.fields).to.include({ allowed: true, verify_tls: false });
      expect(decisions[0]?.message).to.include('certificate not checked');
    });

    it("verifies splunkd's certificate against a given CA and refuses one it does not sign", async () => {
      const tls = testTls();
      const trusting = createSplunkdClient({
        serverUri: splunkd.uri,
        sessionKey: SESSION_KEY,
        app: APP,
        log,
        ca: tls.ca,
      });
      await trusting.putSecret(REALM, 'prod', SECRET);
      // The server certificate alone is not a CA: nothing signs the chain, so the handshake fails.
      const distrusting = createSplunkdClient({
        serverUri: splunkd.uri,
        sessionKey: SESSION_KEY,
        app: APP,
        log,
        ca: tls.cert,
      });
      const error = await rejectionOf(distrusting.getSecret(REALM, 'prod'));
      expect(error.code).to.equal('splunkd_unreachable');
      expect(error.message).to.include('CA given for splunkd');
    });
  });

  describe('splunk-sdk containment', () => {
    it('does not load a .env from the working directory (the package index would)', function () {
      this.timeout(30_000);
      const cwd = mkdtempSync(join(tmpdir(), 'ta-defender-dotenv-'));
      try {
        writeFileSync(join(cwd, '.env'), 'TA_DOTENV_PROBE=leaked\n');
        const probe = (imports: string) => {
          const script = `${imports}\nprocess.stdout.write(String(process.env.TA_DOTENV_PROBE));`;
          const env = { ...process.env };
          delete env.TA_DOTENV_PROBE;
          return execFileSync(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], {
            cwd,
            env,
            encoding: 'utf8',
          });
        };
        const tsxLoader = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
        const client = pathToFileURL(join(repoRoot, 'src', 'adapters', 'splunkd-client.ts')).href;
        const sdkIndex = pathToFileURL(join(repoRoot, 'node_modules', 'splunk-sdk', 'index.js')).href;
        const ours = `const { createSplunkdClient } = await import(${JSON.stringify(client)});
          const log = { debug() {}, info() {}, warn() {}, error() {} };
          createSplunkdClient({ serverUri: 'https://127.0.0.1:1', sessionKey: 'k', app: 'a', log });`;
        expect(probe(ours)).to.equal('undefined');
        expect(probe(`await import(${JSON.stringify(sdkIndex)});`), 'control: the package index does load it').to.equal(
          'leaked',
        );
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
});

function expectNoSecrets(text: string): void {
  expect(text).to.not.include(SESSION_KEY);
  expect(text).to.not.include(SECRET);
  expect(text).to.not.include(encodeURIComponent(SECRET));
}

/**
 * A plain-http "splunkd" on 127.0.0.1 that answers every request with `status` and an error message quoting the
 * request's Authorization header and body back (raw and decoded), as a worst case.
 */
async function startPlainServer(status: number): Promise<{ uri: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = `refused ${req.headers.authorization ?? ''} ${Buffer.concat(chunks).toString('utf8')} ${decodeURIComponent(Buffer.concat(chunks).toString('utf8'))}`;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ messages: [{ type: 'ERROR', text }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
