import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator.js';
import { generateAlerts, loadFixtureAlerts } from './generator.js';
import { client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

describe('emulator: MDE /api/alerts reads', () => {
  let emu: Emulator;
  let api: ReturnType<typeof client>;
  const alerts = generateAlerts('mde', {
    count: 120,
    seed: 5,
    from: '2024-05-01T00:00:00Z',
    to: '2024-05-01T06:00:00Z',
    approxBytes: 0,
  });

  before(async () => {
    emu = await startEmulator({ rateLimits: false });
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ['Alert.Read.All'] });
    api = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.mde));
  });
  beforeEach(() => {
    emu.store.clear();
    emu.store.addAlerts('mde', alerts);
    emu.settings.mdeNextLink = false;
    emu.settings.mdeOrder = 'unordered';
  });
  after(() => emu.close());

  const list = async (query: string) => {
    const res = await api.get(`${emu.urls.mde}/api/alerts${query}`);
    expect(res.status, res.text).to.equal(200);
    return res.json();
  };

  it('pages by $skip/$top with no nextLink, in a stable order that is not time order', async () => {
    const seen: string[] = [];
    for (let skip = 0; skip < 120; skip += 50) {
      const body = await list(`?$top=50&$skip=${skip}`);
      expect(body).not.to.have.property('@odata.nextLink');
      expect(body['@odata.context']).to.equal(`${emu.urls.mde}/api/$metadata#Alerts`);
      seen.push(...body.value.map((a: any) => a.id));
    }
    expect(seen).to.have.length(120);
    expect(new Set(seen).size).to.equal(120);
    expect(seen).not.to.deep.equal(alerts.map((a) => a.id));
    expect((await list('?$top=50')).value.map((a: any) => a.id)).to.deep.equal(seen.slice(0, 50));
  });

  it('emits an absolute nextLink with $skip when the switch is on', async () => {
    emu.settings.mdeNextLink = true;
    emu.settings.mdeOrder = 'asc';
    const first = await list(`?$filter=${encodeURIComponent('lastUpdateTime ge 2024-05-01T00:00:00Z')}&$top=100`);
    expect(first['@odata.nextLink']).to.match(new RegExp(`^${emu.urls.mde}/api/alerts\\?.*\\$skip=100`));
    const second = (await api.get(first['@odata.nextLink'])).json();
    expect(second.value).to.have.length(20);
    expect([...first.value, ...second.value].map((a: any) => a.id)).to.deep.equal(alerts.map((a) => a.id));
  });

  it('serves "evidence": [] unless $expand=evidence', async () => {
    emu.store.clear();
    emu.store.addAlerts('mde', loadFixtureAlerts('mde'));
    const plain = await list('');
    expect(plain.value.every((a: any) => Array.isArray(a.evidence) && a.evidence.length === 0)).to.equal(true);
    const expanded = await list('?$expand=evidence');
    const first = expanded.value.find((a: any) => a.id === 'da637472900382838869_1364969609');
    expect(first.evidence).to.have.length(3);
    expect(emu.requests.at(-1)!.query.$expand).to.equal('evidence');
  });

  it('answers $top above 10,000 with 400 ODataError in the MDE body shape', async () => {
    const res = await api.get(`${emu.urls.mde}/api/alerts?$top=10001`);
    expect(res.status).to.equal(400);
    const body = res.json();
    expect(body.error.code).to.equal('ODataError');
    expect(body.error.target).to.match(/^[0-9a-f-]{36}$/);
  });

  it('filters on status and lastUpdateTime, and honours $orderby', async () => {
    const from = alerts[60]!.lastUpdateTime as string;
    const body = await list(
      `?$filter=${encodeURIComponent(`lastUpdateTime ge ${from} and status eq 'New'`)}&$orderby=lastUpdateTime%20desc`,
    );
    const expected = alerts
      .filter((a, i) => i >= 60 && a.status === 'New')
      .map((a) => a.id)
      .reverse();
    expect(body.value.map((a: any) => a.id)).to.deep.equal(expected);
  });

  it('answers /api/v1.0/alerts like /api/alerts, and GET by id with evidence', async () => {
    emu.store.addAlerts('mde', loadFixtureAlerts('mde'));
    const v1 = await api.get(`${emu.urls.mde}/api/v1.0/alerts?$top=3`);
    expect(v1.json().value).to.have.length(3);
    const one = (await api.get(`${emu.urls.mde}/api/alerts/da637472900382838869_1364969609`)).json();
    expect(one.evidence).to.have.length(3);
    const missing = await api.get(`${emu.urls.mde}/api/alerts/da000_1`);
    expect(missing.status).to.equal(404);
    expect(missing.json().error.code).to.equal('ResourceNotFound');
  });

  it('refuses a Graph-only app with 403 Forbidden', async () => {
    emu.addApp({
      tenantId: TENANT,
      clientId: '00000000-1111-4ccc-8ddd-eeeeeeeeeeee',
      secret: 's',
      roles: ['SecurityAlert.Read.All'],
    });
    const token = await fetchToken(emu, TENANT, '00000000-1111-4ccc-8ddd-eeeeeeeeeeee', 's', SCOPES.mde);
    const res = await client(emu, token).get(`${emu.urls.mde}/api/alerts`);
    expect(res.status).to.equal(403);
    expect(res.json().error.code).to.equal('Forbidden');
  });

  it('accepts the windowsatpservice scope as an MDE audience', async () => {
    const token = await fetchToken(
      emu,
      TENANT,
      CLIENT,
      SECRET,
      'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
    );
    expect((await client(emu, token).get(`${emu.urls.mde}/api/alerts?$top=1`)).status).to.equal(200);
  });
});
