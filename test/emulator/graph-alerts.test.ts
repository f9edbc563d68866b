import { expect } from 'chai';
import { parseApiTime } from '../../src/defender/api-time.js';
import { startEmulator, type Emulator } from './emulator.js';
import { generateAlerts, loadFixtureAlerts } from './generator.js';
import { client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

const ALERTS = '/v1.0/security/alerts_v2';

describe('emulator: Graph alerts_v2 reads', () => {
  let emu: Emulator;
  let nowMs = Date.parse('2024-05-02T00:00:00Z');
  let api: ReturnType<typeof client>;

  before(async () => {
    emu = await startEmulator({ now: () => nowMs, rateLimits: false });
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ['SecurityAlert.Read.All'] });
    api = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph));
  });
  beforeEach(() => emu.store.clear());
  after(() => emu.close());

  /** Follows nextLinks from `url`, returning every item. */
  const readAll = async (url: string, headers?: Record<string, string>): Promise<{ items: any[]; pages: number }> => {
    const items: any[] = [];
    let next: string | undefined = url;
    let pages = 0;
    while (next !== undefined) {
      const res = await api.get(next, headers);
      expect(res.status, res.text).to.equal(200);
      const body = res.json();
      items.push(...body.value);
      next = body['@odata.nextLink'];
      pages++;
    }
    return { items, pages };
  };

  it('serves the most recent first by default, 100 per page, with an absolute nextLink carrying a $skiptoken', async () => {
    emu.store.addAlerts(
      'graph',
      generateAlerts('graph', {
        count: 150,
        seed: 1,
        from: '2024-05-01T00:00:00Z',
        to: '2024-05-01T12:00:00Z',
        approxBytes: 0,
      }),
    );
    const res = await api.get(`${emu.urls.graph}${ALERTS}`);
    const body = res.json();
    expect(body['@odata.context']).to.equal(`${emu.urls.graph}/v1.0/$metadata#security/alerts_v2`);
    expect(body.value).to.have.length(100);
    const times = body.value.map((a: any) => parseApiTime(a.lastUpdateDateTime)!);
    expect(times).to.deep.equal([...times].sort((a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(body['@odata.nextLink']).to.match(
      new RegExp(`^${emu.urls.graph}/v1\\.0/security/alerts_v2\\?.*\\$skiptoken=`),
    );
    const second = (await api.get(body['@odata.nextLink'])).json();
    expect(second.value).to.have.length(50);
    expect(second['@odata.nextLink']).to.equal(undefined);
  });

  it('pages a filtered ascending query through ties larger than a page, each alert exactly once', async () => {
    const alerts = generateAlerts('graph', {
      count: 230,
      seed: 2,
      from: '2024-05-01T00:00:00Z',
      to: '2024-05-01T01:00:00Z',
      tieGroups: 2,
      approxBytes: 0,
    });
    emu.store.addAlerts('graph', alerts);
    const filter = encodeURIComponent(
      'lastUpdateDateTime ge 2024-05-01T00:00:00Z and lastUpdateDateTime lt 2024-05-01T01:00:00Z',
    );
    const { items, pages } = await readAll(
      `${emu.urls.graph}${ALERTS}?$filter=${filter}&$orderby=lastUpdateDateTime%20asc&$top=50`,
    );
    expect(pages).to.equal(5);
    expect(items.map((a) => a.id)).to.have.members(alerts.map((a) => a.id as string));
    const served = emu.served('graph');
    expect(served).to.have.length(230);
    expect(served.every((v) => v.count === 1)).to.equal(true);
  });

  it('compares times at 100-ns precision whatever the fraction length', async () => {
    const [a] = loadFixtureAlerts('graph');
    emu.store.addAlerts('graph', [
      { ...a, id: 'x1', lastUpdateDateTime: '2024-05-01T10:00:00.1234567Z' },
      { ...a, id: 'x2', lastUpdateDateTime: '2024-05-01T10:00:00.1234568Z' },
      { ...a, id: 'x3', lastUpdateDateTime: '2024-05-01T10:00:00.2Z' },
    ]);
    const ids = async (f: string) =>
      (await api.get(`${emu.urls.graph}${ALERTS}?$filter=${encodeURIComponent(f)}`))
        .json()
        .value.map((x: any) => x.id)
        .sort();
    expect(await ids('lastUpdateDateTime gt 2024-05-01T10:00:00.1234567Z')).to.deep.equal(['x2', 'x3']);
    expect(await ids('lastUpdateDateTime ge 2024-05-01T10:00:00.2000000Z')).to.deep.equal(['x3']);
    expect(
      await ids("lastUpdateDateTime lt 2024-05-01T10:00:00.2Z and (status eq 'new' or severity eq 'high')"),
    ).to.deep.equal(['x1', 'x2']);
  });

  it('answers a filter on a non-filterable property with a Graph 400 BadRequest', async () => {
    const res = await api.get(
      `${emu.urls.graph}${ALERTS}?$filter=${encodeURIComponent("investigationState eq 'running'")}`,
    );
    expect(res.status).to.equal(400);
    const body = res.json();
    expect(body.error.code).to.equal('BadRequest');
    expect(body.error.message).to.include('investigationState');
    expect(body.error.innerError['request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('clamps $top to 1000', async () => {
    emu.store.addAlerts(
      'graph',
      generateAlerts('graph', {
        count: 1100,
        seed: 3,
        from: '2024-05-01T00:00:00Z',
        to: '2024-05-01T01:00:00Z',
        approxBytes: 0,
      }),
    );
    const body = (await api.get(`${emu.urls.graph}${ALERTS}?$top=5000`)).json();
    expect(body.value).to.have.length(1000);
    expect(body['@odata.nextLink']).to.include('$top=5000');
  });

  it('serves evolvable enum members as unknownFutureValue unless Prefer: include-unknown-enum-members', async () => {
    emu.store.addAlerts('graph', loadFixtureAlerts('graph'));
    const cloudId = 'dc2b7f6a1e4d9c8b7a6f5e4d3c2b1a09_1';
    const plain = (await api.get(`${emu.urls.graph}${ALERTS}`)).json().value.find((a: any) => a.id === cloudId);
    expect(plain.serviceSource).to.equal('unknownFutureValue');
    expect(plain.detectionSource).to.equal('unknownFutureValue');
    const res = await api.get(`${emu.urls.graph}${ALERTS}`, { prefer: 'include-unknown-enum-members' });
    expect(res.headers['preference-applied']).to.equal('include-unknown-enum-members');
    const full = res.json().value.find((a: any) => a.id === cloudId);
    expect(full.serviceSource).to.equal('microsoftDefenderForCloud');
    expect(emu.requests.at(-1)!.headers.prefer).to.equal('include-unknown-enum-members');
  });

  it('returns the hostile alert byte-for-byte equal to the fixture after a JSON round trip', async () => {
    const fixtures = loadFixtureAlerts('graph');
    emu.store.addAlerts('graph', fixtures);
    const hostile = fixtures.at(-1)!;
    const res = await api.get(`${emu.urls.graph}${ALERTS}/${String(hostile.id)}`, {
      prefer: 'include-unknown-enum-members',
    });
    const { '@odata.context': context, ...alert } = res.json();
    expect(context).to.include('$entity');
    expect(alert).to.deep.equal(hostile);
    expect(alert.title)
      .to.include('\u0001')
      .and.include('\u2028')
      .and.include(']]>')
      .and.include('\ufffd')
      .and.include('\r');
  });

  it('hides an alert until it is made visible (late arrival) and counts an update as a new version', async () => {
    const [a, b] = loadFixtureAlerts('graph');
    emu.store.addAlerts('graph', [a!]);
    emu.store.addHidden('graph', [b!]);
    expect((await api.get(`${emu.urls.graph}${ALERTS}`)).json().value.map((x: any) => x.id)).to.deep.equal([a!.id]);
    emu.store.setVisible('graph', b!.id as string, true);
    emu.store.updateAlert('graph', a!.id as string, { status: 'resolved' });
    const items = (await api.get(`${emu.urls.graph}${ALERTS}`)).json().value;
    expect(items.map((x: any) => x.id)).to.have.members([a!.id, b!.id]);
    expect(items.find((x: any) => x.id === a!.id).lastUpdateDateTime).to.equal('2024-05-02T00:00:00.0000000Z');
    expect(emu.served('graph').filter((v) => v.id === a!.id)).to.have.length(2);
  });

  it('answers 404 NotFound for an unknown alert id', async () => {
    const res = await api.get(`${emu.urls.graph}${ALERTS}/nope`);
    expect(res.status).to.equal(404);
    expect(res.json().error.code).to.equal('NotFound');
  });

  describe('authorization', () => {
    it('refuses a missing bearer with 401 InvalidAuthenticationToken', async () => {
      const res = await client(emu).get(`${emu.urls.graph}${ALERTS}`);
      expect(res.status).to.equal(401);
      expect(res.json().error.code).to.equal('InvalidAuthenticationToken');
    });

    it('refuses a token of another audience with 401', async () => {
      const mdeToken = await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.mde);
      const res = await client(emu, mdeToken).get(`${emu.urls.graph}${ALERTS}`);
      expect(res.status).to.equal(401);
      expect(res.json().error.message).to.equal('Invalid audience.');
    });

    it('refuses a token without the SecurityAlert role with 403 naming the role', async () => {
      emu.addApp({
        tenantId: TENANT,
        clientId: '00000000-bbbb-4ccc-8ddd-eeeeeeeeeeee',
        secret: 's',
        roles: ['Alert.Read.All'],
      });
      const token = await fetchToken(emu, TENANT, '00000000-bbbb-4ccc-8ddd-eeeeeeeeeeee', 's', SCOPES.graph);
      const res = await client(emu, token).get(`${emu.urls.graph}${ALERTS}`);
      expect(res.status).to.equal(403);
      expect(res.json().error).to.include({ code: 'Forbidden' });
      expect(res.json().error.message).to.include('SecurityAlert.Read.All');
    });

    it('refuses an expired token with 401', async () => {
      emu.setTokenLifetime(10);
      const token = await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph);
      emu.setTokenLifetime(3599);
      nowMs += 11_000;
      const res = await client(emu, token).get(`${emu.urls.graph}${ALERTS}`);
      expect(res.status).to.equal(401);
      expect(res.json().error.message).to.include('expired');
    });

    it('logs the request with the Authorization header redacted', async () => {
      const token = await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph);
      await client(emu, token).get(`${emu.urls.graph}${ALERTS}?$top=7`, { 'user-agent': 'MdatpPartner-Test/1.0' });
      const last = emu.requests.at(-1)!;
      expect(last).to.deep.include({ service: 'graph', method: 'GET', path: ALERTS, status: 200 });
      expect(last.query).to.deep.equal({ $top: '7' });
      expect(last.headers['user-agent']).to.equal('MdatpPartner-Test/1.0');
      expect(last.headers.authorization).to.equal('Bearer <redacted>');
      expect(JSON.stringify(emu.requests)).not.to.include(token);
    });
  });
});
