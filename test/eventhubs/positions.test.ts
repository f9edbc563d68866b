import {
  earliestEventPosition,
  latestEventPosition,
  type EventHubConsumerClient,
  type EventPosition,
} from '@azure/event-hubs';
import { expect } from 'chai';
import { startEventHubsBroker, type EventHubsBroker } from './broker.js';
import { Collector, testClient, waitFor } from './consumer.js';

/** Reads partition 0 from `position` until `count` events arrived (or, for count 0, for a short while). */
async function read(
  broker: EventHubsBroker,
  client: EventHubConsumerClient,
  position: EventPosition,
  count: number,
  whileOpen?: () => void,
): Promise<number[]> {
  const collector = new Collector();
  collector.checkpoint = false;
  const subscription = collector.subscribe(client, { startPosition: { '0': position } });
  try {
    await waitFor(
      () => collector.partition('0').length >= count && broker.faults.links({ partitionId: '0' }).length > 0,
      () => `${count} events on partition 0 and an open link, got ${collector.partition('0').length} events`,
    );
    if (whileOpen) {
      whileOpen();
      await waitFor(
        () => collector.partition('0').length > count,
        () => 'the event published while reading',
      );
    }
  } finally {
    await subscription.close();
  }
  expect(collector.errorLines).to.deep.equal([]);
  return collector.partition('0').map((r) => r.sequenceNumber);
}

describe('eventhubs broker: start positions the SDK sends as selector filters', () => {
  let broker: EventHubsBroker;
  let client: EventHubConsumerClient;
  const base = Date.parse('2025-04-01T00:00:00Z');

  before(async () => {
    broker = await startEventHubsBroker({ hubs: [{ name: 'defender', partitionCount: 1 }] });
    for (let i = 0; i < 10; i++)
      broker.publish('defender', '0', { records: [{ i }] }, { enqueuedTime: base + i * 60_000 });
    client = testClient(broker);
  });
  after(async () => {
    await client.close();
    await broker.close();
  });

  it('reads from earliest: every retained event, in order', async () => {
    expect(await read(broker, client, earliestEventPosition, 10)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(broker.attaches.at(-1)?.filter).to.equal("amqp.annotation.x-opt-offset > '-1'");
  });

  it('reads from latest: nothing already there, then what is published after the link opened', async () => {
    let published = -1;
    const got = await read(broker, client, latestEventPosition, 0, () => {
      published = broker.publish(
        'defender',
        '0',
        { records: [{ late: true }] },
        { enqueuedTime: base + 10 * 60_000 },
      ).sequenceNumber;
    });
    expect(got).to.deep.equal([published]);
    expect(broker.attaches.at(-1)?.filter).to.equal("amqp.annotation.x-opt-offset > '@latest'");
  });

  it('reads from a sequence number, exclusive by default and inclusive on request', async () => {
    expect(await read(broker, client, { sequenceNumber: 6 }, 4)).to.deep.equal([7, 8, 9, 10]);
    expect(await read(broker, client, { sequenceNumber: 6, isInclusive: true }, 5)).to.deep.equal([6, 7, 8, 9, 10]);
    expect(broker.attaches.at(-1)?.filter).to.equal("amqp.annotation.x-opt-sequence-number >= '6'");
  });

  it('reads from an offset (the checkpoint form)', async () => {
    const third = broker.store.hub('defender')!.partition('0')!.at(2)!;
    expect(await read(broker, client, { offset: String(third.offset) }, 8)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('reads from an enqueued time: the first event enqueued after it', async () => {
    expect(await read(broker, client, { enqueuedOn: new Date(base + 7 * 60_000) }, 3)).to.deep.equal([8, 9, 10]);
    expect(broker.attaches.at(-1)?.filter).to.equal(`amqp.annotation.x-opt-enqueued-time > '${base + 7 * 60_000}'`);
  });

  it('refuses a sequence number past the end, as the service does, and the client reports it', async () => {
    const collector = new Collector();
    const subscription = collector.subscribe(client, { startPosition: { '0': { sequenceNumber: 50 } } });
    try {
      await waitFor(
        () => collector.errors.length > 0,
        () => 'an error from the refused link',
      );
    } finally {
      await subscription.close();
    }
    expect(collector.errorLines[0]).to.match(
      /ArgumentOutOfRangeError\|The supplied sequence number '50' is invalid. The last sequence number in the system is '10'/,
    );
  });

  it('starts at the oldest retained event when the position fell out of retention', async () => {
    broker.faults.expireEvents('defender', '0', 4);
    expect(await read(broker, client, earliestEventPosition, 7)).to.deep.equal([4, 5, 6, 7, 8, 9, 10]);
    expect(await read(broker, client, { sequenceNumber: 1 }, 7)).to.deep.equal([4, 5, 6, 7, 8, 9, 10]);
  });
});
