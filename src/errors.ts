/**
 * One small hierarchy of errors with a stable `code` (got/octokit style). Messages are written for a Splunk admin:
 * they say what is wrong and what to do. No error ever carries a secret, a token or a proxy password.
 */
export class AddonError extends Error {
  /** Stable machine-readable code, logged as `error=<code>`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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
  readonly aadsts: number | undefined;
  readonly retryable: boolean;
  constructor(code: string, message: string, options?: { aadsts?: number; retryable?: boolean; cause?: unknown }) {
    super(code, message, options);
    this.aadsts = options?.aadsts;
    this.retryable = options?.retryable ?? false;
  }
}

/** An API call failed for good (after retries). Carries the HTTP status and Microsoft's request id, never the token. */
export class ApiError extends AddonError {
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** The URL without query secrets (we never put secrets in URLs, but proxies may be in options). */
  readonly url: string | undefined;
  constructor(
    code: string,
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
export class CheckpointError extends AddonError {}

/** splunkd's storage/passwords or input REST could not be used. */
export class SplunkdError extends AddonError {}

/** The run was asked to stop (SIGTERM) or the output pipe closed. */
export class StoppedError extends AddonError {
  constructor(reason: string) {
    super('stopped', reason);
  }
}
