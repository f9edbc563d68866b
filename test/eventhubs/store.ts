/**
 * The broker's data: hubs, their consumer groups and partitions, and each partition's append-only log. It outlives
 * the listener, so a broker restart keeps everything, as a real namespace does.
 *
 * Per partition, sequence numbers start at 0 and grow by 1; offsets are the byte position of the event in the
 * partition (the first event has offset 0, the next one the previous offset plus the previous event's size), as
 * Event Hubs describes them (https://learn.microsoft.com/azure/event-hubs/event-hubs-features#stream-offsets). Each
 * event is encoded to AMQP once, when published, with the annotations the SDK reads (x-opt-sequence-number,
 * x-opt-offset, x-opt-enqueued-time, x-opt-partition-key: fromRheaMessage in
 * node_modules/@azure/event-hubs/dist/esm/eventData.js).
 */
import rhea from 'rhea';
import type { StartPosition } from './selector-filter.js';

export interface PublishOptions {
  /** Epoch ms or a Date; default the broker clock. */
  enqueuedTime?: number | Date;
  partitionKey?: string;
  /** AMQP application properties (EventData.properties). */
  properties?: Record<string, string | number | boolean>;
}

export interface EventFields {
  sequenceNumber: number;
  offset: number;
  enqueuedTime: number;
  partitionKey?: string;
  properties?: Record<string, string | number | boolean>;
  body: Buffer;
}

export interface StoredEvent extends EventFields {
  /** The whole AMQP message (annotations, properties, data section), ready to transfer. */
  encoded: Buffer;
}

/** The AMQP message for an event: its annotations, application properties and one data section. */
export function encodeEvent(event: EventFields, deliveryAnnotations?: Record<string, unknown>): Buffer {
  const annotations: Record<string, unknown> = {
    'x-opt-sequence-number': rhea.types.wrap_long(event.sequenceNumber),
    'x-opt-offset': String(event.offset),
    'x-opt-enqueued-time': new Date(event.enqueuedTime),
  };
  if (event.partitionKey !== undefined) annotations['x-opt-partition-key'] = event.partitionKey;
  return rhea.message.encode({
    ...(deliveryAnnotations ? { delivery_annotations: deliveryAnnotations } : {}),
    message_annotations: annotations,
    ...(event.properties ? { application_properties: event.properties } : {}),
    body: rhea.message.data_section(event.body),
  });
}

export interface PartitionProperties {
  hubName: string;
  partitionId: string;
  beginSequenceNumber: number;
  lastSequenceNumber: number;
  lastOffset: string;
  lastEnqueuedTime: Date;
  isEmpty: boolean;
}

/**
 * Packs encoded events into 4 MB slabs. rhea's writer returns a slice of a buffer about twice the message, and
 * Node's small-buffer pool is not much tighter, so a million kept 1 KB events would cost several GB; packed they
 * cost their size. (Expired events stay in their slab: fine for a test broker.)
 */
class Slabs {
  private slab = Buffer.allocUnsafeSlow(0);
  private used = 0;

  copy(bytes: Buffer): Buffer {
    if (this.used + bytes.length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(4 * 1024 * 1024, bytes.length));
      this.used = 0;
    }
    const view = this.slab.subarray(this.used, this.used + bytes.length);
    bytes.copy(view);
    this.used += bytes.length;
    return view;
  }
}

/** A start position that points past the end of the partition; the link is refused with this condition. */
export class PositionOutOfRangeError extends Error {
  readonly condition = 'com.microsoft:argument-out-of-range';
}

export class PartitionLog {
  private events: StoredEvent[] = [];
  /** Sequence number of events[0]: grows when retention drops old events. */
  private base = 0;
  private nextOffset = 0;
  private lastEnqueued = 0;
  private lastOffset = -1;

  constructor(
    readonly hubName: string,
    readonly id: string,
    private readonly onAppend: (log: PartitionLog) => void,
    private readonly slabs: Slabs,
  ) {}

  /** Sequence number the next event gets. */
  get endSequenceNumber(): number {
    return this.base + this.events.length;
  }

  get beginSequenceNumber(): number {
    return this.base;
  }

  append(body: Buffer, options: PublishOptions, now: number): StoredEvent {
    const sequenceNumber = this.endSequenceNumber;
    const offset = this.nextOffset;
    const enqueuedTime = options.enqueuedTime === undefined ? now : Number(options.enqueuedTime);
    const fields: EventFields = { sequenceNumber, offset, enqueuedTime, body };
    if (options.partitionKey !== undefined) fields.partitionKey = options.partitionKey;
    if (options.properties) fields.properties = options.properties;
    const encoded = this.slabs.copy(encodeEvent(fields));
    // The data section ends the message, so the body is the encoded message's tail: keep a view, not a copy (a
    // million 1 KB events then cost 1 GB, not 2).
    const view = encoded.subarray(encoded.length - body.length);
    if (!view.equals(body)) throw new Error('encodeEvent did not end the message with the body bytes');
    const event: StoredEvent = { ...fields, body: view, encoded };
    this.events.push(event);
    this.nextOffset += encoded.length;
    this.lastOffset = offset;
    this.lastEnqueued = enqueuedTime;
    this.onAppend(this);
    return event;
  }

  /** The event with this sequence number, if it is still retained. */
  at(sequenceNumber: number): StoredEvent | undefined {
    return this.events[sequenceNumber - this.base];
  }

  /** Every retained event, oldest first (tests read it to compare with what a client received). */
  retained(): readonly StoredEvent[] {
    return this.events;
  }

  /** Drops every event before `sequenceNumber`, as retention would. */
  expireBefore(sequenceNumber: number): number {
    const count = Math.max(0, Math.min(sequenceNumber - this.base, this.events.length));
    this.events.splice(0, count);
    this.base += count;
    return count;
  }

  /**
   * The sequence number of the first event a receiver with this start position gets (endSequenceNumber when it
   * waits for new events). A position before the retained range starts at the oldest retained event; a sequence
   * number or offset past the end is refused, as Event Hubs does ("The supplied sequence number '488' is invalid.
   * The last sequence number in the system is '482'").
   */
  firstSequenceNumberFor(position: StartPosition): number {
    const last = this.endSequenceNumber - 1;
    switch (position.kind) {
      case 'offset': {
        if (position.offset === '-1') return this.base;
        if (position.offset === '@latest') return this.endSequenceNumber;
        const offset = Number(position.offset);
        const limit = position.inclusive ? this.nextOffset : Math.max(this.lastOffset, 0);
        if (offset > limit) {
          throw new PositionOutOfRangeError(
            `The supplied offset '${offset}' is invalid. The last offset in the system is '${this.lastOffset}'`,
          );
        }
        const index = this.events.findIndex((e) => (position.inclusive ? e.offset >= offset : e.offset > offset));
        return index < 0 ? this.endSequenceNumber : this.base + index;
      }
      case 'sequenceNumber': {
        const first = position.inclusive ? position.sequenceNumber : position.sequenceNumber + 1;
        if (first > last + 1) {
          throw new PositionOutOfRangeError(
            `The supplied sequence number '${position.sequenceNumber}' is invalid. The last sequence number in the system is '${last}'`,
          );
        }
        return Math.max(first, this.base);
      }
      case 'enqueuedTime': {
        const index = this.events.findIndex((e) =>
          position.inclusive ? e.enqueuedTime >= position.epochMs : e.enqueuedTime > position.epochMs,
        );
        return index < 0 ? this.endSequenceNumber : this.base + index;
      }
    }
  }

  properties(): PartitionProperties {
    const isEmpty = this.events.length === 0;
    return {
      hubName: this.hubName,
      partitionId: this.id,
      beginSequenceNumber: this.base,
      lastSequenceNumber: this.endSequenceNumber - 1,
      lastOffset: String(this.lastOffset),
      lastEnqueuedTime: new Date(this.lastEnqueued),
      isEmpty,
    };
  }
}

export class Hub {
  readonly partitions: PartitionLog[] = [];
  readonly consumerGroups: Set<string>;

  constructor(
    readonly name: string,
    partitionCount: number,
    consumerGroups: string[],
    readonly createdAt: Date,
    private readonly onAppend: (log: PartitionLog) => void,
    private readonly slabs: Slabs,
  ) {
    this.consumerGroups = new Set(consumerGroups.map((g) => g.toLowerCase()));
    for (let i = 0; i < partitionCount; i++) this.addPartition();
  }

  addPartition(): PartitionLog {
    const log = new PartitionLog(this.name, String(this.partitions.length), this.onAppend, this.slabs);
    this.partitions.push(log);
    return log;
  }

  partition(id: string): PartitionLog | undefined {
    return /^\d+$/.test(id) ? this.partitions[Number(id)] : undefined;
  }

  hasConsumerGroup(name: string): boolean {
    return this.consumerGroups.has(name.toLowerCase());
  }
}

export interface HubSpec {
  name: string;
  partitionCount: number;
  /** Default ['$Default']; compared without case, as Event Hubs does. */
  consumerGroups?: string[];
}

export class EventStore {
  private readonly hubs = new Map<string, Hub>();
  private readonly listeners = new Set<(log: PartitionLog) => void>();
  private readonly slabs = new Slabs();

  constructor(private readonly now: () => number) {}

  createHub(spec: HubSpec): Hub {
    if (!(Number.isInteger(spec.partitionCount) && spec.partitionCount >= 1)) {
      throw new Error(
        `partitionCount of hub '${spec.name}' must be a whole number of at least 1, not ${spec.partitionCount}`,
      );
    }
    const hub = new Hub(
      spec.name,
      spec.partitionCount,
      spec.consumerGroups ?? ['$Default'],
      new Date(this.now()),
      (log) => {
        for (const listener of this.listeners) listener(log);
      },
      this.slabs,
    );
    this.hubs.set(spec.name.toLowerCase(), hub);
    return hub;
  }

  /** Hub names are compared without case. */
  hub(name: string): Hub | undefined {
    return this.hubs.get(name.toLowerCase());
  }

  /** Calls `listener` after every append (open partition links use it to push the new event). */
  onAppend(listener: (log: PartitionLog) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(
    hubName: string,
    partitionId: string,
    body: Buffer | string | object,
    options: PublishOptions = {},
  ): StoredEvent {
    const hub = this.hub(hubName);
    if (!hub)
      throw new Error(
        `no hub '${hubName}' in the broker: create it with hubs: [{ name: '${hubName}', partitionCount }]`,
      );
    const log = hub.partition(partitionId);
    if (!log)
      throw new Error(`hub '${hub.name}' has no partition '${partitionId}' (ids 0..${hub.partitions.length - 1})`);
    return log.append(toBytes(body), options, this.now());
  }
}

/** Strings as UTF-8; other non-Buffer values as their JSON, the way Defender's export writes `{"records":[…]}`. */
function toBytes(body: Buffer | string | object): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}
