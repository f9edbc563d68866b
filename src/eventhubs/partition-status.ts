/** The per-partition health line's numbers (lag behind the hub's last enqueued event), pure. */
export interface PartitionStatus {
  checkpointSequence: number;
  lastEnqueuedSequence: number;
  lagEvents: number;
  lagSeconds: number;
}

/**
 * lag_events: events enqueued after the last flushed one (0 when caught up); lag_s: seconds between the hub's last
 * enqueued time and the enqueued time of the last flushed event (0 when caught up; the last event's age when nothing
 * was flushed yet).
 */
export function partitionStatus(input: {
  checkpointSequence: number;
  checkpointEnqueuedMs: number | undefined;
  lastEnqueuedSequence: number;
  lastEnqueuedMs: number | undefined;
  beginSequence: number;
  isEmpty: boolean;
  nowMs: number;
}): PartitionStatus {
  const behind = input.isEmpty
    ? 0
    : Math.max(0, input.lastEnqueuedSequence - Math.max(input.checkpointSequence, input.beginSequence - 1));
  let lagSeconds = 0;
  if (behind > 0 && input.lastEnqueuedMs !== undefined) {
    const from = input.checkpointEnqueuedMs ?? input.lastEnqueuedMs;
    lagSeconds = Math.max(0, (input.lastEnqueuedMs - from) / 1000);
    if (input.checkpointEnqueuedMs === undefined) lagSeconds = Math.max(0, (input.nowMs - input.lastEnqueuedMs) / 1000);
  }
  return {
    checkpointSequence: input.checkpointSequence,
    lastEnqueuedSequence: input.lastEnqueuedSequence,
    lagEvents: behind,
    lagSeconds,
  };
}
