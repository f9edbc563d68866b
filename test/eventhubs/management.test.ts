import { EventHubConsumerClient } from '@azure/event-hubs';
import { expect } from 'chai';
import { startEventHubsBroker, type EventHubsBroker } from './broker.js';
import { FAST_RETRIES, testClient } from './consumer.js';

describe('eventhubs broker: $management reads through the real EventHubConsumerClient', () => {
  let broker: EventHubsBroker;
  let client: EventHubConsumerClient;
  const created = Date.parse('2025-03-01T08:00:00Z');
  let clock = created;

  before(async () => {
    broker = await startEventHubsBroker({
      hubs: [
        { name: 'defender', partitionCount: 3 },
        { name: 'other', partitionCount: 1 },
      ],
      now: () => clock,
    });
    client = testClient(broker);
  });
  afterEach(() => broker.faults.clear());
  after(async () => {
    await client.close();
    await broker.close();
  });

  it('answers the hub properties: name, partition ids and creation time', async () => {
    const hub = await client.getEventHubProperties();
    expect(hub.name).to.equal('defender');
    expect(hub.partitionIds).to.deep.equal(['0', '1', '2']);
    expect(hub.createdOn.getTime()).to.equal(created);
    expect(await client.getPartitionIds()).to.deep.equal(['0', '1', '2']);
  });

  it('answers an empty partition as empty, with no last event', async () => {
    const p = await client.getPartitionProperties('2');
    expect(p).to.include({
      partitionId: '2',
      eventHubName: 'defender',
      beginningSequenceNumber: 0,
      lastEnqueuedSequenceNumber: -1,
      lastEnqueuedOffset: '-1',
      isEmpty: true,
    });
  });

  it('answers begin and last sequence number, last offset and last enqueued time of a partition', async () => {
    clock = Date.parse('2025-03-01T09:00:00Z');
    broker.publish('defender', '1', { records: [{ n: 1 }] });
    const second = broker.publish(
      'defender',
      '1',
      { records: [{ n: 2 }] },
      { enqueuedTime: new Date('2025-03-01T09:30:00Z') },
    );
    const p = await client.getPartitionProperties('1');
    expect(p.beginningSequenceNumber).to.equal(0);
    expect(p.lastEnqueuedSequenceNumber).to.equal(1);
    expect(p.lastEnqueuedOffset).to.equal(String(second.offset));
    expect(Number(p.lastEnqueuedOffset)).to.be.greaterThan(0);
    expect(p.lastEnqueuedOnUtc.toISOString()).to.equal('2025-03-01T09:30:00.000Z');
    expect(p.isEmpty).to.equal(false);

    broker.faults.expireEvents('defender', '1', 1);
    const after = await client.getPartitionProperties('1');
    expect(after.beginningSequenceNumber).to.equal(1);
    expect(after.lastEnqueuedSequenceNumber).to.equal(1);
  });

  it('refuses an unknown partition with an error that names the valid range', async () => {
    const error = await client.getPartitionProperties('7').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/partition '7' is invalid.*between 0 and 2/);
    expect((error as { code?: string }).code).to.equal('ArgumentOutOfRangeError');
  });

  it('refuses an unknown hub as not found', async () => {
    const wrong = new EventHubConsumerClient('$Default', broker.connectionString('nosuchhub'), {
      retryOptions: { ...FAST_RETRIES, maxRetries: 0 },
    });
    try {
      const error = await wrong.getEventHubProperties().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.match(/nosuchhub' could not be found/);
    } finally {
      await wrong.close();
    }
  });

  it('answers after a delay below the operation timeout; times out (and the client says so) above it', async () => {
    broker.faults.managementDelayMs = 300;
    expect((await client.getEventHubProperties()).partitionIds).to.have.length(3);

    broker.faults.managementDelayMs = 2000;
    const impatient = new EventHubConsumerClient('$Default', broker.connectionString('defender'), {
      retryOptions: { retryDelayInMs: 10, maxRetries: 0, timeoutInMs: 500 },
    });
    try {
      const error = await impatient.getEventHubProperties().then(
        () => undefined,
        (e: Error) => e,
      );
      expect((error as { code?: string })?.code).to.equal('OperationTimeoutError');
      broker.faults.managementDelayMs = 0;
      expect((await impatient.getEventHubProperties()).name).to.equal('defender');
    } finally {
      await impatient.close();
    }
  });
});
