import { earliestEventPosition } from '@azure/event-hubs';
import { expect } from 'chai';
import rhea, { type Connection, type EventContext, type Receiver } from 'rhea';
import { startEventHubsBroker, TEST_SAS_RULE, type EventHubsBroker } from './broker.js';
import { Collector, sequenceProblems, testClient, waitFor } from './consumer.js';
import { signSas } from './sas-token.js';

/**
 * A bare rhea client: put-token over $cbs, then a receiver that grants credit only when told to. `roundTrip` puts a
 * token again and waits for the answer: frames on one connection are ordered, so once it returns, every event the
 * broker sent before handling it has arrived.
 */
async function rawReceiver(broker: EventHubsBroker, address: string): Promise<{ connection: Connection; receiver: Receiver; received: number[]; roundTrip: () => Promise<unknown> }> {
  const container = rhea.create_container();
  const connection = container.connect({ host: '127.0.0.1', port: broker.port, username: 'ListenRule', reconnect: false });
  const received: number[] = [];
  connection.on('disconnected', () => { /* closed by the test */ });
  await new Promise<void>((resolve, reject) => {
    connection.once('connection_open', () => resolve());
    connection.once('connection_error', () => reject(new Error('connection refused')));
  });
  const cbsReply = connection.open_receiver({ source: { address: '$cbs' }, name: 'cbs-reply' });
  const cbsSend = connection.open_sender({ target: { address: '$cbs' } });
  await new Promise<void>((resolve) => cbsSend.once('sendable', () => resolve()));
  let requests = 0;
  const roundTrip = () => new Promise<unknown>((resolve) => {
    cbsReply.once('message', (ctx: EventContext) => resolve(ctx.message?.application_properties?.['status-code']));
    const audience = `sb://localhost/${address}`;
    cbsSend.send({
      message_id: `put-${++requests}`,
      reply_to: 'cbs-reply',
      application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
      body: signSas(audience, TEST_SAS_RULE, Math.floor(Date.now() / 1000) + 600),
    });
  });
  expect(await roundTrip()).to.equal(202);
  const receiver = connection.open_receiver({ source: { address, filter: { 'apache.org:selector-filter:string': "amqp.annotation.x-opt-offset > '-1'" } }, credit_window: 0 });
  receiver.on('message', (ctx: EventContext) => {
    received.push(Number(ctx.message?.message_annotations?.['x-opt-sequence-number']));
  });
  await new Promise<void>((resolve) => receiver.once('receiver_open', () => resolve()));
  return { connection, receiver, received, roundTrip };
}

describe('eventhubs broker: link credit and a large backlog', () => {
  let broker: EventHubsBroker;

  before(async () => {
    broker = await startEventHubsBroker({ hubs: [{ name: 'defender', partitionCount: 4 }] });
  });
  after(() => broker.close());

  it('sends no more events than the receiver granted credit for, and the next ones when it grants more', async () => {
    for (let i = 0; i < 20; i++) broker.publish('defender', '3', `event ${i}`);
    const { connection, receiver, received, roundTrip } = await rawReceiver(broker, 'defender/ConsumerGroups/$Default/Partitions/3');
    try {
      receiver.add_credit(5);
      await waitFor(() => received.length >= 5, () => `5 events, got ${received.length}`);
      expect(await roundTrip()).to.equal(202);
      expect(received).to.deep.equal([0, 1, 2, 3, 4]);
      const link = broker.faults.links({ partitionId: '3' })[0] as unknown as { sent: number };
      expect(link.sent).to.equal(5);

      receiver.add_credit(3);
      await waitFor(() => received.length >= 8, () => `8 events, got ${received.length}`);
      expect(await roundTrip()).to.equal(202);
      expect(received).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      connection.close();
    }
  });

  it('delivers many thousands of events per partition to the real client, complete and in order', async function () {
    this.timeout(60_000);
    const perPartition = 5000;
    const body = { records: [{ category: 'AdvancedHunting-DeviceProcessEvents', properties: { pad: 'x'.repeat(200) } }] };
    const first = ['0', '1', '2'].map((p) => broker.store.hub('defender')!.partition(p)!.endSequenceNumber);
    for (let i = 0; i < perPartition; i++) for (const p of ['0', '1', '2']) broker.publish('defender', p, body);
    const client = testClient(broker);
    const collector = new Collector();
    const subscription = collector.subscribe(client, { startPosition: earliestEventPosition, maxBatchSize: 300 });
    try {
      await waitFor(() => ['0', '1', '2'].every((p) => collector.partition(p).length >= perPartition),
        () => `${perPartition} per partition, got ${['0', '1', '2'].map((p) => collector.partition(p).length).join('/')}`, 40_000);
    } finally {
      await subscription.close();
      await client.close();
    }
    ['0', '1', '2'].forEach((p, i) => {
      expect(sequenceProblems(collector.partition(p), first[i]!, first[i]! + perPartition - 1), `partition ${p}`).to.deep.equal([]);
      expect(collector.partition(p)).to.have.length(perPartition);
    });
    expect(collector.errorLines).to.deep.equal([]);
  });
});
