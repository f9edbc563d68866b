/**
 * The API side of authorization: every Graph, MDE and SIEM request must carry a bearer token this emulator issued,
 * unexpired, for the service's audience, with one of the roles the call needs; then the caller's quota is charged.
 * Failures use the API's own body (Graph: InvalidAuthenticationToken / Forbidden; MDE: Unauthorized / Forbidden).
 */
import { apiErrorReply } from './api-errors.js';
import type { EmulatorContext } from './context.js';
import { RESOURCE_SERVICE, type IssuedToken } from './entra.js';
import type { Reply, RequestContext } from './http-io.js';
import type { RateFamily } from './rate-limit.js';

/** Roles per operation. */
export const ROLES = {
  graphRead: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
  graphWrite: ['SecurityAlert.ReadWrite.All'],
  mdeRead: ['Alert.Read.All', 'Alert.ReadWrite.All'],
  // The update-alert page misspells the role `Alerts.ReadWrite.All`; a token never carries that name, accepting it is
  // harmless.
  mdeWrite: ['Alert.ReadWrite.All', 'Alerts.ReadWrite.All'],
  indicators: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
  incidentsRead: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
  incidentsWrite: ['SecurityIncident.ReadWrite.All'],
} as const;

/** Result of the checks: the caller's claims, or the reply that refuses it. */
export type GuardResult = { ok: true; token: IssuedToken } | { ok: false; reply: Reply };

/**
 * Checks the bearer token, the audience, the roles (`roles` empty: any token of the audience, as the SIEM exporter
 * does) and the rate limit of `family`.
 */
export function guard(
  ctx: RequestContext,
  env: EmulatorContext,
  roles: readonly string[],
  family: RateFamily,
): GuardResult {
  const deny = (status: number, code: string, message: string, headers?: Record<string, string>): GuardResult => ({
    ok: false,
    reply: apiErrorReply(ctx, status, code, message, headers),
  });
  const graph = ctx.service === 'graph';
  const unauthorized = graph ? 'InvalidAuthenticationToken' : 'Unauthorized';

  const header = ctx.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match)
    return deny(
      401,
      unauthorized,
      graph ? 'Access token is empty.' : 'Authorization header is missing or is not a Bearer token.',
    );
  const token = env.directory.lookup(match[1]!);
  if (!token) return deny(401, unauthorized, graph ? 'Invalid JWT access token.' : 'The access token is invalid.');
  if (token.expiresAtMs <= env.now())
    return deny(
      401,
      unauthorized,
      graph ? 'Lifetime validation failed, the token is expired.' : 'The access token has expired.',
    );
  if (RESOURCE_SERVICE[token.audience] !== ctx.service) {
    return deny(
      401,
      unauthorized,
      graph ? 'Invalid audience.' : `The access token audience '${token.audience}' is not valid for this API.`,
    );
  }
  if (roles.length > 0 && !roles.some((r) => token.roles.includes(r))) {
    const message = graph
      ? `Missing application roles. API required roles: ${roles.join(', ')}. Application roles: ${token.roles.join(', ')}.`
      : `The application does not have any of the required application permissions (${roles.join(', ')}) to access the resource.`;
    return deny(403, 'Forbidden', message);
  }
  const throttled = env.limiter.take(family, token.tenantId, token.clientId);
  if (throttled) {
    const perWindow = `${throttled.window.limit} per ${formatWindow(throttled.window.windowMs)}`;
    return deny(
      429,
      'TooManyRequests',
      `API calls quota exceeded! maximum allowed ${perWindow}. Try again in ${throttled.retryAfterSeconds} seconds.`,
      { 'retry-after': String(throttled.retryAfterSeconds) },
    );
  }
  return { ok: true, token };
}

function formatWindow(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const hh = String(Math.floor(seconds / 3600)).padStart(2, '0');
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}
