import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator.js';
import { generateAlerts } from './generator.js';
import { call, client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

describe('emulator: faults and rate limits', () => {
  let emu: Emulator;
  let api: ReturnType<typeof client>;
  let nowMs = Date.parse('2024-05-02T00:00:00Z');
  let url: string;

  before(async () => {
    emu = await startEmulator({ now: () => nowMs });
    emu.addApp({
      tenantId: TENANT,
      clientId: CLIENT,
      secret: SECRET,
      roles: ['SecurityAlert.Read.All', 'Alert.Read.All'],
    });
    api = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph));
    emu.store.addAlerts(
      'graph',
      generateAlerts('graph', { count: 20, seed: 4, from: '2024-05-01T00:00:00Z', to: '2024-05-01T01:00:00Z' }),
    );
    url = `${emu.urls.graph}/v1.0/security/alerts_v2`;
  });
  afterEach(() => {
    emu.faults.clear();
    emu.setRateLimits(false);
  });
  after(() => emu.close());

  it('answers an injected 503 with Retry-After and the Graph body, for `times` requests, then recovers', async () => {
    emu.addFault({
      service: 'graph',
      method: 'get',
      pathIncludes: 'alerts_v2',
      times: 2,
      kind: { status: 503, retryAfter: 7 },
    });
    for (let i = 0; i < 2; i++) {
      const res = await api.get(url);
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('7');
      expect(res.json().error.code).to.equal('ServiceUnavailable');
    }
    expect((await api.get(url)).status).to.equal(200);
    expect(emu.faults.pending()).to.deep.equal([]);
  });

  it('matches faults in order and only on their service, method and path', async () => {
    emu.addFault({ service: 'mde', kind: { status: 500 } });
    emu.addFault({ service: 'graph', method: 'PATCH', kind: { status: 500 } });
    emu.addFault({ service: 'graph', pathIncludes: '/alerts_v2', kind: { status: 429, retryAfter: 1 } });
    emu.addFault({ service: 'graph', kind: { status: 502 } });
    expect((await api.get(url)).status).to.equal(429);
    expect((await api.get(url)).status).to.equal(502);
    expect((await api.get(url)).status).to.equal(200);
    expect(emu.faults.pending().map((f) => f.service)).to.deep.equal(['mde', 'graph']);
  });

  it('answers a login fault in the Entra body shape', async () => {
    emu.addFault({ service: 'login', pathIncludes: '/token', kind: { status: 429, retryAfter: 3 } });
    const res = await call(emu.ca, `${emu.urls.login}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      body: 'grant_type=client_credentials',
    });
    expect(res.status).to.equal(429);
    expect(res.json().error_codes).to.deep.equal([90055]);
  });

  it('resets the connection before any response', async () => {
    emu.addFault({ service: 'graph', kind: 'reset' });
    let error: Error | undefined;
    await api.get(url).catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.match(/socket hang up|ECONNRESET/);
    expect(emu.requests.at(-1)!.status).to.equal('reset');
  });

  it('truncates a body after n bytes, and does not count the page as served', async () => {
    emu.store.table('graph').clear();
    emu.store.addAlerts(
      'graph',
      generateAlerts('graph', { count: 5, seed: 6, from: '2024-05-01T00:00:00Z', to: '2024-05-01T01:00:00Z' }),
    );
    emu.addFault({ service: 'graph', kind: { truncateAfterBytes: 1000 } });
    let error: Error | undefined;
    await api.get(url).catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.match(/aborted|incomplete|ECONNRESET|socket hang up/);
    expect(emu.served('graph')).to.deep.equal([]);
    expect((await api.get(url)).json().value).to.have.length(5);
    expect(emu.served('graph')).to.have.length(5);
  });

  it('stalls a body long enough for the client idle timeout to fire', async () => {
    emu.addFault({ service: 'graph', kind: { slowBodyMs: 60_000 } });
    let error: Error | undefined;
    await api.get(url, {}, { idleTimeoutMs: 300 }).catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.equal('timeout');
  });

  it('sends a whole body after a short stall', async () => {
    emu.addFault({ service: 'graph', kind: { slowBodyMs: 50 } });
    expect((await api.get(url)).json().value).to.have.length(emu.store.table('graph').size);
  });

  it('answers 200 with an HTML page for the html fault', async () => {
    emu.addFault({ service: 'graph', kind: 'html' });
    const res = await api.get(url);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expect(() => res.json()).to.throw(SyntaxError);
  });

  it('throttles per client and tenant with 429 and Retry-After until the window slides', async () => {
    emu.setRateLimits({ 'graph-alerts': [{ limit: 2, windowMs: 60_000 }] });
    expect((await api.get(url)).status).to.equal(200);
    nowMs += 10_000;
    expect((await api.get(url)).status).to.equal(200);
    const refused = await api.get(url);
    expect(refused.status).to.equal(429);
    expect(refused.headers['retry-after']).to.equal('50');
    expect(refused.json().error.code).to.equal('TooManyRequests');

    emu.addApp({
      tenantId: TENANT,
      clientId: '33333333-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      secret: 's',
      roles: ['SecurityAlert.Read.All'],
    });
    const other = client(emu, await fetchToken(emu, TENANT, '33333333-bbbb-4ccc-8ddd-eeeeeeeeeeee', 's', SCOPES.graph));
    expect((await other.get(url)).status).to.equal(200);

    nowMs += 50_000;
    expect((await api.get(url)).status).to.equal(200);
  });

  it('applies the documented MDE quotas by default, with the MDE body', async () => {
    emu.setRateLimits({});
    const mde = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.mde));
    for (let i = 0; i < 100; i++) expect((await mde.get(`${emu.urls.mde}/api/alerts?$top=1`)).status).to.equal(200);
    const refused = await mde.get(`${emu.urls.mde}/api/alerts?$top=1`);
    expect(refused.status).to.equal(429);
    expect(refused.json().error).to.include({ code: 'TooManyRequests' });
    expect(refused.json().error.target).to.be.a('string');
  });
});
