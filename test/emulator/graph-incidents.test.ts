import { expect } from 'chai';
import { parseApiTime } from '../../src/defender/api-time.js';
import { startEmulator, type Emulator } from './emulator.js';
import { generateAlerts } from './generator.js';
import { client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

const INCIDENTS = '/v1.0/security/incidents';

describe('emulator: Graph security incidents', () => {
  let emu: Emulator;
  const nowMs = Date.parse('2024-05-02T00:00:00Z');
  let api: ReturnType<typeof client>;

  before(async () => {
    emu = await startEmulator({ now: () => nowMs, rateLimits: false });
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ['SecurityIncident.ReadWrite.All'] });
    api = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph));
  });
  beforeEach(() => emu.store.clear());
  after(() => emu.close());

  const incidents = (count: number, seed = 1) =>
    generateAlerts('incidents', {
      count,
      seed,
      from: '2024-05-01T00:00:00Z',
      to: '2024-05-01T12:00:00Z',
      approxBytes: 0,
    });

  const readAll = async (url: string): Promise<{ items: any[]; pages: number }> => {
    const items: any[] = [];
    let next: string | undefined = url;
    let pages = 0;
    while (next !== undefined) {
      const res = await api.get(next);
      expect(res.status, res.text).to.equal(200);
      const body = res.json();
      items.push(...body.value);
      next = body['@odata.nextLink'];
      pages++;
    }
    return { items, pages };
  };

  it('serves incidents with their alerts as the last member, each alert naming the incident', async () => {
    const generated = incidents(5);
    emu.store.addAlerts('incidents', generated);
    const { items } = await readAll(`${emu.urls.graph}${INCIDENTS}?$expand=alerts`);
    expect(items).to.have.length(5);
    for (const incident of items) {
      const keys = Object.keys(incident);
      expect(keys.at(-1)).to.equal('alerts');
      const source = generated.find((g) => g.id === incident.id)!;
      expect(incident.alerts.map((a: any) => a.id)).to.have.members((source.alerts as any[]).map((a) => a.id));
      for (const alert of incident.alerts) {
        expect(alert.incidentId).to.equal(incident.id);
        expect(parseApiTime(alert.lastUpdateDateTime)! < parseApiTime(incident.lastUpdateDateTime)!).to.equal(true);
      }
    }
    // Without $expand, no alerts member; the same alerts are graph alerts.
    const bare = (await api.get(`${emu.urls.graph}${INCIDENTS}`)).json();
    expect(bare.value[0]).to.not.have.property('alerts');
    expect(emu.store.all('graph')).to.have.length(generated.reduce((n, g) => n + (g.alerts as any[]).length, 0));
  });

  it('refuses $top above 50 with the message Graph gives, and pages 50 at most by nextLink', async () => {
    emu.store.addAlerts('incidents', incidents(120));
    const refused = await api.get(`${emu.urls.graph}${INCIDENTS}?$top=51`);
    expect(refused.status).to.equal(400);
    expect(refused.json().error.message).to.equal(
      "The query specified in the URI is not valid. The limit of '50' for Top query has been exceeded. The value " +
        "from the incoming request is '51'.",
    );
    const filter = encodeURIComponent('lastUpdateDateTime ge 2024-05-01T00:00:00Z');
    const { items, pages } = await readAll(`${emu.urls.graph}${INCIDENTS}?$filter=${filter}&$expand=alerts&$top=50`);
    expect(pages).to.equal(3);
    expect(new Set(items.map((i) => i.id)).size).to.equal(120);
    expect(emu.served('incidents')).to.have.length(120);
    expect(emu.servedIncidentAlerts().length).to.equal(emu.store.all('graph').length);
  });

  it('serves an incident updated with its alerts unchanged, an alert updated without its incident, merges', async () => {
    const [a, b] = incidents(2);
    emu.store.addAlerts('incidents', [a!, b!]);
    const alertOfA = (a!.alerts as any[])[0].id as string;
    const before = emu.store.get('graph', alertOfA)!.lastUpdateDateTime;
    emu.store.updateAlert('incidents', String(a!.id), { assignedTo: 'soc@contoso.com' });
    expect(emu.store.get('graph', alertOfA)!.lastUpdateDateTime).to.equal(before);
    const incidentTime = emu.store.get('incidents', String(a!.id))!.lastUpdateDateTime;
    emu.store.updateAlert('graph', alertOfA, { status: 'inProgress' });
    expect(emu.store.get('incidents', String(a!.id))!.lastUpdateDateTime).to.equal(incidentTime);

    emu.store.mergeIncidents(String(a!.id), String(b!.id));
    const byId = new Map((await readAll(`${emu.urls.graph}${INCIDENTS}?$expand=alerts`)).items.map((i) => [i.id, i]));
    expect(byId.get(a!.id)!.status).to.equal('redirected');
    expect(byId.get(a!.id)!.redirectIncidentId).to.equal(b!.id);
    expect(byId.get(a!.id)!.alerts).to.deep.equal([]);
    const moved = byId.get(b!.id)!.alerts.find((x: any) => x.id === alertOfA);
    expect(moved.incidentId).to.equal(b!.id);
    expect(moved.status).to.equal('inProgress');
  });

  it('updates an incident by PATCH and takes comments, refusing values outside the enums', async () => {
    const [a] = incidents(1);
    emu.store.addAlerts('incidents', [a!]);
    const url = `${emu.urls.graph}${INCIDENTS}/${String(a!.id)}`;
    const patched = await api.send('PATCH', url, {
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'clean',
      customTags: ['x'],
    });
    expect(patched.status, patched.text).to.equal(200);
    expect(patched.json()).to.include({ status: 'resolved', classification: 'falsePositive', determination: 'clean' });
    expect(patched.json()).to.not.have.property('alerts');
    expect((await api.send('PATCH', url, { status: 'closed' })).status).to.equal(400);
    expect((await api.send('PATCH', url, { title: 'x' })).status).to.equal(400);
    const commented = await api.send('POST', `${url}/comments`, {
      '@odata.type': 'microsoft.graph.security.alertComment',
      comment: 'hi',
    });
    expect(commented.status).to.equal(200);
    expect(commented.json().value.at(-1).comment).to.equal('hi');
    expect((await api.send('PATCH', `${emu.urls.graph}${INCIDENTS}/404404`, { status: 'active' })).status).to.equal(
      404,
    );
  });
});
