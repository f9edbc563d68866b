/**
 * One small hierarchy of errors with a stable `code` (got/octokit style). Messages are written for a Splunk admin:
 * they say what is wrong and what to do. No error ever carries a secret, a token or a proxy password.
 *
 * Codes form a closed set, one union per family, so a code is checked where it is made and where it is compared.
 * They are logged as `error=<code>`; README's Troubleshooting lists each with its fix.
 */

/** The configuration (a stanza, the app's settings, an action's parameters) is not usable. */
export type ConfigErrorCode = 'config_invalid';

/** Entra ID refused or could not issue a token. */
export type AuthErrorCode =
  | 'auth_failed'
  | 'auth_unavailable'
  | 'auth_throttled'
  | 'auth_timeout'
  | 'auth_network'
  | 'auth_login_url'
  | 'auth_wrong_cloud'
  | 'auth_bad_scope'
  | 'auth_bad_secret'
  | 'auth_secret_expired'
  | 'auth_no_secret'
  | 'auth_app_not_found'
  | 'auth_app_disabled'
  | 'auth_tenant_not_found'
  | 'auth_tenant_invalid'
  | 'auth_resource_missing'
  | 'auth_conditional_access'
  | 'auth_loop';

/** A Microsoft API call failed for good. */
export type ApiErrorCode =
  | 'api_bad_request'
  | 'api_unauthorized'
  | 'api_forbidden'
  | 'api_not_found'
  | 'api_throttled'
  | 'api_timeout'
  | 'api_server_error'
  | 'api_http_error'
  | 'api_network'
  | 'api_tls'
  | 'api_bad_response'
  | 'api_invalid_body'
  | 'api_truncated_body'
  | 'api_body_interrupted'
  | 'api_invalid_next_link'
  | 'api_paging_loop';

/** The proxy in proxy_url refused the tunnel (its credentials, or its rules): for the API and Entra ID alike. */
export type ProxyErrorCode = 'proxy_refused';

/** The checkpoint cannot be read or written. */
export type CheckpointErrorCode =
  'checkpoint_corrupt' | 'checkpoint_invalid' | 'checkpoint_unreadable' | 'checkpoint_unwritable';

/** splunkd's REST API could not be used. */
export type SplunkdErrorCode =
  | 'splunkd_error'
  | 'splunkd_unreachable'
  | 'splunkd_uri_refused'
  | 'splunkd_unauthorized'
  | 'splunkd_forbidden'
  | 'splunkd_request'
  | 'splunkd_connection';

/** splunkd's side of the modular-input protocol was broken, or we were about to break ours. */
export type ProtocolErrorCode = 'input_malformed' | 'input_timeout' | 'event_invalid';

/** The Event Hubs namespace refused the stream input, could not be reached, or lacks the hub or consumer group. */
export type StreamErrorCode = 'stream_unauthorized' | 'stream_not_found' | 'stream_unreachable' | 'stream_error';

/** How a run ended other than by one of the errors above. */
export type RunErrorCode = 'stopped' | 'page_cap' | 'internal_error';

export type ErrorCode =
  | ConfigErrorCode
  | AuthErrorCode
  | ApiErrorCode
  | ProxyErrorCode
  | CheckpointErrorCode
  | SplunkdErrorCode
  | ProtocolErrorCode
  | StreamErrorCode
  | RunErrorCode;

export class AddonError extends Error {
  /** Stable machine-readable code, logged as `error=<code>`. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad configuration; `problems` lists every problem at once, each naming the field and the fix. */
export class ConfigError extends AddonError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('config_invalid', problems.join(' '));
    this.problems = problems;
  }
}

/** Entra ID refused or could not issue a token. `aadsts` is Microsoft's AADSTS number when known. */
export class AuthError extends AddonError {
  declare readonly code: AuthErrorCode | ProxyErrorCode;
  readonly aadsts: number | undefined;
  readonly retryable: boolean;
  constructor(
    code: AuthErrorCode | ProxyErrorCode,
    message: string,
    options?: { aadsts?: number; retryable?: boolean; cause?: unknown },
  ) {
    super(code, message, options);
    this.aadsts = options?.aadsts;
    this.retryable = options?.retryable ?? false;
  }
}

/** An API call failed for good (after retries). Carries the HTTP status and Microsoft's request id, never the token. */
export class ApiError extends AddonError {
  declare readonly code: ApiErrorCode | ProxyErrorCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** The URL without its query (OData filters make it long; no secret is ever in a URL). */
  readonly url: string | undefined;
  constructor(
    code: ApiErrorCode | ProxyErrorCode,
    message: string,
    options?: { status?: number; requestId?: string; url?: string; cause?: unknown },
  ) {
    super(code, message, options);
    this.status = options?.status;
    this.requestId = options?.requestId;
    this.url = options?.url;
  }
}

/** The checkpoint cannot be read or written. A corrupt checkpoint is this error, never a silent reset. */
export class CheckpointError extends AddonError {
  declare readonly code: CheckpointErrorCode;
  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** splunkd's storage/passwords or input REST could not be used. */
export class SplunkdError extends AddonError {
  declare readonly code: SplunkdErrorCode;
  constructor(code: SplunkdErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The run was asked to stop (SIGTERM) or the output pipe closed. */
export class StoppedError extends AddonError {
  constructor(reason: string) {
    super('stopped', reason);
  }
}

/** The Event Hubs side of the stream input failed; the message names the field to check and the fix. */
export class StreamError extends AddonError {
  declare readonly code: StreamErrorCode;
  constructor(code: StreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
