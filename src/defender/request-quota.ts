/**
 * The client side of Microsoft's per-application quotas: requests are paced so that a run at full speed never meets a
 * 429, and a 429 that comes anyway (another input or tool sharing the app registration) pauses every request as long
 * as `Retry-After` says and slows the pace for the rest of the run.
 *
 * Quotas (per app per tenant): Graph alerts 150 requests a minute (https://learn.microsoft.com/graph/throttling-limits,
 * "Security detections and incidents service limits"); Defender for Endpoint alerts 100 a minute and 1,500 an hour
 * (https://learn.microsoft.com/defender-endpoint/api/get-alerts). Graph incidents document none of their own; they are
 * served by the same security service, so the alerts figure is used. The SIEM exporter documents none.
 *
 * `RequestPacer` decides (pure, clock passed in); `RequestGate` waits on a Clock.
 */
import type { Clock } from '../ports.js';

/** At most `limit` requests in any `windowMs`. */
export interface QuotaWindow {
  limit: number;
  windowMs: number;
}

export type QuotaApi = 'graph' | 'mde' | 'siem' | 'incidents';

const MINUTE = 60_000;

export const DOCUMENTED_QUOTAS: Readonly<Record<QuotaApi, readonly QuotaWindow[]>> = Object.freeze({
  graph: [{ limit: 150, windowMs: MINUTE }],
  incidents: [{ limit: 150, windowMs: MINUTE }],
  mde: [
    { limit: 100, windowMs: MINUTE },
    { limit: 1_500, windowMs: 60 * MINUTE },
  ],
  siem: [],
});

/**
 * Each window is counted as this much longer than the server's: our count starts when a request is sent, the server's
 * when it arrives, and a request delayed on the way would otherwise arrive inside a window the next one shares.
 */
export const QUOTA_MARGIN_MS = 1_000;

/** After each 429, the spacing between requests grows by this factor (someone else is spending the quota too). */
const THROTTLE_SLOWDOWN = 1.25;

/** The quota of an api, or a single per-minute figure the admin set instead (`max_requests_per_minute`). */
export function quotaFor(api: QuotaApi, requestsPerMinute: number | undefined): readonly QuotaWindow[] {
  if (requestsPerMinute !== undefined && requestsPerMinute > 0) return [{ limit: requestsPerMinute, windowMs: MINUTE }];
  return DOCUMENTED_QUOTAS[api];
}

/** Pure pacing decisions over a list of send times. */
export class RequestPacer {
  private readonly sent: number[] = [];
  private readonly longestMs: number;
  private spacingMs: number;
  private pausedUntil = -Infinity;
  private lastSent = -Infinity;

  constructor(private readonly windows: readonly QuotaWindow[]) {
    for (const w of windows) {
      if (!(Number.isInteger(w.limit) && w.limit >= 1 && w.windowMs > 0))
        throw new RangeError(`quota window must allow ≥ 1 request in a positive time, not ${JSON.stringify(w)}`);
    }
    this.longestMs = Math.max(0, ...windows.map((w) => w.windowMs + QUOTA_MARGIN_MS));
    // Smooth, not bursty: the shortest window's share per request, so the requests of one window never bunch up.
    const shortest = [...windows].sort((a, b) => a.windowMs - b.windowMs)[0];
    this.spacingMs = shortest === undefined ? 0 : (shortest.windowMs + QUOTA_MARGIN_MS) / shortest.limit;
  }

  /** True when there is no quota at all: nothing is ever held back. */
  get unlimited(): boolean {
    return this.windows.length === 0;
  }

  /** Requests a second this pacer lets through at most in the long run of its shortest window; undefined if none. */
  get requestsPerSecond(): number | undefined {
    return this.spacingMs === 0 ? undefined : 1000 / this.spacingMs;
  }

  /** How long a request must wait before it may be sent at `now` (0: now). */
  delayMs(now: number): number {
    let until = Math.max(this.pausedUntil, this.lastSent + this.spacingMs);
    for (const w of this.windows) {
      const span = w.windowMs + QUOTA_MARGIN_MS;
      const inWindow = this.sent.filter((t) => t > now - span);
      if (inWindow.length >= w.limit) until = Math.max(until, inWindow[inWindow.length - w.limit]! + span);
    }
    return Math.max(0, until - now);
  }

  /** Records a request sent at `now`. */
  record(now: number): void {
    this.lastSent = now;
    if (this.windows.length === 0) return;
    this.sent.push(now);
    while (this.sent.length > 0 && this.sent[0]! <= now - this.longestMs) this.sent.shift();
  }

  /** A 429 arrived at `now` asking to wait `waitMs`: nothing is sent before then, and the pace slows for good. */
  throttled(now: number, waitMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.max(0, waitMs));
    if (this.spacingMs > 0) this.spacingMs *= THROTTLE_SLOWDOWN;
  }
}

/** What the HTTP adapter calls around each attempt of a request to a quota'd API. */
export interface RequestGate {
  /** Resolves when the next attempt may be sent (rejects when `signal` aborts). */
  acquire(signal?: AbortSignal): Promise<void>;
  /** The API answered 429 and asked to wait `waitMs` (the adapter's own wait, Retry-After or backoff). */
  throttled(waitMs: number): void;
  /** Attempts waiting for their turn right now: the pool grows while this stays at 0. */
  readonly waiting: number;
  /** Total 429s seen (for the run's summary line). */
  readonly throttles: number;
}

/** A RequestGate over a RequestPacer and a Clock. */
export class PacedGate implements RequestGate {
  private waiters = 0;
  private throttleCount = 0;

  constructor(
    private readonly pacer: RequestPacer,
    private readonly clock: Clock,
  ) {}

  get waiting(): number {
    return this.waiters;
  }

  get throttles(): number {
    return this.throttleCount;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    this.waiters++;
    try {
      for (;;) {
        const now = this.clock.nowMs();
        const delay = this.pacer.delayMs(now);
        if (delay <= 0) {
          this.pacer.record(now);
          return;
        }
        await this.clock.sleep(delay, signal);
      }
    } finally {
      this.waiters--;
    }
  }

  throttled(waitMs: number): void {
    this.throttleCount++;
    this.pacer.throttled(this.clock.nowMs(), waitMs);
  }
}
