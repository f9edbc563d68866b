/**
 * A latency model per api: each reply waits a time to first byte before its status line, then its body is paced to a
 * bandwidth cap. Microsoft's list APIs answer a page in seconds, not the microseconds of a local server, and a
 * collector that reads one page at a time is bound by that wait; the benchmarks and the concurrency tests need it.
 *
 * The pacing is pure arithmetic over a clock (`BodyPacer`), so tests check it with a fake clock; the emulator sleeps
 * for what it says.
 */

/** The apis the model is set per: the three alert APIs and Graph incidents (which share Graph's listener). */
export type LatencyApi = 'graph' | 'mde' | 'siem' | 'incidents';
export const LATENCY_APIS: readonly LatencyApi[] = ['graph', 'mde', 'siem', 'incidents'];

/** One api's latency: both parts optional, absent means instant and unbounded. */
export interface Latency {
  /** Time from the request's arrival to the response's status line, ms. */
  ttfbMs?: number;
  /** Body bytes per second, at most (per response). */
  bytesPerSecond?: number;
}

export type LatencyModel = Partial<Record<LatencyApi, Latency>>;

/** Which api's latency a request on a service gets (Graph incidents share the Graph listener). */
export function latencyApiOf(service: string, path: string): LatencyApi | undefined {
  if (service === 'graph') return /\/security\/incidents/i.test(path) ? 'incidents' : 'graph';
  if (service === 'mde' || service === 'siem') return service;
  return undefined;
}

/** Checks a model read from options or the command line; throws naming the field. */
export function checkLatency(model: LatencyModel): LatencyModel {
  for (const [api, latency] of Object.entries(model)) {
    if (!LATENCY_APIS.includes(api as LatencyApi)) throw new Error(`latency: unknown api '${api}'`);
    const { ttfbMs, bytesPerSecond } = latency ?? {};
    if (ttfbMs !== undefined && !(Number.isFinite(ttfbMs) && ttfbMs >= 0))
      throw new Error(`latency.${api}.ttfbMs must be a number ≥ 0, not ${ttfbMs}`);
    if (bytesPerSecond !== undefined && !(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0))
      throw new Error(`latency.${api}.bytesPerSecond must be a number > 0, not ${bytesPerSecond}`);
  }
  return model;
}

/**
 * Reads the command line form `api:ttfb_ms[:bytes_per_second]`, comma-separated, e.g. `graph:1000:20000000,mde:3000`.
 */
export function parseLatency(text: string): LatencyModel {
  const model: LatencyModel = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [api, ttfb, bps, ...rest] = part.trim().split(':');
    if (rest.length > 0 || api === undefined || ttfb === undefined)
      throw new Error(`--latency: '${part}' is not api:ttfb_ms[:bytes_per_second]`);
    model[api as LatencyApi] = {
      ttfbMs: Number(ttfb),
      ...(bps === undefined ? {} : { bytesPerSecond: Number(bps) }),
    };
  }
  return checkLatency(model);
}

/** Paces one response: how long to wait before its first byte, and before each further chunk. */
export class BodyPacer {
  private readonly arrivedMs: number;
  private bodyStartMs: number | undefined;
  private sent = 0;

  constructor(
    private readonly latency: Latency | undefined,
    private readonly now: () => number,
  ) {
    this.arrivedMs = now();
  }

  /** Wait before the status line: what is left of the time to first byte since the request arrived. */
  firstByteDelayMs(): number {
    const ttfb = this.latency?.ttfbMs ?? 0;
    return Math.max(0, this.arrivedMs + ttfb - this.now());
  }

  /**
   * Wait before sending a chunk of `bytes`, so that the body so far, this chunk included, has taken at least its size
   * over the bandwidth cap since the first body byte. Counts the chunk as sent.
   */
  delayBeforeChunkMs(bytes: number): number {
    const bps = this.latency?.bytesPerSecond;
    const now = this.now();
    if (this.bodyStartMs === undefined) this.bodyStartMs = now;
    this.sent += bytes;
    if (bps === undefined) return 0;
    return Math.max(0, this.bodyStartMs + (this.sent / bps) * 1000 - now);
  }
}
