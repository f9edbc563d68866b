/**
 * A client-side sliding-window limiter for the write endpoints with small documented quotas (import indicators
 * 30 calls/min, batchUpdate 10 calls/min: https://learn.microsoft.com/defender-endpoint/api/import-ti-indicators,
 * https://learn.microsoft.com/defender-endpoint/api/batch-update-alerts). Waiting here keeps the action under the
 * quota, so the
 * service rarely has to answer 429; a 429 that still comes (the quota is shared with other inputs and actions of the
 * same app registration) is waited out by the HTTP client as Retry-After says.
 */
import type { Clock } from '../../ports.js';

/** Grants calls at most `limit` per `windowMs`. */
export interface RateLimiter {
  /** Resolves when one more call fits in the window; returns how long it waited (ms). */
  acquire(signal?: AbortSignal): Promise<number>;
}

/** Creates a limiter of `limit` calls per `windowMs` on the given clock. */
export function createRateLimiter(options: { limit: number; windowMs: number; clock: Clock }): RateLimiter {
  const { limit, windowMs, clock } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const granted: number[] = [];
  return {
    async acquire(signal) {
      let waited = 0;
      for (;;) {
        const now = clock.nowMs();
        while (granted.length > 0 && granted[0]! <= now - windowMs) granted.shift();
        if (granted.length < limit) {
          granted.push(now);
          return waited;
        }
        const waitMs = granted[0]! + windowMs - now;
        await clock.sleep(waitMs, signal);
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        waited += waitMs;
      }
    },
  };
}

/** Splits a list into consecutive chunks of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
