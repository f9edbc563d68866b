/**
 * What the three sources share: their options, reading one page with bounded retries of a body that breaks off, the
 * stop signal, the nextLink checks and the page cap.
 */
import { AddonError, ApiError, AuthError, ConfigError, StoppedError } from '../../errors.js';
import type { HttpClient, HttpResponse, Logger, RawAlert } from '../../ports.js';
import type { AlertKeyFields } from '../alert-key-reader.js';
import { readJsonArray, type JsonBodyShape } from '../json-array-stream.js';
import { errorCodeOf } from '../../toolkit/error-info.js';

/** What every alerts source is built from. */
export interface SourceOptions {
  http: HttpClient;
  /** Absolute URL of the alerts collection (Endpoints.alertsUrl). */
  alertsUrl: string;
  /** Extra OData `$filter` clause, ANDed with the time clause (graph, mde). */
  filter?: string;
  /** `$top`; defaults to the API's maximum (graph 1000, mde 10000) and is clamped to it. */
  pageSize?: number;
  log: Logger;
}

/** How many times one page is requested when its body breaks off (reset, truncated) before giving up. */
export const PAGE_ATTEMPTS = 3;

/** One page request. */
export interface PageRequest {
  url: string;
  headers?: Record<string, string>;
  shape: JsonBodyShape;
  /** The alert fields the caller keys versions by, read without parsing each alert (alert-key-reader.ts). */
  keyFields: AlertKeyFields;
  /** 1-based page number within the window, for logs. */
  page: number;
}

/** What a page said once read to the end. */
export interface PageResult {
  items: number;
  nextLink?: string;
}

/**
 * Streams the alerts of one page. A body that breaks off in the middle (connection reset, truncated JSON) is requested
 * again, up to PAGE_ATTEMPTS times: alerts already yielded are yielded again, which the caller's de-duplication
 * absorbs. Errors of `send` itself are final: the HttpClient has already retried them.
 */
export async function* readPage(
  http: HttpClient,
  log: Logger,
  request: PageRequest,
  signal: AbortSignal | undefined,
): AsyncGenerator<RawAlert, PageResult> {
  for (let attempt = 1; ; attempt++) {
    throwIfStopped(signal);
    const response = await sendStoppable(http, request, signal);
    const alerts = readJsonArray(response.body, request.shape, { url: request.url, keyFields: request.keyFields });
    let finished = false;
    let items = 0;
    try {
      let next = await alerts.next();
      while (!next.done) {
        items++;
        yield next.value;
        throwIfStopped(signal);
        next = await alerts.next();
      }
      finished = true;
      return { items, ...next.value };
    } catch (error) {
      throwIfStopped(signal);
      if (!isBodyFailureWorthRetrying(error) || attempt >= PAGE_ATTEMPTS) throw asApiError(error, request.url, attempt);
      log.warn('Alerts page broke off mid-body; requesting it again', {
        action: 'page_retry',
        page: request.page,
        attempt,
        alerts_read: items,
        error: errorCodeOf(error),
      });
    } finally {
      if (!finished) {
        // Left early (stop, consumer gone, error): close the body so the socket is not left half-read.
        void alerts.return({}).catch(() => undefined);
        response.discard();
      }
    }
  }
}

/** Throws StoppedError when the run was asked to stop. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  if (signal.reason instanceof StoppedError) throw signal.reason;
  throw new StoppedError('the run was asked to stop while reading alerts');
}

/**
 * Accepts a nextLink only if it stays on the alerts API's own origin and was not seen before in this window: the
 * HttpClient sends our bearer token to whatever URL it is given, and a link that comes back is a paging loop.
 */
export function checkNextLink(nextLink: string, alertsUrl: string, seen: Set<string>): string {
  let url: URL;
  try {
    url = new URL(nextLink, alertsUrl);
  } catch {
    throw new ApiError(
      'api_invalid_next_link',
      `The API returned an @odata.nextLink that is not a URL: ${nextLink.slice(0, 200)}`,
      { url: alertsUrl },
    );
  }
  const expected = new URL(alertsUrl);
  if (url.origin !== expected.origin) {
    throw new ApiError(
      'api_invalid_next_link',
      `The API returned an @odata.nextLink to ${url.origin}, not to ${expected.origin}; the add-on does not follow ` +
        'it so that its token is never sent elsewhere. Check api_url and any proxy that rewrites responses.',
      { url: alertsUrl },
    );
  }
  const absolute = url.href;
  if (seen.has(absolute)) {
    throw new ApiError(
      'api_paging_loop',
      'The API returned an @odata.nextLink it had already returned in this time window (a paging loop); stopped ' +
        'reading this window. The next run tries again.',
      { url: absolute },
    );
  }
  seen.add(absolute);
  return absolute;
}

/** Validates a constructor option that must be a whole number ≥ 1. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number ≥ 1, not ${value}`);
  }
  return value;
}

async function sendStoppable(
  http: HttpClient,
  request: PageRequest,
  signal: AbortSignal | undefined,
): Promise<HttpResponse> {
  try {
    return await http.send({ url: request.url, method: 'GET', headers: request.headers, idempotent: true, signal });
  } catch (error) {
    throwIfStopped(signal);
    throw error;
  }
}

/** Failures of the body stream (reset, timeout, truncated JSON) are worth another request; a malformed body is not. */
function isBodyFailureWorthRetrying(error: unknown): boolean {
  if (error instanceof StoppedError || error instanceof AuthError || error instanceof ConfigError) return false;
  if (error instanceof ApiError) return error.code !== 'api_invalid_body';
  return true;
}

/** A body failure that outlived its retries becomes one error that says what to do; anything else passes through. */
function asApiError(error: unknown, url: string, attempts: number): unknown {
  if (!isBodyFailureWorthRetrying(error)) return error;
  // The network error's own message is left out: proxies put credentials in theirs. Its code says enough.
  const last =
    error instanceof AddonError && error.cause !== undefined
      ? `${error.code}, ${errorCodeOf(error.cause)}`
      : errorCodeOf(error);
  return new ApiError(
    'api_body_interrupted',
    `The alerts response broke off or stalled mid-body ${attempts} times in a row (last: ${last}); the next run ` +
      'reads this window again, nothing is lost. If this persists, check the network path to the API (proxy, ' +
      'firewall idle timeouts) and request_timeout_s.',
    { url, cause: error },
  );
}
