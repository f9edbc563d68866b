/**
 * The HttpClient port on got, in stream mode: a 50 MB response is handed on chunk by chunk, never buffered.
 *
 * got's own retry is off (limit 0) because the decision needs more than got knows: Retry-After caps, idempotency,
 * a time budget and a token refresh on 401 (retry-policy.ts). Every phase has a timeout, since got has none by
 * default: connect (DNS, TCP, TLS), time to response headers (which also catches a stalled proxy CONNECT), and an
 * idle timeout between body chunks that runs only while we are waiting for the network, not while the consumer is
 * busy writing to splunkd.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Got, Headers as GotHeaders } from 'got';
import type { Api } from '../config/types.js';
import { describeForbidden } from '../defender/aadsts.js';
import type { RequestGate } from '../defender/request-quota.js';
import { DEFAULT_RETRY_LIMITS, decideRetry, type AttemptFailure, type RetryLimits } from '../defender/retry-policy.js';
import { AddonError, ApiError, StoppedError, type ApiErrorCode } from '../errors.js';
import type { Clock, HttpClient, HttpRequest, HttpResponse, Logger, TokenProvider } from '../ports.js';
import { systemClock } from '../toolkit/clock.js';
import { errorInfo } from '../toolkit/error-info.js';
import { MASK } from '../toolkit/redact.js';
import { oneLine } from '../toolkit/text.js';
import type { Outbound } from './network/outbound.js';

/** Per-phase time limits, in milliseconds. */
export interface HttpTimeouts {
  /** Each of DNS lookup, TCP connect and TLS handshake. */
  connectMs: number;
  /** From the request being written to the response headers. */
  responseMs: number;
  /** Longest silence between two body chunks while we wait for one. */
  idleMs: number;
}

/**
 * Production defaults: Graph can take tens of seconds to compose a 1000-alert page, so the response wait is generous.
 */
export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  connectMs: 10_000,
  responseMs: 60_000,
  idleMs: 60_000,
});

/** Options of {@link createGotHttpClient}. */
export interface GotHttpClientOptions {
  /** Adds `Authorization: Bearer`; omit for unauthenticated calls. */
  tokenProvider?: TokenProvider;
  /** The route shared with the token provider (same proxy, same sockets). */
  outbound: Outbound;
  /** Per-phase limits, or one number for the response and idle waits (connect keeps its shorter default if lower). */
  timeoutMs?: number | Partial<HttpTimeouts>;
  retry?: Partial<RetryLimits>;
  /** Which API this client talks to, to name the right permission in a 403 (`/api/alerts` is both MDE and SIEM). */
  api?: Api;
  log: Logger;
  clock?: Clock;
  /**
   * Paces every attempt to the API's quota and hears of each 429 (defender/request-quota.ts); absent, requests go as
   * soon as they are made.
   */
  gate?: RequestGate;
  /** Jitter source; tests pin it. */
  random?: () => number;
}

/** Bytes of an error body we read to find Microsoft's message; error bodies are small, a hostile one is cut here. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_MESSAGE_CHARS = 300;

/** TLS verification failures: retrying cannot help, and the admin needs to hear about CAs, not about the network. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);
/** Failures that happen before a byte of the request leaves, so even a POST may be resent. */
const PRE_SEND_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPROXY']);
const PRE_SEND_TIMEOUT_EVENTS = new Set(['lookup', 'connect', 'secureConnect', 'headers-before-socket']);

/** Creates the API client used by sources and alert actions. */
export function createGotHttpClient(options: GotHttpClientOptions): HttpClient {
  const timeouts = resolveTimeouts(options.timeoutMs);
  const limits: RetryLimits = { ...DEFAULT_RETRY_LIMITS, ...options.retry };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { log, tokenProvider, outbound, gate } = options;

  const client: Got = outbound.got.extend({
    timeout: {
      lookup: timeouts.connectMs,
      connect: timeouts.connectMs,
      secureConnect: timeouts.connectMs,
      send: timeouts.connectMs,
      response: timeouts.responseMs,
    },
    decompress: true,
  });

  async function send(request: HttpRequest): Promise<HttpResponse> {
    const method = request.method ?? 'GET';
    const idempotent = request.idempotent ?? method === 'GET';
    const where = describeUrl(request.url);
    const started = clock.nowMs();
    let throttleRetries = 0;
    let otherRetries = 0;
    let refreshedAfter401 = false;
    let forceRefresh = false;

    for (let attempt = 1; ; attempt++) {
      throwIfAborted(request.signal);
      const token = tokenProvider ? await tokenProvider.getToken({ forceRefresh, signal: request.signal }) : undefined;
      forceRefresh = false;
      const redact = (text: string) => outbound.redact(token ? text.split(token).join(MASK) : text);

      if (gate) {
        await gate.acquire(request.signal).catch(() => {
          throw new StoppedError('the request was cancelled');
        });
      }
      const outcome = await attemptOnce(request, method, token);
      if (outcome.ok) {
        const warning = outcome.response.headers['warning'];
        if (outcome.response.status === 206) {
          // Federated Graph APIs answer 206 when one provider failed; the rest is still good data
          // (https://learn.microsoft.com/graph/errors).
          log.warn('partial content from the API', {
            status: 206,
            url: where,
            warning: oneLine(String(warning ?? ''), 200),
          });
        }
        return outcome.response;
      }

      const { failure, details } = outcome;
      if (request.signal?.aborted) throw new StoppedError('the request was cancelled');
      if (failure.kind === 'status' && failure.status === 401 && tokenProvider && !refreshedAfter401) {
        // The token may have been revoked or rotated before its expiry: get a new one once, then believe the 401.
        refreshedAfter401 = true;
        forceRefresh = true;
        log.warn('token refused by the API, getting a new one', { status: 401, attempt, url: where });
        continue;
      }
      if (details.fatal) throw buildError(failure, details, method, where, redact, request.url);

      const decision = decideRetry({
        failure,
        idempotent,
        throttleRetries,
        otherRetries,
        elapsedMs: clock.nowMs() - started,
        nowMs: clock.nowMs(),
        limits,
        random: random(),
      });
      if (failure.kind === 'status' && failure.status === 429) {
        gate?.throttled(decision.retry ? decision.waitMs : (decision.retryAfterMs ?? 0));
      }
      if (!decision.retry) {
        throw buildError(
          failure,
          details,
          method,
          where,
          redact,
          request.url,
          decision.why,
          decision.retryAfterMs,
          attempt,
        );
      }
      if (decision.reason === 'throttled') {
        throttleRetries++;
        log.warn('throttled by the API, waiting as asked', {
          action: 'throttled',
          status: 429,
          attempt,
          wait_s: Number((decision.waitMs / 1000).toFixed(3)),
          wait_ms: decision.waitMs,
          retry_after: decision.serverSaid,
          url: where,
          request_id: details.requestId,
        });
      } else {
        otherRetries++;
        log.warn('request failed, retrying', {
          action: 'retry',
          status: failure.kind === 'status' ? failure.status : failure.code,
          attempt,
          wait_ms: decision.waitMs,
          reason: decision.reason,
          url: where,
          request_id: details.requestId,
        });
      }
      await clock.sleep(decision.waitMs, request.signal).catch(() => {
        throw new StoppedError('the request was cancelled');
      });
    }
  }

  type Outcome = { ok: true; response: HttpResponse } | { ok: false; failure: AttemptFailure; details: FailureDetails };

  async function attemptOnce(
    request: HttpRequest,
    method: NonNullable<HttpRequest['method']>,
    token: string | undefined,
  ): Promise<Outcome> {
    const clientRequestId = randomUUID();
    const headers: GotHeaders = {
      accept: 'application/json',
      ...lowerCaseKeys(request.headers ?? {}),
      'client-request-id': clientRequestId,
      'return-client-request-id': 'true',
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const stream = client.stream(request.url, {
      method,
      headers,
      ...(request.json !== undefined ? { json: request.json } : {}),
      signal: request.signal,
    });
    // Headers or the first error settle the attempt; an error after the headers surfaces from the body iteration.
    const settled = await waitForResponse(stream, timeouts.connectMs * 3 + timeouts.responseMs);
    if ('error' in settled) {
      stream.destroy();
      return { ok: false, ...classifyTransportError(settled.error, clientRequestId, outbound) };
    }
    const res = settled.response;
    const status = res.statusCode;
    const resHeaders = res.headers as Record<string, string | string[] | undefined>;
    if (status >= 200 && status < 300) {
      return {
        ok: true,
        response: {
          status,
          headers: resHeaders,
          body: readBody(stream, timeouts.idleMs, outbound, describeUrl(request.url)),
          discard: () => stream.destroy(),
        },
      };
    }
    const text = await readBounded(stream, timeouts.idleMs).catch(() => '');
    stream.destroy();
    const parsed = parseMicrosoftError(text);
    const requestId =
      firstHeader(resHeaders['request-id']) ??
      parsed.requestId ??
      firstHeader(resHeaders['client-request-id']) ??
      clientRequestId;
    return {
      ok: false,
      failure: { kind: 'status', status, headers: resHeaders, message: parsed.message },
      details: { requestId, msCode: parsed.code, message: parsed.message ?? (text ? oneLine(text, 120) : undefined) },
    };
  }

  function buildError(
    failure: AttemptFailure,
    details: FailureDetails,
    method: string,
    where: string,
    redact: (t: string) => string,
    url: string,
    why?: string,
    retryAfterMs?: number,
    attempts?: number,
  ): ApiError {
    const safeUrl = where;
    const ms = details.message ? `: ${oneLine(redact(details.message), MAX_MESSAGE_CHARS)}` : '';
    const tries = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';
    if (failure.kind !== 'status') {
      const code =
        failure.kind === 'timeout'
          ? 'api_timeout'
          : details.fatal === 'tls'
            ? 'api_tls'
            : details.fatal === 'proxy'
              ? 'proxy_refused'
              : 'api_network';
      const text = details.advice
        ? details.advice
        : failure.kind === 'timeout'
          ? `${method} ${safeUrl} timed out (${details.phase ?? 'waiting for the response'})${tries}. Check the network path and proxy_url; the next run will try again.`
          : `${method} ${safeUrl} failed${tries}: ${failure.code}${ms}. Check DNS, the firewall and proxy_url.`;
      return new ApiError(code, redact(text) + (details.advice ? '' : ` (client-request-id ${details.requestId})`), {
        url: safeUrl,
        requestId: details.requestId,
      });
    }
    const status = failure.status;
    const msCode = details.msCode && details.msCode !== String(status) ? ` ${details.msCode}` : '';
    const head = `${method} ${safeUrl} answered HTTP ${status}${msCode}${tries} (request-id ${details.requestId})${ms}`;
    let code: ApiErrorCode;
    let advice = '';
    if (status === 400) {
      code = 'api_bad_request';
    } else if (status === 401) {
      code = 'api_unauthorized';
      advice =
        ' The API refused a fresh token too: check that the region matches the tenant and that the app registration is for this API.';
    } else if (status === 403) {
      code = 'api_forbidden';
      advice = ` ${describeForbidden({ url, method, api: options.api })}`;
    } else if (status === 404) {
      code = 'api_not_found';
    } else if (status === 429) {
      code = 'api_throttled';
      advice =
        why === 'too_long' && retryAfterMs !== undefined
          ? ` Microsoft asked to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than this run waits (${Math.round(limits.maxRetryAfterMs / 1000)} s); the next run will continue. Inputs and actions sharing this app registration share its quota.`
          : ' Still throttled after retrying; the next run will continue. Inputs and actions sharing this app registration share its quota.';
    } else if (status === 408) {
      code = 'api_timeout';
    } else if (status >= 500) {
      code = 'api_server_error';
      advice = ' The service is having trouble; the next run will try again.';
    } else {
      code = 'api_http_error';
    }
    return new ApiError(code, oneLine(redact(head + (ms && !ms.endsWith('.') ? '.' : '') + advice), 1000), {
      status,
      requestId: details.requestId,
      url: safeUrl,
    });
  }

  return { send };
}

/** One number sets the waits for the server; connecting never needs longer than its own default. */
export function resolveTimeouts(value: number | Partial<HttpTimeouts> | undefined): HttpTimeouts {
  if (typeof value === 'number') {
    return { connectMs: Math.min(value, DEFAULT_HTTP_TIMEOUTS.connectMs), responseMs: value, idleMs: value };
  }
  return { ...DEFAULT_HTTP_TIMEOUTS, ...value };
}

/** What we learnt about a failure besides the retry-relevant part. */
interface FailureDetails {
  requestId: string;
  msCode?: string;
  message?: string;
  /** Not worth retrying whatever the policy says: TLS trust or a proxy that refuses us. */
  fatal?: 'tls' | 'proxy';
  advice?: string;
  phase?: string;
}

function classifyTransportError(
  error: unknown,
  requestId: string,
  outbound: Outbound,
): { failure: AttemptFailure; details: FailureDetails } {
  const err = errorInfo(error);
  const code = err.code ?? 'ERR_UNKNOWN';
  const message = err.message;
  const proxyAdvice = outbound.explainRefusal(message);
  if (proxyAdvice) {
    return {
      failure: { kind: 'network', code: 'EPROXY', sent: false },
      details: { requestId, fatal: 'proxy', advice: proxyAdvice },
    };
  }
  if (TLS_CODES.has(code)) {
    return {
      failure: { kind: 'network', code, sent: false },
      details: {
        requestId,
        fatal: 'tls',
        advice: `TLS verification failed (${code}): ${oneLine(message, 200)}. If a proxy inspects TLS, give its CA to node (NODE_EXTRA_CA_CERTS).`,
      },
    };
  }
  if (err.name === 'TimeoutError' || code === 'ETIMEDOUT') {
    const event = err.event ?? 'response';
    return {
      failure: { kind: 'timeout', code: 'ETIMEDOUT', sent: !PRE_SEND_TIMEOUT_EVENTS.has(event) },
      details: { requestId, phase: describePhase(event) },
    };
  }
  return { failure: { kind: 'network', code, sent: !PRE_SEND_CODES.has(code) }, details: { requestId, message } };
}

function describePhase(event: string): string {
  switch (event) {
    case 'lookup':
      return 'DNS lookup';
    case 'connect':
      return 'connecting';
    case 'secureConnect':
      return 'TLS handshake';
    case 'send':
      return 'sending the request';
    case 'headers-before-socket':
      return 'connecting (or the proxy did not answer)';
    default:
      return 'waiting for the response headers';
  }
}

type Settled = { response: { statusCode: number; headers: Record<string, unknown> } } | { error: unknown };

/** Resolves on the response headers or the first error, whichever comes first; a stall past `limitMs` is a timeout. */
function waitForResponse(stream: ReturnType<Got['stream']>, limitMs: number): Promise<Settled> {
  return new Promise((resolve) => {
    let gotSocket = false;
    const onSocket = () => {
      gotSocket = true;
    };
    const timer = setTimeout(() => {
      finish({
        error: Object.assign(new Error('no response headers in time'), {
          name: 'TimeoutError',
          code: 'ETIMEDOUT',
          event: gotSocket ? 'response' : 'headers-before-socket',
        }),
      });
    }, limitMs);
    const finish = (s: Settled) => {
      clearTimeout(timer);
      stream.off('response', onResponse);
      stream.off('error', onError);
      stream.off('request', onRequest);
      resolve(s);
    };
    const onResponse = (response: { statusCode: number; headers: Record<string, unknown> }) => finish({ response });
    const onError = (error: unknown) => finish({ error });
    const onRequest = (req: { once(e: 'socket', l: () => void): void }) => req.once('socket', onSocket);
    stream.once('response', onResponse);
    stream.once('error', onError);
    stream.once('request', onRequest);
    // Swallow late errors once we have stopped listening (e.g. after destroy); the body reader reports its own.
    stream.on('error', () => {});
  });
}

/** The 2xx body as an async iterable, with the idle timeout and errors mapped to ApiError. */
async function* readBody(
  stream: Readable,
  idleMs: number,
  outbound: Outbound | undefined,
  where?: string,
): AsyncGenerator<Buffer> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ApiError(
                'api_timeout',
                `The response body of ${where ?? 'a request'} stalled for more than ${idleMs / 1000} s.`,
                { url: where },
              ),
            ),
          idleMs,
        );
      });
      try {
        const next = await Promise.race([iterator.next(), idle]);
        if (next.done) return;
        yield next.value;
      } finally {
        clearTimeout(timer);
      }
    }
  } catch (error) {
    if (error instanceof AddonError) throw error;
    const e = errorInfo(error);
    const text = `The connection broke while reading the response body of ${where ?? 'a request'} (${e.code ?? 'error'}: ${oneLine(e.message, 150)}).`;
    throw new ApiError('api_network', outbound ? outbound.redact(text) : text, { url: where, cause: error });
  } finally {
    stream.destroy();
  }
}

/** Reads at most MAX_ERROR_BODY_BYTES of an error body as text. */
async function readBounded(stream: Readable, idleMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of readBody(stream, idleMs, undefined)) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ERROR_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
}

/**
 * Microsoft's error bodies: Graph `{"error":{"code","message","innerError":{"request-id"}}}`, MDE/XDR
 * `{"error":{"code","message","target"}}` where `target` is the per-request correlation id
 * (https://learn.microsoft.com/graph/errors, https://learn.microsoft.com/defender-endpoint/api/common-errors).
 */
function parseMicrosoftError(text: string): { code?: string; message?: string; requestId?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return {};
  const e = error as {
    code?: unknown;
    message?: unknown;
    target?: unknown;
    innerError?: unknown;
    innererror?: unknown;
  };
  const inner = (e.innerError ?? e.innererror) as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  return {
    code: str(e.code),
    message: str(e.message),
    requestId: str(inner?.['request-id']) ?? str(e.target),
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'authorization') out[k.toLowerCase()] = v;
  return out;
}

/** Origin and path, without the query: enough to find the call, and OData filters make queries long. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StoppedError('the request was cancelled');
}
