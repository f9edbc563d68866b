/**
 * What any thrown value says about itself, without casts at every catch: errors from libraries (got, msal, fs,
 * hpagent) carry `code`, `name` and `message` in their own ways, and a non-Error can be thrown too.
 */
import { AddonError, type ErrorCode } from '../errors.js';
import { oneLine } from './text.js';

/** The parts of a thrown value the add-on reads. */
export interface ErrorInfo {
  /** `code` of the error (ours, Node's `ECONNRESET`, got's `ERR_…`), when it has one. */
  code: string | undefined;
  /** `name` of the error (`TimeoutError`, `AbortError`, …), when it has one. */
  name: string | undefined;
  /** The message, or the value as text. */
  message: string;
  /** The stack on one line (for unexpected errors only: it is a bug report), else the message. */
  detail: string;
  /** `event` of a got timeout error (`lookup`, `connect`, `response`, …). */
  event: string | undefined;
}

export function errorInfo(error: unknown): ErrorInfo {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; name?: unknown; message?: unknown; stack?: unknown; event?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(error);
    return {
      code: typeof e.code === 'string' ? e.code : undefined,
      name: typeof e.name === 'string' ? e.name : undefined,
      message,
      detail: oneLine(typeof e.stack === 'string' ? e.stack.split('\n').join(' | ') : message),
      event: typeof e.event === 'string' ? e.event : undefined,
    };
  }
  const message = String(error);
  return { code: undefined, name: undefined, message, detail: message, event: undefined };
}

/**
 * The sentence to log for an error that ends a run: ours say what to do; anything else is a bug, logged with its
 * stack so it can be reported.
 */
export function describeForAdmin(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof AddonError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: `Unexpected error: ${describeError(error)}` };
}

/** Our message for our errors, the stack (on one line) for anything else. */
export function describeError(error: unknown): string {
  return error instanceof AddonError ? error.message : errorInfo(error).detail;
}

/** A short code for a log field: ours, else the library's or Node's (`EPIPE`, `ERR_…`), else the error's name. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof AddonError) return error.code;
  const info = errorInfo(error);
  return info.code ?? info.name ?? 'unknown';
}
