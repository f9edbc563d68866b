/** The real clock, for entry points and for adapters that were given none. */
import type { Clock } from '../ports.js';

/**
 * `sleep` resolves after `ms`, or at once when `signal` aborts; it never rejects, so callers check the signal after.
 */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
