/**
 * One receiver on `<hub>/ConsumerGroups/<cg>/Partitions/<id>`: the broker's sending end. It sends events in sequence
 * order from its start position, only while the client has granted link credit (AMQP flow control: the SDK opens
 * the link with credit_window 0 and adds credit as it wants events: addCredits in
 * node_modules/@azure/event-hubs/dist/esm/partitionReceiver.js), and resumes on each `flow` (rhea's `sendable`) and
 * each new event. Transfers are pre-settled: a partition is a log, nothing is removed on accept.
 *
 * When the client asked for the `com.microsoft:enable-receiver-runtime-metric` capability
 * (trackLastEnqueuedEventProperties), each delivery also carries the delivery annotations the SDK reads:
 * last_enqueued_sequence_number, last_enqueued_offset, last_enqueued_time_utc, runtime_info_retrieval_time_utc.
 */
import rhea, { type Sender } from 'rhea';
import type { BrokerConnection, PartitionLinkHandle } from './connection.js';
import { encodeEvent, type PartitionLog, type StoredEvent } from './store.js';

export const RUNTIME_METRIC_CAPABILITY = 'com.microsoft:enable-receiver-runtime-metric';

export class PartitionLink implements PartitionLinkHandle {
  private next: number;
  private closed = false;
  /** Events transferred on this link. */
  sent = 0;

  constructor(
    readonly connection: BrokerConnection,
    readonly sender: Sender,
    readonly hubName: string,
    readonly consumerGroup: string,
    readonly log: PartitionLog,
    firstSequenceNumber: number,
    readonly epoch: number | undefined,
    private readonly runtimeMetric: boolean,
    private readonly now: () => number,
  ) {
    this.next = firstSequenceNumber;
  }

  get partitionId(): string {
    return this.log.id;
  }

  /** Sequence number of the next event this link will send. */
  get position(): number {
    return this.next;
  }

  /**
   * Sends as many waiting events as the link credit allows. rhea queues what `send` is given and takes credit only
   * when it writes the transfer, so `sendable()` alone would let one pump queue the whole backlog (and a queued
   * delivery without credit blocks every later transfer of the session): the link counts its queued deliveries
   * against the credit itself.
   */
  pump(): void {
    while (!this.closed && this.sender.sendable() && this.unqueuedCredit() > 0) {
      if (this.next < this.log.beginSequenceNumber) this.next = this.log.beginSequenceNumber;
      const event = this.log.at(this.next);
      if (!event) return;
      this.sender.send(this.runtimeMetric ? this.withRuntimeInfo(event) : event.encoded, undefined, 0);
      this.next++;
      this.sent++;
    }
  }

  /** Credit the client granted minus deliveries queued in rhea but not yet transferred. */
  private unqueuedCredit(): number {
    const { credit, delivery_count: transferred } = this.sender as unknown as {
      credit: number;
      delivery_count: number;
    };
    return credit - (this.sent - transferred);
  }

  detach(condition: string, description: string): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.partitionLinks.delete(this);
    this.sender.close({ condition, description });
  }

  /** The link ended from the client side or with its connection. */
  forget(): void {
    this.closed = true;
    this.connection.partitionLinks.delete(this);
  }

  private withRuntimeInfo(event: StoredEvent): Buffer {
    const p = this.log.properties();
    return encodeEvent(event, {
      last_enqueued_sequence_number: rhea.types.wrap_long(p.lastSequenceNumber),
      last_enqueued_offset: p.lastOffset,
      last_enqueued_time_utc: p.lastEnqueuedTime,
      runtime_info_retrieval_time_utc: new Date(this.now()),
    });
  }
}
