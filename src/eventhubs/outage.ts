/**
 * One ERROR per outage, not one per retry: the first failure opens an outage and is reported; later failures are
 * counted silently; the first success after it closes the outage with its length. Pure (times are passed in).
 */
export interface OutageReport {
  code: string;
  message: string;
}

export class OutageTracker {
  #since: number | undefined;
  #failures = 0;

  /** A failure at `nowMs`: returns what to report when it opens an outage, else undefined. */
  failed(nowMs: number, report: OutageReport): OutageReport | undefined {
    this.#failures++;
    if (this.#since !== undefined) return undefined;
    this.#since = nowMs;
    return report;
  }

  /** A success at `nowMs`: the outage's length in seconds when it closes one, else undefined. */
  succeeded(nowMs: number): { outageSeconds: number; failures: number } | undefined {
    if (this.#since === undefined) return undefined;
    const closed = { outageSeconds: (nowMs - this.#since) / 1000, failures: this.#failures };
    this.#since = undefined;
    this.#failures = 0;
    return closed;
  }

  get inOutage(): boolean {
    return this.#since !== undefined;
  }
}
