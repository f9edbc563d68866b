import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { testTls } from '../helpers/tls.js';
import { startEventHubsBroker, type EventHubsBroker } from './broker.js';
import type { ProbeInput, ProbeOutput } from './tls-probe.js';

const NAMESPACE = 'contoso-defender.servicebus.windows.net';
const ISSUER = 'https://sts.windows.net/7f3e2d1c-0b9a-4877-8665-544332211000/';

/** Runs tls-probe.ts in a child that trusts the test CA; resolves with its JSON output. */
function probe(input: ProbeInput): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'test/eventhubs/tls-probe.ts'],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: testTls().caFile, EVENTHUBS_PROBE: JSON.stringify(input) },
        timeout: 40_000,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`probe failed: ${error.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProbeOutput);
        } catch {
          reject(new Error(`probe printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

describe('eventhubs broker over TLS: custom endpoint, SAS and Entra ID tokens (client in a child process)', function () {
  this.timeout(60_000);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let broker: EventHubsBroker;

  before(async () => {
    broker = await startEventHubsBroker({
      tls: true,
      namespace: NAMESPACE,
      hubs: [{ name: 'defender', partitionCount: 2 }],
      jwt: { issuer: ISSUER, key: publicKey },
    });
    for (let i = 0; i < 6; i++) broker.publish('defender', String(i % 2), { records: [{ i }] });
  });
  after(() => broker.close());

  it('serves a SAS connection string for the namespace reached through customEndpointAddress', async () => {
    const out = await probe({
      scenario: 'sas',
      namespace: NAMESPACE,
      hub: 'defender',
      customEndpointAddress: broker.customEndpointAddress,
      connectionString: broker.connectionString('defender'),
      expect: 6,
    });
    expect(out.errors).to.deep.equal([]);
    expect(out.partitionIds).to.deep.equal(['0', '1']);
    expect(out.received).to.have.length(6);
    // The audiences name the namespace, not the custom endpoint.
    expect(broker.putTokens.filter((p) => p.status === 202).map((p) => p.audience)).to.include(
      `sb://${NAMESPACE}/defender/$management`,
    );
  });

  it('accepts Entra ID tokens (type jwt) from the configured issuer, asked for the Event Hubs scope', async () => {
    const before = broker.putTokens.length;
    const out = await probe({
      scenario: 'jwt',
      namespace: NAMESPACE,
      hub: 'defender',
      customEndpointAddress: broker.customEndpointAddress,
      issuer: ISSUER,
      privateKeyPem,
      expect: 6,
    });
    expect(out.errors).to.deep.equal([]);
    expect(out.received).to.have.length(6);
    expect([...new Set(out.scopes)]).to.deep.equal(['https://eventhubs.azure.net//.default']);
    const puts = broker.putTokens.slice(before);
    expect(puts.length).to.be.greaterThan(0);
    expect(puts.every((p) => p.tokenType === 'jwt' && p.status === 202)).to.equal(true);
  });

  it('refuses renewals from a wrong issuer: the tokens expire, the links drop, the client reports UnauthorizedError', async () => {
    const before = broker.putTokens.length;
    const out = await probe({
      scenario: 'jwt-renewal-refused',
      namespace: NAMESPACE,
      hub: 'defender',
      customEndpointAddress: broker.customEndpointAddress,
      issuer: ISSUER,
      privateKeyPem,
      expect: 6,
      tokenLifetimeMs: 2000,
      renewEveryMs: 300,
    });
    expect(out.received).to.have.length(6);
    expect(
      out.errors.some((l) => /UnauthorizedError.*InvalidIssuer/.test(l)),
      out.errors.join('\n'),
    ).to.equal(true);
    const puts = broker.putTokens.slice(before);
    expect(puts.some((p) => p.status === 202)).to.equal(true);
    expect(puts.some((p) => p.status === 401 && /InvalidIssuer/.test(p.description))).to.equal(true);
  });
});
