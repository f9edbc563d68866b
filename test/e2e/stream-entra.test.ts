/**
 * defender_stream with Entra ID through the BUILT launcher: the Entra ID emulator (test/emulator) issues the Event
 * Hubs token (a JWT for https://eventhubs.azure.net) to our msal-node adapter, the TLS test broker verifies it on
 * CBS, reached through endpoint_url while the namespace stays in every audience. A secret the emulator refuses ends
 * the run with one ERROR naming the fix.
 */
import { expect } from 'chai';
import { startEmulator, type Emulator } from '../emulator/emulator.js';
import { eventHubsIssuer } from '../emulator/entra.js';
import { startEventHubsBroker, type EventHubsBroker } from '../eventhubs/broker.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { builtAppDir } from '../helpers/built-app.js';
import { testTls } from '../helpers/tls.js';
import {
  HUB,
  SESSION_KEY,
  idsOf,
  newCheckpointDir,
  publishRecords,
  runStream,
  type StreamE2e,
} from './stream-context.js';

const TENANT = '8f1c3e4a-2b6d-4c1e-9a7f-5d3b2e1c0a9b';
const CLIENT = '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b';
const SECRET = 'Zq8~stream-SeCrEt.DoNotLog_1234567890';
const NAMESPACE = 'contoso-defender.servicebus.windows.net';

describe('defender_stream with Entra ID (built app, Entra emulator, TLS test broker)', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let broker: EventHubsBroker;
  let splunkd: FakeSplunkd;
  let e2e: StreamE2e;
  before(async () => {
    emu = await startEmulator({ rateLimits: false });
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: [] });
    broker = await startEventHubsBroker({
      tls: true,
      namespace: NAMESPACE,
      hubs: [{ name: HUB, partitionCount: 2 }],
      jwt: { issuer: eventHubsIssuer(TENANT), key: emu.directory.jwtSecret },
    });
    splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY });
    e2e = { broker, splunkd, appDir: builtAppDir(), close: async () => {} };
  });
  after(async () => {
    await broker?.close();
    await emu?.close();
    await splunkd?.close();
  });

  const params = (secret: string) => ({
    event_hub_namespace: NAMESPACE,
    event_hub_name: HUB,
    tenant_id: TENANT,
    client_id: CLIENT,
    client_secret: secret,
    login_url: emu.urls.login,
    endpoint_url: `amqps://localhost:${broker.port}`,
  });

  it('reads the hub with an Entra ID token for the Event Hubs scope', async () => {
    const ids = publishRecords(broker, 'e', { partitions: ['0', '1'], messages: 2, perMessage: 3 });
    const run = await runStream(e2e, {
      name: 'entra',
      checkpointDir: newCheckpointDir(),
      params: params(SECRET),
      env: { NODE_EXTRA_CA_CERTS: testTls().caFile },
      kill: { signal: 'SIGTERM', afterEvents: ids.length },
    });
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(0);
    expect(idsOf(run.events).sort()).to.deep.equal([...ids].sort());
    expect(run.events[0]!.source).to.match(new RegExp(`^eventhub://${NAMESPACE}/${HUB}/[01]$`));
    const jwtPuts = broker.putTokens.filter((p) => p.tokenType === 'jwt');
    expect(jwtPuts.length).to.be.greaterThan(0);
    expect(jwtPuts.every((p) => p.status === 202)).to.equal(true);
    expect(jwtPuts.some((p) => p.audience === `sb://${NAMESPACE}/${HUB}/$management`)).to.equal(true);
    expect(splunkd.inputUpdates.some((u) => u.params.client_secret === '<encrypted>')).to.equal(true);
    expect(stderr).to.not.include(SECRET);
  });

  it('ends with one ERROR naming the secret when Entra ID refuses it', async () => {
    const run = await runStream(e2e, {
      name: 'entra_wrong',
      checkpointDir: newCheckpointDir(),
      params: params('wrong-secret-value'),
      env: { NODE_EXTRA_CA_CERTS: testTls().caFile },
      timeoutMs: 60_000,
    });
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(1);
    const errors = run.stderrLines.filter((l) => l.startsWith('ERROR'));
    expect(errors, stderr).to.have.length(1);
    expect(errors[0])
      .to.include('action=run_end')
      .and.include('status=error')
      .and.match(/client secret|client_secret/i);
    expect(stderr).to.not.include('wrong-secret-value');
  });
});
