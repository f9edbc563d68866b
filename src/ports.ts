/**
 * The seams of the add-on: one narrow interface per external system. Adapters in src/adapters implement them with
 * real libraries; tests use the same adapters against the emulator, or small fakes that implement these interfaces.
 */
import type { ApiTime } from './defender/api-time.js';

/** Values of the trailing `key=value` pairs of a log line. */
export type LogFields = Record<string, string | number | bigint | boolean | null | undefined>;

/** stderr logger: one line per message, `LEVEL message key=value …` (splunkd maps the level word). */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that masks the secrets registered with it (modinput/logger.ts): the composition registers each it learns. */
export type RedactingLogger = Logger & { redact(secret: string): void };

/** An access token for one (authority, client, scope). */
export interface TokenProvider {
  /** Returns a bearer token; `forceRefresh` skips the cache (after a 401 from the API). Rejects with AuthError. */
  getToken(options?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<string>;
}

export interface HttpRequest {
  /** Absolute https URL. */
  url: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** JSON request body. */
  json?: unknown;
  /** Safe to resend after a 5xx, reset or timeout (GET, PATCH with the same body). Default: GET only. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives. Consume it to the end, or call `discard()`. */
  body: AsyncIterable<Buffer>;
  discard(): void;
}

/**
 * An authenticated API client: adds the bearer token, User-Agent, timeouts, proxy; retries 5xx/reset/timeout with
 * bounded backoff and waits on 429 as Retry-After says, all before the body starts. Resolves with a 2xx response;
 * rejects with ApiError (or AuthError) otherwise. Failures in the middle of a body surface from `body` iteration.
 */
export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/**
 * One alert as served: its exact JSON bytes (one line: only whitespace between tokens is ever removed), and the
 * values of the two fields that key its versions (the API's id and last-update-time fields, named in alert-version.ts)
 * as JSON.parse reads them. They are strings unless the API broke its own schema (undefined when absent): versionOf
 * judges them.
 */
export interface RawAlert {
  /** The alert's UTF-8 bytes as served (a view of the received chunk when it arrived in one). */
  readonly json: Buffer;
  readonly id: unknown;
  readonly time: unknown;
}

/** A half-open range of last-update times `[from, to)`; `to` undefined means "up to now". */
export interface TimeWindow {
  readonly from: ApiTime;
  readonly to?: ApiTime;
}

export interface PageInfo {
  /** 1-based page number within the window. */
  page: number;
  items: number;
}

/** Reads every alert whose last-update time is in the window, following the API's own paging. Order is not assumed. */
export interface AlertsSource {
  alerts(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void },
  ): AsyncIterable<RawAlert>;
}

/**
 * api incidents: one incident as served. `json` and `value` are the incident without its `alerts` member (every
 * other member kept as served); `alerts` are the alerts it held, each as served inside it.
 */
export interface RawIncident extends RawAlert {
  readonly alerts: readonly RawAlert[];
}

/** Reads every incident whose last-update time is in the window, with its alerts, following the API's own paging. */
export interface IncidentsSource {
  incidents(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void },
  ): AsyncIterable<RawIncident>;
}

/** Persists one opaque JSON document per key (stanza). */
export interface CheckpointStore {
  /**
   * undefined when there is no checkpoint yet (first run). Rejects with CheckpointError if it cannot be read or
   * parsed.
   */
  load(key: string): Promise<unknown>;
  /** Atomic: after a crash at any instant the old or the new document is there, never a broken one. */
  save(key: string, value: unknown): Promise<void>;
}

/** splunkd REST, with the session key from the input XML or alert payload. */
export interface SplunkdClient {
  /** The clear secret stored under (realm, user), or undefined. */
  getSecret(realm: string, user: string): Promise<string | undefined>;
  /** Creates or updates the secret. */
  putSecret(realm: string, user: string, secret: string): Promise<void>;
  /** Deletes the secret; false when there was none. */
  deleteSecret(realm: string, user: string): Promise<boolean>;
  /** Replaces one parameter of a modular input stanza (e.g. client_secret → mask) through data/inputs. */
  updateInput(scheme: string, name: string, app: string, params: Record<string, string>): Promise<void>;
  /**
   * The parameters of one modular input stanza (data/inputs/<scheme>/<name>) as strings, or undefined when it does not
   * exist. Alert actions use it to borrow a defender_alerts input's tenant, client, cloud and proxy.
   */
  getInput(scheme: string, name: string): Promise<Record<string, string> | undefined>;
  /**
   * One stanza of one of the add-on's own .conf files (configs/conf-<file>/<stanza>, default/ and local/ merged), as
   * strings, or undefined when it does not exist. Inputs and actions read their account this way.
   */
  getConfStanza(file: string, stanza: string): Promise<Record<string, string> | undefined>;
  /** Writes one event into an index through receivers/simple (alert action outcomes). */
  sendEvent(event: { data: string; sourcetype: string; source?: string; index?: string; host?: string }): Promise<void>;
}

/** One event of the modular input's XML stream. */
export interface SplunkEvent {
  /** Full stanza name, e.g. `defender_alerts://prod`. */
  stanza: string;
  /** Epoch seconds as decimal text, e.g. `1714557600.1234567`. */
  time?: string;
  sourcetype?: string;
  index?: string;
  host?: string;
  source?: string;
  /**
   * One line: text, or UTF-8 bytes (the alert JSON as served, escaped and checked as bytes on the way out). Never
   * empty.
   */
  data: string | Uint8Array;
}

/** Where events go: the XML stream on stdout. */
export interface EventSink {
  /** Queues one event; returns a promise only when the consumer is slow (backpressure): await it before the next. */
  write(event: SplunkEvent): void | Promise<void>;
  /** Resolves once everything written so far has been handed to the OS (stdout write callbacks fired). */
  flush(): Promise<void>;
}

export interface Clock {
  nowMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
