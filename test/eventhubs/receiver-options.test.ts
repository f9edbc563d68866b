import { earliestEventPosition } from '@azure/event-hubs';
import { expect } from 'chai';
import { startEventHubsBroker, type EventHubsBroker } from './broker.js';
import { Collector, testClient, waitFor } from './consumer.js';

describe('eventhubs broker: receiver options of the SDK (runtime metrics, owner level, consumer groups)', () => {
  let broker: EventHubsBroker;

  before(async () => {
    broker = await startEventHubsBroker({
      hubs: [{ name: 'defender', partitionCount: 2, consumerGroups: ['$Default', 'splunk'] }],
    });
    for (let i = 0; i < 5; i++)
      broker.publish(
        'defender',
        '0',
        { records: [{ i }] },
        { partitionKey: 'device-1', properties: { source: 'unit' } },
      );
  });
  after(() => broker.close());

  it('serves the last enqueued event properties when the client tracks them', async () => {
    const client = testClient(broker);
    let last: { sequenceNumber?: number; offset?: string; enqueuedOn?: Date } = {};
    let partitionKey: string | undefined;
    let properties: Record<string, unknown> | undefined;
    const subscription = client.subscribe(
      '0',
      {
        processEvents: async (events, context) => {
          if (events.length) {
            last = { ...context.lastEnqueuedEventProperties };
            partitionKey = events[0]!.partitionKey ?? undefined;
            properties = events[0]!.properties;
          }
        },
        processError: async () => {
          /* none expected */
        },
      },
      { startPosition: earliestEventPosition, trackLastEnqueuedEventProperties: true, maxWaitTimeInSeconds: 0.1 },
    );
    try {
      await waitFor(
        () => last.sequenceNumber === 4,
        () => `lastEnqueuedEventProperties.sequenceNumber 4, got ${JSON.stringify(last)}`,
      );
    } finally {
      await subscription.close();
      await client.close();
    }
    const p = broker.store.hub('defender')!.partition('0')!.properties();
    expect(last.offset).to.equal(p.lastOffset);
    expect(last.enqueuedOn?.getTime()).to.equal(p.lastEnqueuedTime.getTime());
    expect(partitionKey).to.equal('device-1');
    expect(properties).to.deep.equal({ source: 'unit' });
  });

  it('gives the partition to the reader with the higher owner level and tells the other one', async () => {
    const first = testClient(broker);
    const second = testClient(broker);
    const a = new Collector();
    const b = new Collector();
    a.checkpoint = false;
    b.checkpoint = false;
    const subA = a.subscribe(first, { startPosition: earliestEventPosition, ownerLevel: 1 });
    try {
      await waitFor(
        () => a.partition('0').length === 5,
        () => `5 events for the first reader, got ${a.partition('0').length}`,
      );
      const subB = b.subscribe(second, { startPosition: earliestEventPosition, ownerLevel: 2 });
      try {
        await waitFor(
          () => b.partition('0').length === 5 && a.errorLines.some((l) => /ReceiverDisconnectedError/.test(l)),
          () =>
            `the second reader owns partition 0: b=${b.partition('0').length}, a errors=${a.errorLines.join(' ; ')}`,
        );
        broker.publish('defender', '0', { records: [{ i: 5 }] });
        await waitFor(
          () => b.partition('0').length === 6,
          () => 'the new event at the second reader',
        );
        expect(a.partition('0')).to.have.length(5);
      } finally {
        await subB.close();
      }
    } finally {
      await subA.close();
      await first.close();
      await second.close();
    }
  });

  it('reads through another consumer group and refuses one the hub does not have', async () => {
    const client = testClient(broker, 'defender', {}, 'splunk');
    const collector = new Collector();
    const subscription = collector.subscribe(client, { startPosition: earliestEventPosition });
    try {
      await waitFor(
        () => collector.partition('0').length >= 5,
        () => `5 events, got ${collector.partition('0').length}`,
      );
    } finally {
      await subscription.close();
      await client.close();
    }
    expect(
      broker.attaches.some(
        (x) => x.address === 'defender/ConsumerGroups/splunk/Partitions/0' && x.outcome === 'attached',
      ),
    ).to.equal(true);

    const wrong = testClient(broker, 'defender', {}, 'nosuchgroup');
    const refused = new Collector();
    const sub = refused.subscribe(wrong, { startPosition: earliestEventPosition });
    try {
      await waitFor(
        () => refused.errors.length > 0,
        () => 'an error for the unknown consumer group',
      );
    } finally {
      await sub.close();
      await wrong.close();
    }
    expect(refused.errorLines.join('\n')).to.match(/consumergroups\/nosuchgroup' could not be found/);
  });
});
