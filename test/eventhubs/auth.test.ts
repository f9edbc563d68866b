import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';
import { expect } from 'chai';
import { startEventHubsBroker, TEST_SAS_RULE, type EventHubsBroker } from './broker.js';
import { Collector, FAST_RETRIES, testClientOptions, waitFor } from './consumer.js';
import { rawConnect } from './raw-client.js';
import { signSas } from './sas-token.js';

const NO_RETRY = { ...FAST_RETRIES, maxRetries: 0 };

/** The error the client's management call ends with. */
async function propertiesError(connectionString: string): Promise<Error & { code?: string }> {
  const client = new EventHubConsumerClient('$Default', connectionString, { retryOptions: NO_RETRY });
  try {
    const error = await client.getEventHubProperties().then(
      () => undefined,
      (e: Error) => e,
    );
    if (!error) throw new Error('getEventHubProperties succeeded with credentials that should be refused');
    return error;
  } finally {
    await client.close();
  }
}

function sasConnectionString(broker: EventHubsBroker, token: string): string {
  return `Endpoint=sb://localhost:${broker.port};SharedAccessSignature=${token};EntityPath=defender;UseDevelopmentEmulator=true`;
}

describe('eventhubs broker: SAS authorization as the service answers it', () => {
  let broker: EventHubsBroker;
  const sendOnly = { keyName: 'SendOnly', key: 'send-only-key~not-a-real-one', rights: ['Send' as const] };

  before(async () => {
    broker = await startEventHubsBroker({
      hubs: [
        { name: 'defender', partitionCount: 2 },
        { name: 'other', partitionCount: 1 },
      ],
      sasRules: [TEST_SAS_RULE, sendOnly],
    });
    broker.publish('defender', '0', { records: [{ n: 1 }] });
    broker.publish('defender', '1', { records: [{ n: 2 }] });
  });
  after(() => broker.close());

  it("accepts the SDK's SAS tokens for $management and every partition, and keeps no token in its records", async () => {
    const client = new EventHubConsumerClient('$Default', broker.connectionString('defender'), testClientOptions());
    const collector = new Collector();
    const subscription = collector.subscribe(client, { startPosition: earliestEventPosition });
    try {
      await waitFor(
        () => collector.total() >= 2,
        () => `2 events, got ${collector.total()}`,
      );
    } finally {
      await subscription.close();
      await client.close();
    }
    const audiences = broker.putTokens.filter((p) => p.status === 202).map((p) => p.audience);
    expect(audiences).to.include(`sb://localhost:${broker.port}/defender/$management`);
    expect(audiences).to.include(`sb://localhost:${broker.port}/defender/ConsumerGroups/$Default/Partitions/0`);
    expect(audiences).to.include(`sb://localhost:${broker.port}/defender/ConsumerGroups/$Default/Partitions/1`);
    expect(broker.putTokens.every((p) => p.tokenType === 'servicebus.windows.net:sastoken')).to.equal(true);
    expect(JSON.stringify(broker.putTokens)).not.to.match(/SharedAccessSignature|sig=/);
  });

  it('refuses a wrong key: the client surfaces UnauthorizedError naming the invalid signature', async () => {
    const error = await propertiesError(
      broker.connectionString('defender', { keyName: TEST_SAS_RULE.keyName, key: 'wrong-key' }),
    );
    expect(error.code).to.equal('UnauthorizedError');
    expect(error.message).to.match(/InvalidSignature: The token has an invalid signature/);
    expect(broker.putTokens.at(-1)).to.include({ status: 401 });
  });

  it('refuses an unknown rule name the same way', async () => {
    const error = await propertiesError(
      broker.connectionString('defender', { keyName: 'NoSuchRule', key: TEST_SAS_RULE.key }),
    );
    expect(error.code).to.equal('UnauthorizedError');
    expect(error.message).to.match(/InvalidSignature/);
  });

  it('refuses an expired token with ExpiredToken', async () => {
    const expired = signSas('sb://localhost/defender', TEST_SAS_RULE, Math.floor(Date.now() / 1000) - 60);
    const error = await propertiesError(sasConnectionString(broker, expired));
    expect(error.code).to.equal('UnauthorizedError');
    expect(error.message).to.match(/ExpiredToken: The token is expired/);
  });

  it('refuses a token for another hub with InvalidAudience', async () => {
    const forOther = signSas('sb://localhost/other', TEST_SAS_RULE, Math.floor(Date.now() / 1000) + 600);
    const error = await propertiesError(sasConnectionString(broker, forOther));
    expect(error.code).to.equal('UnauthorizedError');
    expect(error.message).to.match(/InvalidAudience/);
  });

  it('accepts a token for the namespace root for any hub in it', async () => {
    const root = signSas('sb://localhost/', TEST_SAS_RULE, Math.floor(Date.now() / 1000) + 600);
    const client = new EventHubConsumerClient('$Default', sasConnectionString(broker, root), {
      retryOptions: NO_RETRY,
    });
    try {
      expect((await client.getEventHubProperties()).partitionIds).to.deep.equal(['0', '1']);
    } finally {
      await client.close();
    }
  });

  it('refuses to read with a rule that lacks Listen, naming the missing claim', async () => {
    const error = await propertiesError(broker.connectionString('defender', sendOnly));
    expect(error.code).to.equal('UnauthorizedError');
    expect(error.message).to.match(/'Listen' claim\(s\) are required/);

    // The token itself is valid (put-token answers 202); the receiver link is what is refused.
    const address = 'defender/ConsumerGroups/$Default/Partitions/0';
    const client = await rawConnect(broker, { username: sendOnly.keyName });
    try {
      expect((await client.putToken(`sb://localhost/${address}`, sendOnly)).status).to.equal(202);
      const refused = await client.receive(address, { credit: 10 });
      expect(refused.error?.condition).to.equal('amqp:unauthorized-access');
      expect(refused.error?.description).to.match(/'Listen' claim\(s\) are required to perform this operation/);
      expect(refused.received).to.deep.equal([]);
    } finally {
      client.close();
    }
  });

  it('refuses a receiver on a connection that put no token for it', async () => {
    const client = await rawConnect(broker, { username: TEST_SAS_RULE.keyName });
    try {
      expect(
        (await client.putToken('sb://localhost/defender/ConsumerGroups/$Default/Partitions/1', TEST_SAS_RULE)).status,
      ).to.equal(202);
      const refused = await client.receive('defender/ConsumerGroups/$Default/Partitions/0', { credit: 10 });
      expect(refused.error?.condition).to.equal('amqp:unauthorized-access');
      expect(refused.error?.description).to.match(/No valid token was put/);
    } finally {
      client.close();
    }
  });

  it('SASL PLAIN with the rule name and key authorizes the whole connection; a wrong key fails the handshake', async () => {
    const refused = await rawConnect(broker, { username: TEST_SAS_RULE.keyName, password: 'wrong' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).to.match(/authenticate|disconnected/i);

    const client = await rawConnect(broker, { username: TEST_SAS_RULE.keyName, password: TEST_SAS_RULE.key });
    try {
      const reader = await client.receive('defender/ConsumerGroups/$Default/Partitions/0', { credit: 1 });
      await waitFor(
        () => reader.bodies.length === 1,
        () => 'the event of partition 0',
      );
      expect(JSON.parse(reader.bodies[0]!.toString('utf8'))).to.deep.equal({ records: [{ n: 1 }] });
    } finally {
      client.close();
    }
  });
});
