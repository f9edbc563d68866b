/**
 * Reads several windows at once and commits them in order: `read` runs for up to `size()` windows at a time (each
 * writes its events as they come), never more than AHEAD_FACTOR × `size()` windows past the oldest one not committed
 * yet, and `commit` is called, one call at a time, with each run of windows that just became complete at the front
 * (defender/ordered-commit.ts). The first failure stops the pool: no further window is started, the others are
 * aborted through the signal `read` receives, and once every read has settled that first error is thrown (never an
 * abort it caused).
 *
 * `AdaptivePoolSize` sizes the pool to the API's quota: it grows while requests go out without waiting for their turn
 * (the API's latency is what holds the reads back) and shrinks while two or more wait (the quota is). So the input
 * keeps about as many pages in flight as the quota allows over the API's latency (Little's law), and no more.
 */
import { OrderedCommit } from './ordered-commit.js';

export interface PoolSize {
  /** How many windows may be read at once now. */
  size(): number;
  /** A page was read (time to adapt). */
  pageRead(): void;
}

/** A pool size that never changes (the `concurrent_windows` setting; 1 reads one page at a time). */
export function fixedPoolSize(n: number): PoolSize {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`pool size must be a whole number ≥ 1, not ${n}`);
  return { size: () => n, pageRead: () => undefined };
}

/** The most windows read at once: Defender for Endpoint's 100 pages a minute over ~4 s per 10,000-alert page is 7. */
export const MAX_POOL_SIZE = 8;
/** Two: one window's page is being processed while the next request is already on its way. */
export const MIN_POOL_SIZE = 2;

/**
 * Grows while no request waits for the quota, shrinks while two or more do. It starts slow-start fashion, doubling
 * with each page read until a request first waits (a backfill against an API with seconds of latency would otherwise
 * spend its first pages with most of the quota unused), then one window at a time.
 */
export class AdaptivePoolSize implements PoolSize {
  private current = MIN_POOL_SIZE;
  private slowStart = true;

  constructor(
    private readonly waiting: () => number,
    private readonly max = MAX_POOL_SIZE,
  ) {}

  size(): number {
    return this.current;
  }

  pageRead(): void {
    const waiting = this.waiting();
    if (waiting > 0) this.slowStart = false;
    if (waiting === 0 && this.current < this.max) {
      this.current = Math.min(this.max, this.slowStart ? this.current * 2 : this.current + 1);
    } else if (waiting >= 2 && this.current > MIN_POOL_SIZE) this.current--;
  }
}

/** At most this many times the pool's size of windows are read or waiting to be committed at once. */
export const AHEAD_FACTOR = 2;

export interface PoolTasks<W> {
  /** The next window in time order, or undefined when every window was handed out. */
  next(): W | undefined;
  /** Reads one window to its end, writing its events; must stop soon after `signal` aborts. */
  read(window: W, signal: AbortSignal): Promise<void>;
  /** Called in order with windows complete at the front; the next call waits for this one. */
  commit(windows: W[]): Promise<void>;
  size: PoolSize;
  /** The run's own stop signal: no new window starts once it aborted. */
  signal: AbortSignal;
}

export async function runWindowPool<W>(tasks: PoolTasks<W>): Promise<void> {
  const order = new OrderedCommit<W>();
  const stop = new AbortController();
  const abortAll = () => stop.abort(tasks.signal.reason);
  tasks.signal.addEventListener('abort', abortAll, { once: true });
  const active = new Map<number, Promise<{ seq: number; error?: unknown; failed: boolean }>>();
  let exhausted = false;
  let failed = false;
  let firstError: unknown;
  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    firstError = error;
    stop.abort();
  };
  try {
    for (;;) {
      const size = Math.max(1, tasks.size.size());
      // Windows read and waiting behind a slow first one count too: their versions stay in memory (and the
      // checkpoint stays put) until it completes, so reading on far past it would only grow both.
      while (!failed && !exhausted && !stop.signal.aborted && active.size < size && order.size < size * AHEAD_FACTOR) {
        const window = tasks.next();
        if (window === undefined) {
          exhausted = true;
          break;
        }
        const seq = order.add(window);
        active.set(
          seq,
          tasks.read(window, stop.signal).then(
            () => ({ seq, failed: false }),
            (error: unknown) => ({ seq, error, failed: true }),
          ),
        );
      }
      if (active.size === 0) break;
      const done = await Promise.race(active.values());
      active.delete(done.seq);
      if (done.failed) {
        fail(done.error);
        continue;
      }
      if (failed) continue;
      order.complete(done.seq);
      const ready = order.takeReady();
      if (ready.length > 0) await tasks.commit(ready).catch(fail);
    }
  } finally {
    tasks.signal.removeEventListener('abort', abortAll);
  }
  if (failed) throw firstError;
}
