/**
 * The use case of `defender_stream`: read every partition of one event hub for as long as splunkd lets the process
 * run, write one event per record, and checkpoint each partition only after its events were flushed to stdout.
 *
 * One reader per partition (the SDK's single-partition subscribe, which restarts a failed reader at once), started
 * from the checkpoint document (eventhubs/stream-checkpoint.ts); the hub's partitions are looked up again every
 * `discoveryIntervalMs`, and a partition that appears is read from its beginning. A reader never writes an event whose
 * sequence number it wrote before, whatever position the SDK restarts it from. The checkpoint is saved at most every
 * `saveIntervalMs` (and at the end); a kill loses nothing, it only repeats what was written since the last save.
 */
import { earliestEventPosition } from '@azure/event-hubs';
import type {
  EventHubConsumerClient,
  EventPosition,
  PartitionContext,
  ReceivedEventData,
  Subscription,
} from '@azure/event-hubs';
import type { StreamInputConfig } from '../../config/stream-config.js';
import type { StartTime } from '../../config/types.js';
import { toEpochMs } from '../../defender/api-time.js';
import {
  applyReplay,
  checkpointKey,
  checkpointSequence,
  initialCheckpoint,
  readPosition,
  readStreamCheckpoint,
  withFlushed,
  type PartitionEnd,
  type ReadPosition,
  type StreamCheckpoint,
} from '../../eventhubs/stream-checkpoint.js';
import { OutageTracker } from '../../eventhubs/outage.js';
import { partitionStatus } from '../../eventhubs/partition-status.js';
import { splitMessage } from '../../eventhubs/records.js';
import { describeStreamFailure, toStreamError } from '../../eventhubs/stream-errors.js';
import { AddonError, StoppedError } from '../../errors.js';
import type { CheckpointStore, Clock, EventSink, Logger, SplunkEvent } from '../../ports.js';

/** Tuning; the defaults keep enqueue → written well under 30 s. */
export interface StreamLimits {
  /** Messages per batch handed over by the SDK. */
  maxBatchSize: number;
  /** How long the SDK waits to fill a batch before handing over what it has. */
  maxWaitTimeInSeconds: number;
  /** Messages the SDK fetches ahead per partition. */
  prefetchCount: number;
  saveIntervalMs: number;
  statusIntervalMs: number;
  discoveryIntervalMs: number;
  /** Longest wait between two attempts to reach the hub while it is down. */
  maxBackoffMs: number;
  /** Longest wait for the SDK to close its readers on stop. */
  closeTimeoutMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxBatchSize: 1000,
  maxWaitTimeInSeconds: 1,
  // Messages of the export hold many records (tens of KB): a deep prefetch on every partition costs memory, not speed.
  prefetchCount: 1000,
  saveIntervalMs: 1000,
  statusIntervalMs: 30_000,
  discoveryIntervalMs: 10_000,
  maxBackoffMs: 30_000,
  closeTimeoutMs: 5000,
};

/** The part of EventHubConsumerClient the use case calls (tests may pass the real client or a fake). */
export type StreamClient = Pick<
  EventHubConsumerClient,
  'getEventHubProperties' | 'getPartitionProperties' | 'subscribe' | 'close'
>;

export interface ConsumeStreamOptions {
  config: StreamInputConfig;
  client: StreamClient;
  store: CheckpointStore;
  sink: EventSink;
  log: Logger;
  clock: Clock;
  /** Aborted on SIGTERM: finish the batch in hand, flush, save, return. */
  signal: AbortSignal;
  limits?: Partial<StreamLimits>;
}

export interface StreamResult {
  status: 'stopped' | 'error';
  events: number;
  /** Records left out by the categories filter. */
  filtered: number;
  nonRecord: number;
  /** The largest lag_s of the last status round. */
  lagSeconds: number;
  error?: AddonError;
}

interface Reader {
  id: string;
  subscription: Subscription;
  /** The last sequence number written by this process (or the checkpoint's): never write one at or below it. */
  lastSequence: number;
  /** Records written since the previous status line. */
  recordsSinceStatus: number;
  busy: Promise<void> | undefined;
}

export async function consumeStream(options: ConsumeStreamOptions): Promise<StreamResult> {
  const { config, client, store, sink, log, clock } = options;
  const limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
  const source = `${config.namespace}/${config.hub}/${config.consumerGroup}`;
  const key = checkpointKey(config.stanza, source);
  const where = { namespace: config.namespace, hub: config.hub, consumerGroup: config.consumerGroup };
  const input = config.stanza;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) stop.abort();
  const outage = new OutageTracker();
  const result: StreamResult = { status: 'stopped', events: 0, filtered: 0, nonRecord: 0, lagSeconds: 0 };
  const readers = new Map<string, Reader>();
  let doc: StreamCheckpoint | undefined;
  let dirty = false;
  let saving: Promise<void> = Promise.resolve();
  let fatal: AddonError | undefined;

  const fail = (error: unknown) => {
    const report = describeStreamFailure(error, where);
    const opened = outage.failed(clock.nowMs(), report);
    if (opened) log.error(opened.message, { action: 'stream_error', input, error: opened.code });
  };
  const recovered = () => {
    const closed = outage.succeeded(clock.nowMs());
    if (closed)
      log.info('The event hub answers again', {
        action: 'stream_recovered',
        input,
        outage_s: closed.outageSeconds.toFixed(1),
      });
  };
  const end = (error: AddonError) => {
    fatal ??= error;
    stop.abort();
  };

  /** Retries `call` with backoff while the hub cannot be reached; a refusal of the credentials or names ends the run. */
  async function untilAnswered<T>(call: () => Promise<T>): Promise<T | undefined> {
    let wait = 1000;
    while (!stop.signal.aborted) {
      try {
        const value = await call();
        recovered();
        return value;
      } catch (error) {
        if (stop.signal.aborted) return undefined;
        const described = describeStreamFailure(error, where);
        if (
          described.code === 'stream_unauthorized' ||
          described.code === 'stream_not_found' ||
          error instanceof AddonError
        ) {
          throw toStreamError(error, where);
        }
        fail(error);
        await clock.sleep(wait, stop.signal).catch(() => undefined);
        wait = Math.min(wait * 2, limits.maxBackoffMs);
      }
    }
    return undefined;
  }

  function save(): Promise<void> {
    saving = saving.then(async () => {
      if (!dirty || doc === undefined) return;
      dirty = false;
      await store.save(key, doc);
    });
    return saving;
  }

  function eventPosition(position: ReadPosition): EventPosition {
    if (position.kind === 'earliest') return earliestEventPosition;
    if (position.kind === 'enqueuedOn') return { enqueuedOn: new Date(position.timeMs) };
    return { sequenceNumber: position.sequenceNumber, isInclusive: false };
  }

  function startReader(id: string): void {
    if (readers.has(id) || doc === undefined) return;
    const position = readPosition(doc, id);
    const reader: Reader = {
      id,
      lastSequence: position.kind === 'afterSequence' ? position.sequenceNumber : -1,
      recordsSinceStatus: 0,
      busy: undefined,
      subscription: undefined as unknown as Subscription,
    };
    readers.set(id, reader);
    log.debug('Reading partition', {
      action: 'partition_start',
      input,
      partition: id,
      from: describePosition(position),
    });
    reader.subscription = client.subscribe(
      id,
      {
        processEvents: async (events: ReceivedEventData[], context: PartitionContext) => {
          if (stop.signal.aborted || events.length === 0) return;
          const work = writeBatch(reader, events, context);
          reader.busy = work;
          try {
            await work;
          } finally {
            if (reader.busy === work) reader.busy = undefined;
          }
        },
        processError: (error: Error) => {
          if (!stop.signal.aborted) fail(error);
          return Promise.resolve();
        },
      },
      {
        startPosition: eventPosition(position),
        maxBatchSize: limits.maxBatchSize,
        maxWaitTimeInSeconds: limits.maxWaitTimeInSeconds,
        prefetchCount: limits.prefetchCount,
        skipParsingBodyAsJson: true,
      },
    );
  }

  async function writeBatch(reader: Reader, events: ReceivedEventData[], context: PartitionContext): Promise<void> {
    let last: ReceivedEventData | undefined;
    try {
      for (const event of events) {
        if (event.sequenceNumber <= reader.lastSequence) continue;
        await writeMessage(reader, event);
        reader.lastSequence = event.sequenceNumber;
        last = event;
      }
      if (last === undefined) return;
      await sink.flush();
    } catch (error) {
      // stdout is gone (splunkd stopped reading): nothing more can be delivered; keep the checkpoint where it is.
      end(error instanceof AddonError ? error : new StoppedError('stdout failed'));
      return;
    }
    recovered();
    doc = withFlushed(doc!, reader.id, {
      sequenceNumber: last.sequenceNumber,
      offset: String(last.offset),
      enqueuedTimeMs: last.enqueuedTimeUtc.getTime(),
    });
    dirty = true;
    // The SDK restarts a failed reader from its own (in-memory) checkpoint: keep it where ours is.
    await context.updateCheckpoint(last).catch(() => undefined);
  }

  async function writeMessage(reader: Reader, event: ReceivedEventData): Promise<void> {
    const enqueuedMs = event.enqueuedTimeUtc.getTime();
    const body = event.body as unknown;
    const bytes = body instanceof Uint8Array || typeof body === 'string' ? body : JSON.stringify(body ?? null);
    const split = splitMessage(bytes, enqueuedMs);
    const base = {
      stanza: input,
      source: `eventhub://${config.namespace}/${config.hub}/${reader.id}`,
      sourcetype: config.sourcetype,
      index: config.index,
      host: config.host,
    };
    if (split.kind === 'other') {
      result.nonRecord++;
      log.warn(`A message is not {"records":[…]} (${split.reason}); it is written whole as one event`, {
        action: 'non_record_message',
        input,
        partition: reader.id,
        sequence: event.sequenceNumber,
      });
      await write({ ...base, time: split.time, data: split.text === '' ? '""' : split.text });
      reader.recordsSinceStatus++;
      return;
    }
    for (const record of split.records) {
      if (
        config.categories.size > 0 &&
        record.category !== undefined &&
        !config.categories.has(record.category.toLowerCase())
      ) {
        result.filtered++;
        continue;
      }
      await write({ ...base, time: record.time, data: record.json });
      reader.recordsSinceStatus++;
    }
  }

  async function write(event: SplunkEvent): Promise<void> {
    const pending = sink.write(event);
    if (pending) await pending;
    result.events++;
  }

  async function statusRound(): Promise<void> {
    let maxLag = 0;
    for (const reader of readers.values()) {
      if (stop.signal.aborted) return;
      let properties;
      try {
        properties = await client.getPartitionProperties(reader.id, { abortSignal: stop.signal });
      } catch (error) {
        if (!stop.signal.aborted) fail(error);
        return;
      }
      recovered();
      const entry = doc?.partitions[reader.id];
      const status = partitionStatus({
        checkpointSequence: doc ? checkpointSequence(doc, reader.id) : -1,
        checkpointEnqueuedMs: entry && 'enqueuedTimeMs' in entry ? entry.enqueuedTimeMs : undefined,
        lastEnqueuedSequence: properties.lastEnqueuedSequenceNumber,
        lastEnqueuedMs: properties.lastEnqueuedOnUtc?.getTime(),
        beginSequence: properties.beginningSequenceNumber,
        isEmpty: properties.isEmpty,
        nowMs: clock.nowMs(),
      });
      maxLag = Math.max(maxLag, status.lagSeconds);
      log.info('Partition status', {
        action: 'partition_status',
        input,
        namespace: config.namespace,
        hub: config.hub,
        partition: reader.id,
        checkpoint_sequence: status.checkpointSequence,
        last_enqueued_sequence: status.lastEnqueuedSequence,
        lag_events: status.lagEvents,
        lag_s: status.lagSeconds.toFixed(1),
        n_records: reader.recordsSinceStatus,
      });
      reader.recordsSinceStatus = 0;
    }
    result.lagSeconds = maxLag;
  }

  async function discover(): Promise<void> {
    try {
      const properties = await client.getEventHubProperties({ abortSignal: stop.signal });
      recovered();
      for (const id of properties.partitionIds) {
        if (!readers.has(id)) {
          log.info('A partition was added to the hub; reading it from its beginning', {
            action: 'partition_added',
            input,
            partition: id,
          });
          startReader(id);
        }
      }
    } catch (error) {
      if (!stop.signal.aborted) fail(error);
    }
  }

  try {
    // 1. The hub answers and accepts the credentials (the SDK's own loop would retry a refusal for minutes).
    const hub = await untilAnswered(() => client.getEventHubProperties({ abortSignal: stop.signal }));
    if (hub === undefined) return finish();
    // 2. The checkpoint, or the first run's start positions.
    doc = readStreamCheckpoint(await store.load(key), source, key);
    if (doc === undefined) {
      const ends = new Map<string, PartitionEnd>();
      if (config.startPosition.kind === 'latest') {
        for (const id of hub.partitionIds) {
          const p = await untilAnswered(() => client.getPartitionProperties(id, { abortSignal: stop.signal }));
          if (p === undefined) return finish();
          ends.set(id, {
            lastSequenceNumber: p.lastEnqueuedSequenceNumber,
            lastOffset: String(p.lastEnqueuedOffset),
            lastEnqueuedTimeMs: p.lastEnqueuedOnUtc?.getTime() ?? 0,
            isEmpty: p.isEmpty,
          });
        }
      } else {
        for (const id of hub.partitionIds)
          ends.set(id, { lastSequenceNumber: -1, lastOffset: '-1', lastEnqueuedTimeMs: 0, isEmpty: true });
      }
      doc = initialCheckpoint(source, ends, config.startPosition, clock.nowMs(), resolveStartTime);
      dirty = true;
    }
    const replay = config.replayFrom
      ? { text: config.replayFrom.text, timeMs: resolveStartTime(config.replayFrom.start, clock.nowMs()) }
      : undefined;
    const replayed = applyReplay(doc, replay, hub.partitionIds);
    if (replayed !== doc) {
      log.info('replay_from applied: partitions rewound to it', { action: 'replay', input, replay: replay?.text });
      doc = replayed;
      dirty = true;
    }
    await save();
    log.info('Reading the event hub', {
      action: 'stream_start',
      input,
      namespace: config.namespace,
      hub: config.hub,
      consumer_group: config.consumerGroup,
      partitions: hub.partitionIds.length,
    });
    // 3. Read until stopped.
    for (const id of hub.partitionIds) startReader(id);
    let nextSave = clock.nowMs() + limits.saveIntervalMs;
    let nextStatus = clock.nowMs() + limits.statusIntervalMs;
    let nextDiscovery = clock.nowMs() + limits.discoveryIntervalMs;
    while (!stop.signal.aborted) {
      const now = clock.nowMs();
      const wake = Math.min(nextSave, nextStatus, nextDiscovery);
      if (wake > now) {
        await clock.sleep(wake - now, stop.signal).catch(() => undefined);
        continue;
      }
      if (now >= nextSave) {
        await save();
        nextSave = clock.nowMs() + limits.saveIntervalMs;
      }
      if (now >= nextDiscovery) {
        await discover();
        nextDiscovery = clock.nowMs() + limits.discoveryIntervalMs;
      }
      if (now >= nextStatus) {
        await statusRound();
        nextStatus = clock.nowMs() + limits.statusIntervalMs;
      }
    }
  } catch (error) {
    end(toStreamError(error, where));
  }
  return finish();

  async function finish(): Promise<StreamResult> {
    stop.abort();
    options.signal.removeEventListener('abort', onAbort);
    // Let the batches in hand finish: their events are written and flushed, so the checkpoint may cover them.
    await withTimeout(
      Promise.all([...readers.values()].map((r) => r.busy ?? Promise.resolve())),
      limits.closeTimeoutMs,
    );
    try {
      await save();
    } catch (error) {
      fatal ??= toStreamError(error, where);
    }
    await withTimeout(
      Promise.all([...readers.values()].map((r) => r.subscription.close().catch(() => undefined))),
      limits.closeTimeoutMs,
    );
    if (fatal && !(fatal instanceof StoppedError)) {
      result.status = 'error';
      result.error = fatal;
    }
    return result;
  }
}

/** An absolute start time in epoch ms; a relative one counts back from `nowMs`. */
export function resolveStartTime(time: StartTime, nowMs: number): number {
  return time.kind === 'absolute' ? toEpochMs(time.time) : nowMs - time.seconds * 1000;
}

function describePosition(position: ReadPosition): string {
  if (position.kind === 'earliest') return 'earliest';
  if (position.kind === 'enqueuedOn') return new Date(position.timeMs).toISOString();
  return `after_sequence_${position.sequenceNumber}`;
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
