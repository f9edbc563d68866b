import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator.js';
import { generateAlerts, loadFixtureAlerts } from './generator.js';
import { client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

describe('emulator: SIEM exporter', () => {
  let emu: Emulator;
  let api: ReturnType<typeof client>;
  const nowMs = Date.parse('2024-05-01T12:00:00Z');

  before(async () => {
    emu = await startEmulator({ now: () => nowMs });
    // The SIEM exporter needs no role: any token for its resource.
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: [] });
    api = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.siem));
    const [a, b, c] = loadFixtureAlerts('siem');
    emu.store.addAlerts('siem', [
      { ...a, LastProcessedTimeUtc: '2024-05-01T08:00:00Z' },
      { ...b, LastProcessedTimeUtc: '2024-05-01T10:30:00.5Z' },
      { ...c, LastProcessedTimeUtc: '2024-05-01T11:55:00.1234567Z' },
    ]);
  });
  after(() => emu.close());

  const fullIds = async (query: string): Promise<string[]> => {
    const res = await api.get(`${emu.urls.siem}/api/alerts${query}`);
    expect(res.status, res.text).to.equal(200);
    const body = res.json();
    expect(body).to.be.an('array');
    return body.map((d: any) => d.FullId.split(':')[1].slice(0, 4));
  };

  it('serves the last 2 hours without parameters, as a top-level array', async () => {
    expect(await fullIds('')).to.deep.equal(['kP0s', 'Zx9Y']);
  });

  it('filters on LastProcessedTimeUtc with an inclusive since, in every documented time form', async () => {
    expect(await fullIds('?sinceTimeUtc=2024-05-01T10:30:00.500')).to.deep.equal(['kP0s', 'Zx9Y']);
    expect(await fullIds('?sinceTimeUtc=2024-05-01T10:30:00.501Z')).to.deep.equal(['Zx9Y']);
    expect(await fullIds(`?sinceTimeUtc=${encodeURIComponent('"2024-05-01 07:00:00"')}`)).to.deep.equal([
      'R4xE',
      'kP0s',
      'Zx9Y',
    ]);
    expect(await fullIds('?sinceTimeUtc=2024-05-01T07:00:00&untilTimeUtc=2024-05-01T10:30:00.5')).to.deep.equal([
      'R4xE',
      'kP0s',
    ]);
  });

  it('takes ago as an ISO duration and limit as "the most recent n"', async () => {
    expect(await fullIds('?ago=PT10M')).to.deep.equal(['Zx9Y']);
    expect(await fullIds('?sinceTimeUtc=2024-05-01T00:00:00Z&limit=1')).to.deep.equal(['Zx9Y']);
  });

  it('serves several detections of one alert with the same AlertId and distinct FullIds', async () => {
    const body = (await api.get(`${emu.urls.siem}/api/alerts?sinceTimeUtc=2024-05-01T00:00:00`)).json();
    expect(new Set(body.map((d: any) => d.AlertId)).size).to.equal(1);
    expect(new Set(body.map((d: any) => d.FullId)).size).to.equal(3);
  });

  it('refuses an unparsable time with 400 and a Graph token with 401', async () => {
    expect((await api.get(`${emu.urls.siem}/api/alerts?sinceTimeUtc=yesterday`)).status).to.equal(400);
    emu.addApp({ tenantId: TENANT, clientId: '22222222-bbbb-4ccc-8ddd-eeeeeeeeeeee', secret: 's', roles: [] });
    const graphToken = await fetchToken(emu, TENANT, '22222222-bbbb-4ccc-8ddd-eeeeeeeeeeee', 's', SCOPES.graph);
    expect((await client(emu, graphToken).get(`${emu.urls.siem}/api/alerts`)).status).to.equal(401);
  });

  it('streams a large array whole', async () => {
    const big = await startEmulator({ now: () => nowMs });
    try {
      big.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: [] });
      const detections = generateAlerts('siem', {
        count: 3000,
        seed: 9,
        from: '2024-05-01T11:00:00Z',
        to: '2024-05-01T11:59:00Z',
        hostileEvery: 100,
      });
      big.store.addAlerts('siem', detections);
      const token = await fetchToken(big, TENANT, CLIENT, SECRET, SCOPES.siem);
      const res = await client(big, token).get(`${big.urls.siem}/api/alerts?sinceTimeUtc=2024-05-01T11:00:00`);
      expect(res.text.length).to.be.above(3000 * 1400);
      expect(res.json().map((d: any) => d.FullId)).to.deep.equal(detections.map((d) => d.FullId));
      expect(res.headers['transfer-encoding']).to.equal('chunked');
    } finally {
      await big.close();
    }
  });
});
