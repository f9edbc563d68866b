/**
 * Runs the real EventHubConsumerClient against a TLS broker in a child process, because the client can trust the
 * test CA only through NODE_EXTRA_CA_CERTS, which Node reads at start (tls.test.ts spawns this). Input: the JSON
 * in EVENTHUBS_PROBE; output: one JSON line on stdout.
 *
 * Scenarios:
 *   sas     connection string for the namespace + customEndpointAddress, read `expect` events
 *   jwt     a TokenCredential minting RS256 tokens (the shape Entra ID issues), read `expect` events
 *   jwt-renewal-refused  as jwt, with tokens that live `tokenLifetimeMs` and that the SDK renews every
 *           `renewEveryMs`; once `expect` events arrived, the credential mints tokens of a wrong issuer: the broker
 *           refuses the renewals, the old tokens expire, the links drop, and the client must say why
 */
import { createPrivateKey } from 'node:crypto';
import { EventHubConsumerClient, earliestEventPosition, type TokenCredential } from '@azure/event-hubs';
import { Collector, testClientOptions, waitFor } from './consumer.js';
import { EVENT_HUBS_TOKEN_AUDIENCE, signJwt } from './jwt-token.js';

export interface ProbeInput {
  scenario: 'sas' | 'jwt' | 'jwt-renewal-refused';
  namespace: string;
  hub: string;
  customEndpointAddress: string;
  connectionString?: string;
  issuer?: string;
  privateKeyPem?: string;
  expect: number;
  tokenLifetimeMs?: number;
  renewEveryMs?: number;
}

export interface ProbeOutput {
  partitionIds: string[];
  received: Array<[string, number]>;
  errors: string[];
  scopes: string[];
}

const input = JSON.parse(process.env.EVENTHUBS_PROBE ?? '{}') as ProbeInput;
const scopes: string[] = [];
let receivedEnough = false;

function credential(): TokenCredential {
  const key = createPrivateKey(input.privateKeyPem ?? '');
  return {
    async getToken(scope: string | string[]) {
      scopes.push(String(scope));
      const now = Date.now();
      const lifetime = input.tokenLifetimeMs ?? 3_600_000;
      const refused = input.scenario === 'jwt-renewal-refused' && receivedEnough;
      const token = signJwt(
        {
          iss: refused ? 'https://sts.windows.net/not-the-tenant/' : input.issuer,
          aud: EVENT_HUBS_TOKEN_AUDIENCE,
          oid: '00000000-0000-4000-8000-0000000000aa',
          exp: Math.floor((now + lifetime) / 1000),
        },
        key,
      );
      // The SDK renews a JWT two minutes before the expiry it is told (withAuth.js getAadToken): report an expiry
      // that makes it renew every renewEveryMs.
      const expiresOnTimestamp = input.renewEveryMs ? now + 120_000 + input.renewEveryMs : now + lifetime;
      return { token, expiresOnTimestamp };
    },
  };
}

const options = testClientOptions({ customEndpointAddress: input.customEndpointAddress });
const client =
  input.scenario === 'sas'
    ? new EventHubConsumerClient('$Default', input.connectionString ?? '', options)
    : new EventHubConsumerClient('$Default', input.namespace, input.hub, credential(), options);
const collector = new Collector();
const output: ProbeOutput = { partitionIds: [], received: [], errors: [], scopes };
try {
  output.partitionIds = await client.getPartitionIds();
  const subscription = collector.subscribe(client, { startPosition: earliestEventPosition });
  await waitFor(
    () => collector.total() >= input.expect,
    () => `${input.expect} events, got ${collector.total()}`,
  );
  receivedEnough = true;
  if (input.scenario === 'jwt-renewal-refused') {
    await waitFor(
      () => collector.errorLines.some((l) => /UnauthorizedError/.test(l)),
      () => `an UnauthorizedError after the refused renewals, got ${collector.errorLines.join(' ; ')}`,
      15_000,
    );
  }
  await subscription.close();
} catch (error) {
  output.errors.push(`probe|${(error as Error).message}`);
} finally {
  await client.close();
}
for (const [partition, events] of collector.byPartition) {
  for (const e of events) output.received.push([partition, e.sequenceNumber]);
}
output.errors.push(...collector.errorLines);
// Exit explicitly: after refused renewals the SDK can keep a timer alive once close() resolved (seen once in three
// runs), and the parent must not wait for its own timeout.
process.stdout.write(`${JSON.stringify(output)}\n`, () => process.exit(0));
