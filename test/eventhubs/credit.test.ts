import { earliestEventPosition } from '@azure/event-hubs';
import { expect } from 'chai';
import { startEventHubsBroker, TEST_SAS_RULE, type EventHubsBroker } from './broker.js';
import { Collector, sequenceProblems, testClient, waitFor } from './consumer.js';
import { rawConnect } from './raw-client.js';

describe('eventhubs broker: link credit and a large backlog', () => {
  let broker: EventHubsBroker;

  before(async () => {
    broker = await startEventHubsBroker({ hubs: [{ name: 'defender', partitionCount: 4 }] });
  });
  after(() => broker.close());

  it('sends no more events than the receiver granted credit for, and the next ones when it grants more', async () => {
    for (let i = 0; i < 20; i++) broker.publish('defender', '3', `event ${i}`);
    const address = 'defender/ConsumerGroups/$Default/Partitions/3';
    const client = await rawConnect(broker, { username: TEST_SAS_RULE.keyName });
    // A put-token round trip after the credit is used: frames on one connection are ordered, so anything sent
    // beyond the credit would have arrived before its answer.
    const roundTrip = async () => (await client.putToken(`sb://localhost/${address}`, TEST_SAS_RULE)).status;
    try {
      expect(await roundTrip()).to.equal(202);
      const { receiver, received } = await client.receive(address);
      receiver.add_credit(5);
      await waitFor(
        () => received.length >= 5,
        () => `5 events, got ${received.length}`,
      );
      expect(await roundTrip()).to.equal(202);
      expect(received).to.deep.equal([0, 1, 2, 3, 4]);
      const link = broker.faults.links({ partitionId: '3' })[0] as unknown as { sent: number };
      expect(link.sent).to.equal(5);

      receiver.add_credit(3);
      await waitFor(
        () => received.length >= 8,
        () => `8 events, got ${received.length}`,
      );
      expect(await roundTrip()).to.equal(202);
      expect(received).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      client.close();
    }
  });

  it('delivers many thousands of events per partition to the real client, complete and in order', async function () {
    this.timeout(60_000);
    const perPartition = 5000;
    const body = {
      records: [{ category: 'AdvancedHunting-DeviceProcessEvents', properties: { pad: 'x'.repeat(200) } }],
    };
    const first = ['0', '1', '2'].map((p) => broker.store.hub('defender')!.partition(p)!.endSequenceNumber);
    for (let i = 0; i < perPartition; i++) for (const p of ['0', '1', '2']) broker.publish('defender', p, body);
    const client = testClient(broker);
    const collector = new Collector();
    const subscription = collector.subscribe(client, { startPosition: earliestEventPosition, maxBatchSize: 300 });
    try {
      await waitFor(
        () => ['0', '1', '2'].every((p) => collector.partition(p).length >= perPartition),
        () =>
          `${perPartition} per partition, got ${['0', '1', '2'].map((p) => collector.partition(p).length).join('/')}`,
        40_000,
      );
    } finally {
      await subscription.close();
      await client.close();
    }
    ['0', '1', '2'].forEach((p, i) => {
      expect(
        sequenceProblems(collector.partition(p), first[i]!, first[i]! + perPartition - 1),
        `partition ${p}`,
      ).to.deep.equal([]);
      expect(collector.partition(p)).to.have.length(perPartition);
    });
    expect(collector.errorLines).to.deep.equal([]);
  });
});
