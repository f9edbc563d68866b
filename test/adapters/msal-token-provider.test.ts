import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { createGotHttpClient } from '../../src/adapters/got-http-client.js';
import {
  checkCredentials,
  createMsalTokenProvider,
  type MsalTokenProviderOptions,
} from '../../src/adapters/msal-token-provider.js';
import { createOutbound } from '../../src/adapters/network/outbound.js';
import { USER_AGENT } from '../../src/version.js';
import { AuthError } from '../../src/errors.js';
import { InstantClock, MemoryLogger } from '../fakes/memory-ports.js';
import { startConnectProxy, startLocalHttps, type LocalHttps, type RecordedRequest } from '../helpers/local-https.js';
import { testTls } from '../helpers/tls.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'Cl1ent~S3cret.Value_xyz';
const SCOPE = 'https://graph.microsoft.com/.default';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
const aadError = (code: number, error: string) => ({
  error,
  error_description: `AADSTS${code}: Description text.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2024-05-01 10:00:00Z`,
  error_codes: [code],
  timestamp: '2024-05-01 10:00:00Z',
  trace_id: 't',
  correlation_id: 'c',
});

/** A minimal Entra ID: openid-configuration for TENANT (400 AADSTS90002 for others) and a v2 token endpoint. */
class FakeEntra {
  server!: LocalHttps;
  tokenAnswers: Array<(req: RecordedRequest, res: ServerResponse) => void> = [];
  issued = 0;

  async start(): Promise<this> {
    this.server = await startLocalHttps((req, res) => this.handle(req, res));
    return this;
  }
  get authority() {
    return `${this.server.origin}/${TENANT}`;
  }
  get paths() {
    return this.server.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
  }
  tokenPosts() {
    return this.server.requests.filter((r) => r.method === 'POST');
  }

  private handle(req: RecordedRequest, res: ServerResponse): void {
    const [, tenant, ...rest] = req.url.split('?')[0]!.split('/');
    const path = rest.join('/');
    if (path === 'v2.0/.well-known/openid-configuration') {
      if (tenant !== TENANT) return send(res, 400, aadError(90002, 'invalid_tenant'));
      const base = `${this.server.origin}/${tenant}`;
      return send(res, 200, {
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        issuer: `${this.server.origin}/${tenant}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      });
    }
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
      const answer = this.tokenAnswers.shift();
      if (answer) return answer(req, res);
      const form = new URLSearchParams(req.body);
      if (form.get('client_secret') !== SECRET) return send(res, 401, aadError(7000215, 'invalid_client'));
      if (form.get('client_id') !== CLIENT) return send(res, 400, aadError(700016, 'unauthorized_client'));
      this.issued++;
      return send(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: `access-token-${this.issued}`,
      });
    }
    send(res, 404, { error: 'not_found' });
  }
}

describe('msal-token-provider', function () {
  let entra: FakeEntra;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    entra = await new FakeEntra().start();
  });
  afterEach(async () => {
    await entra.server.close();
    for (const c of closers.splice(0)) await c();
  });

  function provider(over: Partial<MsalTokenProviderOptions> = {}) {
    const log = new MemoryLogger();
    const clock = new InstantClock();
    const tokens = createMsalTokenProvider({
      authority: entra.authority,
      clientId: CLIENT,
      clientSecret: SECRET,
      scope: SCOPE,
      knownAuthorities: [entra.server.hostPort],
      tenantId: TENANT,
      outbound: createOutbound({ ca: testTls().ca }),
      timeoutMs: 3_000,
      log,
      clock,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...over,
    });
    return { tokens, log, clock };
  }

  it('gets a token, asking only for the openid configuration and the token (no instance discovery)', async () => {
    const { tokens } = provider();
    expect(await tokens.getToken()).to.equal('access-token-1');
    expect(entra.paths).to.deep.equal([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
    const form = new URLSearchParams(entra.tokenPosts()[0]!.body);
    expect(form.get('grant_type')).to.equal('client_credentials');
    expect(form.get('scope')).to.equal(SCOPE);
    expect(entra.server.requests.every((r) => r.headers['user-agent'] === USER_AGENT)).to.equal(true);
  });

  it('serves the cached token until forceRefresh asks for a new one', async () => {
    const { tokens } = provider();
    await tokens.getToken();
    expect(await tokens.getToken()).to.equal('access-token-1');
    expect(await tokens.getToken({ forceRefresh: true })).to.equal('access-token-2');
    expect(entra.tokenPosts()).to.have.length(2);
  });

  it('shares one token request between concurrent callers', async () => {
    const { tokens } = provider();
    const all = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()]);
    expect(all).to.deep.equal(['access-token-1', 'access-token-1', 'access-token-1']);
    expect(entra.tokenPosts()).to.have.length(1);
  });

  it('explains a wrong secret, without retrying and without the secret in any output', async () => {
    const { tokens, log } = provider({ clientSecret: 'Wr0ng~Secret.Value' });
    const err = await tokens.getToken().then(
      () => undefined,
      (e: unknown) => e as AuthError,
    );
    expect(err).to.be.instanceOf(AuthError);
    expect(err).to.include({ code: 'auth_bad_secret', aadsts: 7000215, retryable: false });
    expect(err!.message).to.include('Value, not the Secret ID');
    expect(entra.tokenPosts()).to.have.length(1);
    for (const text of [err!.message, String(err!.stack), log.text()]) {
      expect(text).not.to.include('Wr0ng~Secret.Value');
      expect(text).not.to.include(SECRET);
    }
  });

  it('explains an unknown application', async () => {
    const { tokens } = provider({ clientId: '99999999-bbbb-cccc-dddd-eeeeeeeeeeee' });
    const err = await tokens.getToken().then(
      () => undefined,
      (e: unknown) => e as AuthError,
    );
    expect(err).to.include({ code: 'auth_app_not_found' });
    expect(err!.message).to.include(`not found in tenant ${TENANT}`);
  });

  it('explains an unknown tenant, which msal reports as endpoints_resolution_error', async () => {
    const other = '00000000-0000-0000-0000-000000000000';
    const { tokens } = provider({ authority: `${entra.server.origin}/${other}`, tenantId: other });
    const err = await tokens.getToken().then(
      () => undefined,
      (e: unknown) => e as AuthError,
    );
    expect(err).to.include({ code: 'auth_tenant_not_found', aadsts: 90002 });
    expect(err!.message).to.include(`Tenant ${other} does not exist in this cloud`);
    expect(entra.tokenPosts()).to.have.length(0);
  });

  it('says the login host cannot be reached, rather than blaming the tenant', async () => {
    const dead = await startLocalHttps(() => {});
    const origin = dead.origin;
    await dead.close();
    const { tokens } = provider({
      authority: `${origin}/${TENANT}`,
      knownAuthorities: [new URL(origin).host],
      retry: { maxRetries: 0 },
    });
    const err = await tokens.getToken().then(
      () => undefined,
      (e: unknown) => e as AuthError,
    );
    expect(err).to.include({ code: 'auth_network', retryable: true });
    expect(err!.message).to.include('ECONNREFUSED').and.include('proxy_url');
  });

  it('retries a transient 503 from the token endpoint, then succeeds', async () => {
    entra.tokenAnswers.push((_req, res) => send(res, 503, aadError(50000, 'temporarily_unavailable')));
    const { tokens, log, clock } = provider();
    expect(await tokens.getToken()).to.equal('access-token-1');
    expect(entra.tokenPosts()).to.have.length(2);
    expect(clock.sleeps).to.have.length(1);
    expect(log.lines.some((l) => l.level === 'WARN' && l.fields?.status === 503 && l.fields?.attempt === 1)).to.equal(
      true,
    );
  });

  it('waits as Retry-After says when Entra ID throttles (AADSTS90055)', async () => {
    entra.tokenAnswers.push((_req, res) =>
      send(res, 429, aadError(90055, 'temporarily_unavailable'), { 'retry-after': '2' }),
    );
    const { tokens, clock, log } = provider();
    expect(await tokens.getToken()).to.equal('access-token-1');
    expect(clock.sleeps).to.deep.equal([2_000]);
    expect(log.lines.find((l) => l.fields?.action === 'throttled')?.fields).to.include({ wait_s: 2 });
  });

  it('gives up on a persistent 5xx with a retryable AuthError', async () => {
    for (let i = 0; i < 5; i++)
      entra.tokenAnswers.push((_req, res) => send(res, 500, aadError(90033, 'temporarily_unavailable')));
    const { tokens } = provider({ retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = await tokens.getToken().then(
      () => undefined,
      (e: unknown) => e as AuthError,
    );
    expect(err).to.include({ code: 'auth_unavailable', retryable: true });
    expect(entra.tokenPosts()).to.have.length(2);
  });

  it('times out a token endpoint that never answers', async () => {
    entra.tokenAnswers.push(() => {
      /* hang */
    });
    const { tokens } = provider({ timeoutMs: 200, retry: { maxRetries: 0 } });
    const err = await tokens.getToken().then(
      () => undefined,
      (e: unknown) => e as AuthError,
    );
    expect(err).to.include({ code: 'auth_timeout' });
  });

  describe('checkCredentials', () => {
    const base = () => ({
      authority: entra.authority,
      clientId: CLIENT,
      scope: SCOPE,
      knownAuthorities: [entra.server.hostPort],
      tenantId: TENANT,
      outbound: createOutbound({ ca: testTls().ca }),
    });

    it('returns undefined for working credentials', async () => {
      expect(await checkCredentials({ ...base(), clientSecret: SECRET })).to.equal(undefined);
    });

    it('returns the admin sentence for refused credentials, once, without the secret', async () => {
      const message = await checkCredentials({ ...base(), clientSecret: 'N0pe~Secret' });
      expect(message).to.match(/client secret is wrong/);
      expect(message).not.to.include('N0pe~Secret');
      expect(entra.tokenPosts()).to.have.length(1);
    });

    it('returns a timeout message within its short timeout, without retrying', async () => {
      entra.tokenAnswers.push(() => {
        /* hang */
      });
      const message = await checkCredentials({ ...base(), clientSecret: SECRET, timeoutMs: 200 });
      expect(message).to.match(/did not answer in time/);
      expect(entra.tokenPosts()).to.have.length(1);
    });
  });

  describe('through a proxy', () => {
    it('sends both the token call and the API call through the same proxy, never logging its password', async () => {
      const proxy = await startConnectProxy({ user: 'svc', pass: 'pr0xy-S3cret' });
      closers.push(proxy.close);
      const api = await startLocalHttps((_req, res) => send(res, 200, { value: [] }));
      closers.push(api.close);
      const outbound = createOutbound({ proxyUrl: proxy.url, ca: testTls().ca });
      const { tokens, log } = provider({ outbound });
      const http = createGotHttpClient({ tokenProvider: tokens, outbound, log });
      const res = await http.send({ url: `${api.origin}/v1.0/security/alerts_v2` });
      for await (const _ of res.body) {
        /* drain */
      }
      expect(proxy.tunnels).to.include(entra.server.hostPort);
      expect(proxy.tunnels).to.include(api.hostPort);
      expect(api.requests[0]!.headers.authorization).to.equal('Bearer access-token-1');
      expect(log.text()).not.to.include('pr0xy-S3cret');
      expect(log.text()).not.to.include(SECRET);
      expect(log.text()).not.to.include('access-token-1');
    });

    it('explains a proxy that refuses the credentials', async () => {
      const proxy = await startConnectProxy({ user: 'svc', pass: 'right' });
      closers.push(proxy.close);
      const wrong = proxy.url.replace('right', 'Wr0ngPr0xyPass');
      const { tokens, log } = provider({ outbound: createOutbound({ proxyUrl: wrong, ca: testTls().ca }) });
      const err = await tokens.getToken().then(
        () => undefined,
        (e: unknown) => e as AuthError,
      );
      expect(err).to.include({ code: 'proxy_refused' });
      expect(err!.message).to.include('407').and.include('user and password in proxy_url');
      expect(proxy.refused, 'a refusal is not retried').to.equal(1);
      for (const text of [err!.message, String(err!.stack), log.text()]) expect(text).not.to.include('Wr0ngPr0xyPass');
    });
  });
});
