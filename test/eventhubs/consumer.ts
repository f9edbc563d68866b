/**
 * The real @azure/event-hubs client set up for tests against the broker: short retries (the SDK's default first
 * delay is 30 s), a fast processor loop, and a collector that keeps every event per partition, every error, and
 * checkpoints after each batch the way a consumer with a checkpoint store would.
 */
import {
  EventHubConsumerClient,
  type EventHubConsumerClientOptions,
  type EventPosition,
  type ReceivedEventData,
  type Subscription,
  type SubscribeOptions,
} from '@azure/event-hubs';
import type { EventHubsBroker } from './broker.js';

export const FAST_RETRIES = { retryDelayInMs: 50, maxRetryDelayInMs: 200, maxRetries: 3, timeoutInMs: 3000 };

export function testClientOptions(extra: EventHubConsumerClientOptions = {}): EventHubConsumerClientOptions {
  return {
    retryOptions: FAST_RETRIES,
    loadBalancingOptions: { updateIntervalInMs: 100 },
    ...extra,
  };
}

/** A consumer client for `hub` on a plain-AMQP broker, authenticated with the broker's SAS rule. */
export function testClient(
  broker: EventHubsBroker,
  hub = 'defender',
  options: EventHubConsumerClientOptions = {},
  consumerGroup = '$Default',
): EventHubConsumerClient {
  return new EventHubConsumerClient(consumerGroup, broker.connectionString(hub), testClientOptions(options));
}

export interface Received {
  sequenceNumber: number;
  offset: string;
  enqueuedTime: number;
  body: unknown;
}

/** Collects what a subscription receives; checkpoints the last event of each batch (in the SDK's store). */
export class Collector {
  readonly byPartition = new Map<string, Received[]>();
  readonly errors: Error[] = [];
  /** Errors as `<name>: <message>` with the partition they came from ('' for the processor loop). */
  readonly errorLines: string[] = [];
  checkpoint = true;

  total(): number {
    let n = 0;
    for (const list of this.byPartition.values()) n += list.length;
    return n;
  }

  partition(id: string): Received[] {
    return this.byPartition.get(id) ?? [];
  }

  subscribe(client: EventHubConsumerClient, options: SubscribeOptions = {}): Subscription {
    return client.subscribe(
      {
        processEvents: async (events: ReceivedEventData[], context) => {
          if (events.length === 0) return;
          const list = this.byPartition.get(context.partitionId) ?? [];
          for (const e of events) {
            list.push({
              sequenceNumber: e.sequenceNumber,
              offset: e.offset,
              enqueuedTime: e.enqueuedTimeUtc.getTime(),
              body: e.body,
            });
          }
          this.byPartition.set(context.partitionId, list);
          if (this.checkpoint) await context.updateCheckpoint(events[events.length - 1]!);
        },
        processError: async (error: Error, context) => {
          this.errors.push(error);
          // After its retries the SDK throws an AggregateError of the attempts' errors: list each attempt.
          const attempts = error instanceof AggregateError ? (error.errors as Error[]) : [error];
          for (const e of attempts) {
            this.errorLines.push(
              `${context.partitionId}|${e.name}|${(e as { code?: string }).code ?? ''}|${e.message}`,
            );
          }
        },
      },
      { maxWaitTimeInSeconds: 0.1, maxBatchSize: 500, ...options },
    );
  }
}

/** Polls `condition` every 10 ms; rejects with `describe()` if it does not hold within `timeoutMs`. */
export async function waitFor(condition: () => boolean, describe: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sequence numbers that appear twice, and gaps, in what one partition received. */
export function sequenceProblems(received: Received[], firstExpected: number, lastExpected: number): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const r of received) {
    if (seen.has(r.sequenceNumber)) problems.push(`duplicate ${r.sequenceNumber}`);
    seen.add(r.sequenceNumber);
  }
  for (let n = firstExpected; n <= lastExpected; n++) if (!seen.has(n)) problems.push(`missing ${n}`);
  for (let i = 1; i < received.length; i++) {
    if (received[i]!.sequenceNumber < received[i - 1]!.sequenceNumber) problems.push(`out of order at ${i}`);
  }
  return problems;
}

export type { EventPosition };
