/**
 * When to resend an HTTP request, and after how long. Pure: the adapter describes what happened, this file decides.
 *
 * Rules (https://learn.microsoft.com/graph/throttling-limits,
 * https://learn.microsoft.com/defender-endpoint/api/common-errors):
 * - 429: wait exactly what `Retry-After` says (seconds or HTTP-date; MDE/XDR bodies may say "in N seconds" instead).
 *   A wait longer than `maxRetryAfterMs` is not waited out: Microsoft answers 429 again to anyone who comes back sooner
 *   (Graph's throttling guidance says so), so sleeping a capped amount would only spend quota. The request fails as
 * throttled and the
 *   next scheduled run tries again. Without any hint: exponential backoff with jitter.
 * - 408, 5xx (but 501/505, which will not change), connection resets and timeouts: bounded exponential backoff with
 *   jitter; a 503 with `Retry-After` waits as told.
 * - Any other 4xx: never (the request itself is wrong, or access is missing).
 * - Non-idempotent requests (POST): only 429 and connection failures that happened before a byte was sent, because
 *   anything else might have been applied by the server already.
 * - Every decision respects a total time budget per request.
 */

/** Tunables; tests shrink them to milliseconds. */
export interface RetryLimits {
  /** Resends after 5xx, 408, resets and timeouts. */
  maxRetries: number;
  /** Resends after 429. Counted apart from `maxRetries`: throttling is the API working as designed. */
  maxThrottleRetries: number;
  /** First backoff step; doubles each retry. */
  baseDelayMs: number;
  /** Ceiling of one backoff step. */
  maxDelayMs: number;
  /** Longest `Retry-After` we are willing to sleep through inside one run. */
  maxRetryAfterMs: number;
  /** Total wall time for one request, all attempts and waits included. */
  budgetMs: number;
}

/** Production defaults: 4 retries from 1 s up to 30 s, 429 waits up to 2 min, 5 min per request overall. */
export const DEFAULT_RETRY_LIMITS: Readonly<RetryLimits> = Object.freeze({
  maxRetries: 4,
  maxThrottleRetries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  budgetMs: 300_000,
});

/** What went wrong with one attempt. */
export type AttemptFailure =
  | {
      kind: 'status';
      status: number;
      /** Response headers, lower-case names (node's shape). */
      headers: Record<string, string | string[] | undefined>;
      /** Microsoft's error message, when read; used only for an "in N seconds" hint. */
      message?: string;
    }
  | {
      kind: 'network' | 'timeout';
      /** e.g. ECONNRESET, ETIMEDOUT, ECONNREFUSED. */
      code: string;
      /** False when the failure certainly happened before any of the request was written (DNS, connect, TLS, proxy). */
      sent: boolean;
    };

/** Everything the decision depends on. */
export interface RetryInput {
  failure: AttemptFailure;
  /** Safe to resend once the server may have seen it. */
  idempotent: boolean;
  /** Retries already made for this request after 429s and after other failures. */
  throttleRetries: number;
  otherRetries: number;
  /** Time since the first attempt started. */
  elapsedMs: number;
  /** Wall-clock now, for `Retry-After` HTTP-dates. */
  nowMs: number;
  limits: RetryLimits;
  /** A number in [0, 1); Math.random in production, fixed in tests. */
  random: number;
}

/** Why a request is resent (feeds the WARN line) or why it is not. */
export type RetryReason = 'throttled' | 'server_error' | 'network' | 'timeout';

export type RetryDecision =
  | {
      retry: true;
      waitMs: number;
      reason: RetryReason;
      /** The wait came from the server, not our backoff. */ serverSaid: boolean;
    }
  | {
      retry: false;
      /**
       * `not_retryable`: the status never gets better. `limit`/`budget`: we tried enough. `too_long`: Retry-After too
       * far.
       */
      why: 'not_retryable' | 'not_idempotent' | 'limit' | 'budget' | 'too_long';
      /** The server's requested wait when it was the reason to stop. */
      retryAfterMs?: number;
    };

/** Decides whether to resend a failed request and how long to wait first. */
export function decideRetry(input: RetryInput): RetryDecision {
  const { failure, limits } = input;
  if (failure.kind === 'status' && failure.status === 429) {
    const hinted = readRetryAfterMs(failure.headers, input.nowMs) ?? readRetryHintFromMessage(failure.message);
    if (input.throttleRetries >= limits.maxThrottleRetries) return { retry: false, why: 'limit', retryAfterMs: hinted };
    if (hinted !== undefined && hinted > limits.maxRetryAfterMs)
      return { retry: false, why: 'too_long', retryAfterMs: hinted };
    const waitMs = hinted ?? computeBackoffMs(input.throttleRetries, limits, input.random);
    return withinBudget(input, waitMs, { retry: true, waitMs, reason: 'throttled', serverSaid: hinted !== undefined });
  }

  const reason = classifyRetryable(failure);
  if (reason === undefined) return { retry: false, why: 'not_retryable' };
  const sentAlready = failure.kind === 'status' || failure.sent;
  if (!input.idempotent && sentAlready) return { retry: false, why: 'not_idempotent' };
  if (input.otherRetries >= limits.maxRetries) return { retry: false, why: 'limit' };

  const hinted = failure.kind === 'status' ? readRetryAfterMs(failure.headers, input.nowMs) : undefined;
  if (hinted !== undefined && hinted > limits.maxRetryAfterMs)
    return { retry: false, why: 'too_long', retryAfterMs: hinted };
  const waitMs = hinted ?? computeBackoffMs(input.otherRetries, limits, input.random);
  return withinBudget(input, waitMs, { retry: true, waitMs, reason, serverSaid: hinted !== undefined });
}

function withinBudget(input: RetryInput, waitMs: number, decision: RetryDecision): RetryDecision {
  // The resent attempt needs time too; a wait that ends exactly at the deadline would only produce a timeout.
  return input.elapsedMs + waitMs >= input.limits.budgetMs ? { retry: false, why: 'budget' } : decision;
}

function classifyRetryable(failure: AttemptFailure): RetryReason | undefined {
  if (failure.kind !== 'status') return failure.kind;
  if (failure.status === 408) return 'timeout';
  if (failure.status >= 500 && failure.status !== 501 && failure.status !== 505) return 'server_error';
  return undefined;
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random. The fixed half keeps a floor under the
 * wait (so a retry storm cannot collapse to zero), the random half spreads inputs that share an app registration.
 */
export function computeBackoffMs(
  retriesSoFar: number,
  limits: Pick<RetryLimits, 'baseDelayMs' | 'maxDelayMs'>,
  random: number,
): number {
  const step = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.min(retriesSoFar, 30));
  return Math.round(step / 2 + (step / 2) * Math.min(Math.max(random, 0), 1));
}

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns undefined when absent or unreadable,
 * so the caller falls back to backoff instead of trusting garbage. A date in the past means "now" (0).
 */
export function readRetryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  const raw = headers['retry-after'];
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the date form is allowed besides digits; Date.parse alone would accept "1.5" or "-3" as dates.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** XDR/MDE throttle bodies sometimes carry the wait only in prose: "... try again in 37 seconds". */
export function readRetryHintFromMessage(message: string | undefined): number | undefined {
  const match = message?.match(/\bin (\d{1,5}) seconds?\b/i);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
}
