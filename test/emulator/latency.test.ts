import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator.js';
import { generateAlerts } from './generator.js';
import { BodyPacer, latencyApiOf, parseLatency } from './latency.js';
import { client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

describe('emulator: latency model', () => {
  describe('BodyPacer (fake clock)', () => {
    it('holds the status line until the time to first byte has passed since the request arrived', () => {
      let now = 1_000;
      const pacer = new BodyPacer({ ttfbMs: 1_000 }, () => now);
      now += 250; // the handler took 250 ms
      expect(pacer.firstByteDelayMs()).to.equal(750);
      now += 2_000; // already late: no further wait
      expect(pacer.firstByteDelayMs()).to.equal(0);
    });

    it('paces the body to the bandwidth cap, counting each chunk before it is sent', () => {
      let now = 0;
      const pacer = new BodyPacer({ bytesPerSecond: 1_000_000 }, () => now);
      expect(pacer.firstByteDelayMs()).to.equal(0);
      // 500 KB at 1 MB/s: this chunk may leave only once 0.5 s of body time has passed.
      expect(pacer.delayBeforeChunkMs(500_000)).to.equal(500);
      now += 500;
      expect(pacer.delayBeforeChunkMs(250_000)).to.equal(250);
      now += 1_000; // the socket was slow: no debt carried over
      expect(pacer.delayBeforeChunkMs(100)).to.equal(0);
    });

    it('waits nothing without a model', () => {
      const pacer = new BodyPacer(undefined, () => 0);
      expect(pacer.firstByteDelayMs()).to.equal(0);
      expect(pacer.delayBeforeChunkMs(10_000_000)).to.equal(0);
    });

    it('maps requests to their api, Graph incidents apart from Graph alerts, login to none', () => {
      expect(latencyApiOf('graph', '/v1.0/security/alerts_v2')).to.equal('graph');
      expect(latencyApiOf('graph', '/v1.0/security/incidents')).to.equal('incidents');
      expect(latencyApiOf('mde', '/api/alerts')).to.equal('mde');
      expect(latencyApiOf('siem', '/api/alerts')).to.equal('siem');
      expect(latencyApiOf('login', '/t/oauth2/v2.0/token')).to.equal(undefined);
    });

    it('reads the command line form and names a bad field', () => {
      expect(parseLatency('graph:1000:20000000,mde:3000')).to.deep.equal({
        graph: { ttfbMs: 1000, bytesPerSecond: 20_000_000 },
        mde: { ttfbMs: 3000 },
      });
      expect(() => parseLatency('graph:-1')).to.throw(/latency\.graph\.ttfbMs/);
      expect(() => parseLatency('graph:1:0')).to.throw(/latency\.graph\.bytesPerSecond/);
      expect(() => parseLatency('nope:1')).to.throw(/unknown api 'nope'/);
    });
  });

  describe('in the emulator (ordering, not wall timings)', () => {
    let emu: Emulator;
    let graph: ReturnType<typeof client>;
    let mde: ReturnType<typeof client>;

    before(async () => {
      emu = await startEmulator({ rateLimits: false });
      emu.addApp({
        tenantId: TENANT,
        clientId: CLIENT,
        secret: SECRET,
        roles: ['SecurityAlert.Read.All', 'Alert.Read.All'],
      });
      const range = { from: '2024-05-01T00:00:00Z', to: '2024-05-01T01:00:00Z' };
      emu.store.addAlerts('graph', generateAlerts('graph', { count: 50, seed: 3, ...range }));
      emu.store.addAlerts('mde', generateAlerts('mde', { count: 50, seed: 3, ...range }));
      graph = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph));
      mde = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.mde));
    });
    afterEach(() => emu.setLatency({}));
    after(() => emu.close());

    it('answers a request to a slow api after one sent later to an instant api', async () => {
      emu.setLatency({ graph: { ttfbMs: 400 } });
      const order: string[] = [];
      const slow = graph.get(`${emu.urls.graph}/v1.0/security/alerts_v2`).then((r) => order.push(`graph ${r.status}`));
      // Sent after the Graph request has reached the emulator: the request log shows it.
      while (emu.requests.at(-1)?.service !== 'graph') await new Promise((r) => setImmediate(r));
      await mde.get(`${emu.urls.mde}/api/alerts`).then((r) => order.push(`mde ${r.status}`));
      await slow;
      expect(order).to.deep.equal(['mde 200', 'graph 200']);
    });

    it('delivers a capped body after an uncapped one started later, and whole', async () => {
      emu.setLatency({ mde: { bytesPerSecond: 200_000 } });
      const order: string[] = [];
      const capped = mde.get(`${emu.urls.mde}/api/alerts`).then((r) => {
        order.push('mde');
        return r.json().value as unknown[];
      });
      while (emu.requests.at(-1)?.service !== 'mde') await new Promise((r) => setImmediate(r));
      await graph.get(`${emu.urls.graph}/v1.0/security/alerts_v2`).then(() => order.push('graph'));
      expect(await capped).to.have.length(50);
      expect(order).to.deep.equal(['graph', 'mde']);
    });
  });
});

describe('emulator: documented quotas, counted', () => {
  let emu: Emulator;
  let nowMs = Date.parse('2024-05-02T00:00:00Z');
  before(async () => {
    emu = await startEmulator({ now: () => nowMs });
    emu.addApp({
      tenantId: TENANT,
      clientId: CLIENT,
      secret: SECRET,
      roles: ['SecurityAlert.Read.All', 'SecurityIncident.Read.All', 'Alert.Read.All'],
    });
  });
  after(() => emu.close());

  for (const [family, service, path, scope, limit] of [
    ['graph-alerts', 'graph', '/v1.0/security/alerts_v2?$top=1', 'graph', 150],
    ['graph-incidents', 'graph', '/v1.0/security/incidents?$top=1', 'graph', 150],
    ['mde-alerts', 'mde', '/api/alerts?$top=1', 'mde', 100],
  ] as const) {
    it(`${family}: ${limit} calls a minute, then 429 with Retry-After, each refusal counted`, async () => {
      const api = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES[scope]));
      const url = `${emu.urls[service]}${path}`;
      for (let i = 0; i < limit; i++) expect((await api.get(url)).status, `call ${i + 1}`).to.equal(200);
      for (let i = 0; i < 2; i++) {
        const refused = await api.get(url);
        expect(refused.status).to.equal(429);
        expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
      }
      expect(emu.throttled()[family]).to.equal(2);
      nowMs += 60_001; // the window slides: allowed again
      expect((await api.get(url)).status).to.equal(200);
      expect(emu.throttled()[family]).to.equal(2);
    });
  }
});
