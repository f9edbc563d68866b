/**
 * Error bodies in each service's own shape: Entra ID, Graph and MDE, which the SIEM
 * exporter also gets here since its body shape is not documented (§5.8, §8.3).
 */
import { randomUUID } from 'node:crypto';
import { jsonReply, type Reply, type RequestContext, type Service } from './http-io.js';

/** Entra ID `error` member per AADSTS code. */
export interface AadFailure {
  status: number;
  error: string;
  code: number;
  message: string;
}

function aadTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** Entra ID error body: `error`, `error_description` with the AADSTS prefix and trailer, `error_codes`, ids. */
export function aadErrorReply(failure: AadFailure, loginBase: string, now: Date): Reply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = aadTimestamp(now);
  return jsonReply(failure.status, {
    error: failure.error,
    error_description: `AADSTS${failure.code}: ${failure.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [failure.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${loginBase}/error?code=${failure.code}`,
  });
}

/** Graph error body with innerError ids. */
export function graphErrorReply(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  const clientRequestId =
    typeof ctx.headers['client-request-id'] === 'string' ? ctx.headers['client-request-id'] : ctx.requestId;
  return jsonReply(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': ctx.requestId,
          'client-request-id': clientRequestId,
        },
      },
    },
    { 'request-id': ctx.requestId, 'client-request-id': clientRequestId, ...headers },
  );
}

/** MDE (and XDR) error body: `{error:{code, message, target}}`, target being the request's correlation id. */
export function mdeErrorReply(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return jsonReply(status, { error: { code, message, target: ctx.requestId } }, headers);
}

const AAD_BY_STATUS: Record<number, { error: string; code: number; message: string }> = {
  429: {
    error: 'temporarily_unavailable',
    code: 90055,
    message: 'The request was throttled. Please retry after the time given in Retry-After.',
  },
  500: {
    error: 'server_error',
    code: 50000,
    message: 'There was an error issuing a token or an issue with our sign-in service.',
  },
  503: { error: 'temporarily_unavailable', code: 90033, message: 'A transient error has occurred. Please try again.' },
};

const API_CODE_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** The error a service answers with for an injected status (faults, throttling), in that service's body shape. */
export function serviceErrorReply(
  ctx: RequestContext,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  loginBase = ctx.baseUrl,
): Reply {
  if (ctx.service === 'login') {
    const known = AAD_BY_STATUS[status] ?? { error: 'temporarily_unavailable', code: 90033, message };
    const reply = aadErrorReply({ status, ...known }, loginBase, new Date());
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }
  const code = API_CODE_BY_STATUS[status] ?? String(status);
  if (ctx.service === 'graph') return graphErrorReply(ctx, status, code, message, headers);
  return mdeErrorReply(ctx, status, code, message, headers);
}

/** Which body shape a service uses for API errors. */
export function apiErrorReply(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return ctx.service === 'graph'
    ? graphErrorReply(ctx, status, code, message, headers)
    : mdeErrorReply(ctx, status, code, message, headers);
}

export type { Service };
