/**
 * Deterministic fault injection: faults are matched in the order they were added, each for `times` requests, so a
 * test states exactly which request fails and how ("the 2nd page gets a 503, then a reset").
 */
import type { Service } from './http-io.js';

/** How a matched request fails. */
export type FaultKind =
  /** Answer with this status and the service's error body (429/503 may carry Retry-After seconds). */
  | { status: number; retryAfter?: number }
  /** Destroy the socket before any response. */
  | 'reset'
  /** Send headers and the first n bytes of the real body, then end the connection. */
  | { truncateAfterBytes: number }
  /** Send a few bytes of the real body, stall n ms, then send the rest. */
  | { slowBodyMs: number }
  /** 200 with an HTML page (a captive portal or proxy error page). */
  | 'html';

/** Which requests a fault hits and how often. */
export interface FaultSpec {
  service: Service;
  /** HTTP method, any case; all methods when absent. */
  method?: string;
  /** Substring of the path (without the query); all paths when absent. */
  pathIncludes?: string;
  /** How many matching requests fail; default 1. */
  times?: number;
  kind: FaultKind;
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

/** The ordered list of pending faults. */
export class FaultPlan {
  private readonly faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`fault times must be a whole number ≥ 1, not ${spec.times}`);
    this.faults.push({ spec, remaining: times });
  }

  /** The fault for this request, counting it down; undefined when none matches. */
  take(service: Service, method: string, path: string): FaultKind | undefined {
    const index = this.faults.findIndex(
      ({ spec }) =>
        spec.service === service &&
        (spec.method === undefined || spec.method.toUpperCase() === method.toUpperCase()) &&
        (spec.pathIncludes === undefined || path.includes(spec.pathIncludes)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(index, 1);
    return fault.spec.kind;
  }

  /** Faults not used up yet (a test can assert its faults were all hit). */
  pending(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f.spec, times: f.remaining }));
  }

  clear(): void {
    this.faults.length = 0;
  }
}
