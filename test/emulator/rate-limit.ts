/**
 * Per-(client, tenant, endpoint family) request quotas: sliding windows, so a client that waits
 * exactly `Retry-After` seconds gets through and one that comes back sooner gets another 429, as the docs say.
 */

/** Endpoint families that share a quota. */
export type RateFamily =
  | 'graph-alerts'
  | 'graph-incidents'
  | 'mde-alerts'
  | 'mde-batch-update'
  | 'indicators'
  | 'indicators-import'
  | 'indicators-batch-delete'
  | 'siem';

/** At most `limit` requests in any `windowMs`. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/** Per-family windows; `false` turns throttling off (benchmarks). */
export type RateLimits = Partial<Record<RateFamily, RateWindow[]>> | false;

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The documented quotas. The SIEM exporter documents none. */
export const DEFAULT_RATE_LIMITS: Record<RateFamily, RateWindow[]> = {
  'graph-alerts': [{ limit: 150, windowMs: MINUTE }],
  // Not documented for Graph incidents; the alerts figure is assumed (Defender XDR's own incidents API allows 50 a
  // minute and 1,500 an hour).
  'graph-incidents': [{ limit: 150, windowMs: MINUTE }],
  'mde-alerts': [
    { limit: 100, windowMs: MINUTE },
    { limit: 1500, windowMs: HOUR },
  ],
  'mde-batch-update': [
    { limit: 10, windowMs: MINUTE },
    { limit: 500, windowMs: HOUR },
  ],
  indicators: [
    { limit: 100, windowMs: MINUTE },
    { limit: 1500, windowMs: HOUR },
  ],
  'indicators-import': [{ limit: 30, windowMs: MINUTE }],
  'indicators-batch-delete': [
    { limit: 30, windowMs: MINUTE },
    { limit: 1500, windowMs: HOUR },
  ],
  siem: [],
};

/** A refused request: wait this long (whole seconds, ≥ 1), and the window that refused it. */
export interface Throttled {
  retryAfterSeconds: number;
  window: RateWindow;
}

/** Sliding-window limiter keyed by (family, tenant, client). */
export class RateLimiter {
  private readonly log = new Map<string, number[]>();
  private readonly refused = new Map<RateFamily, number>();
  private limits: RateLimits;

  constructor(
    limits: RateLimits | undefined,
    private readonly now: () => number,
  ) {
    this.limits = limits === undefined ? { ...DEFAULT_RATE_LIMITS } : limits;
  }

  /** Replaces the limits of some families (or turns throttling off with `false`), and forgets past requests. */
  configure(limits: RateLimits): void {
    this.limits = limits === false ? false : { ...DEFAULT_RATE_LIMITS, ...limits };
    this.log.clear();
  }

  /** Requests refused with 429 so far, per family (kept across configure(): a bench reads them at the end). */
  refusals(): Partial<Record<RateFamily, number>> {
    return Object.fromEntries(this.refused);
  }

  /** Counts a request, or returns how long to wait if a window is full (a refused request is not counted). */
  take(family: RateFamily, tenantId: string, clientId: string): Throttled | undefined {
    if (this.limits === false) return undefined;
    const windows = this.limits[family] ?? DEFAULT_RATE_LIMITS[family];
    if (windows.length === 0) return undefined;
    const key = `${family}\u0000${tenantId.toLowerCase()}\u0000${clientId.toLowerCase()}`;
    const now = this.now();
    const longest = Math.max(...windows.map((w) => w.windowMs));
    const times = (this.log.get(key) ?? []).filter((t) => t > now - longest);
    for (const w of windows) {
      const inWindow = times.filter((t) => t > now - w.windowMs);
      if (inWindow.length >= w.limit) {
        const oldest = inWindow[inWindow.length - w.limit]!;
        this.refused.set(family, (this.refused.get(family) ?? 0) + 1);
        return { retryAfterSeconds: Math.max(1, Math.ceil((oldest + w.windowMs - now) / 1000)), window: w };
      }
    }
    times.push(now);
    this.log.set(key, times);
    return undefined;
  }
}
