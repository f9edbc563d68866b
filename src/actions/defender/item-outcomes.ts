/**
 * What becomes of each item an update action acts on (an alert or incident id of a result row): the outcomes a failed
 * or unapplied change gives, and the small pool that works through the items and records each outcome.
 */
import type { RowOutcome } from '../protocol/outcomes.js';
import type { RowIdItem } from '../protocol/row-ids.js';
import { describeFailure } from './http-json.js';

/** Defender answered 2xx, but what it sent back does not show the change: a verified failure. */
export function notApplied(
  item: RowIdItem,
  httpStatus: number,
  mismatches: readonly string[],
  noun: 'alert' | 'incident',
): RowOutcome {
  return {
    row: item.row,
    id: item.id,
    outcome: 'failure',
    httpStatus,
    verified: true,
    error: `Defender answered ${httpStatus} but the ${noun} does not show the change (${mismatches.join('; ')}).`,
  };
}

/** The call failed; `prefix` says what had been done before it (a PATCH applied before the comment failed). */
export function failedOutcome(item: RowIdItem, error: unknown, prefix = ''): RowOutcome {
  const failure = describeFailure(error);
  return {
    row: item.row,
    id: item.id,
    outcome: 'failure',
    httpStatus: failure.httpStatus,
    error: prefix + failure.message,
  };
}

/**
 * Runs `work` over the items with at most `size` in flight, in order of the items; no item starts once `signal`
 * aborted. Each item's work records its own outcome.
 */
export async function forEachItem<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
