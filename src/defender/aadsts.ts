/**
 * Turns Entra ID token failures, and API 403s, into sentences a Splunk admin can act on
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 * Pure: the caller passes the library error and what the transport saw.
 *
 * We match on the AADSTS number (`error_codes[0]`, or the number msal or the description carries), never on the
 * description text, which Microsoft rewords over time.
 */
import type { Api } from '../config/types.js';
import { AuthError, type AuthErrorCode } from '../errors.js';

/** What the HTTP layer under msal saw on the last failed call; msal itself drops this detail (see toAuthError). */
export interface TransportFailure {
  /** The URL that failed (no secrets: token requests carry the secret in the body, never the URL). */
  url: string;
  /** HTTP status when an answer came back. */
  status?: number;
  /** Parsed JSON error body, when there was one. */
  body?: unknown;
  /** Transport error code when no answer came back: ETIMEDOUT, ECONNREFUSED, ENOTFOUND, EPROXY… */
  code?: string;
  /** One-line, secret-free description of the transport error. */
  detail?: string;
  /** Response headers (lower-case names), for Retry-After. */
  headers?: Record<string, string>;
}

/** Who was asking, to name them in the message. */
export interface AuthContext {
  tenantId: string;
  clientId: string;
  /** e.g. "US Government (GCC High)", to say which cloud the input points at. */
  cloudName?: string;
  transport?: TransportFailure;
}

interface Rule {
  code: AuthErrorCode;
  retryable?: boolean;
  message(ctx: AuthContext): string;
}

const WRONG_CLOUD: Rule = {
  code: 'auth_wrong_cloud',
  message: (c) =>
    `Tenant ${c.tenantId} belongs to another cloud (commercial vs US Government)` +
    `${c.cloudName ? `; this input points at ${c.cloudName}` : ''}. Pick the matching region.`,
};
const TRANSIENT: Rule = {
  code: 'auth_unavailable',
  retryable: true,
  message: () =>
    'Entra ID is temporarily unavailable (the token request was retried). No action is needed unless it persists; the next run tries again.',
};
const PRODUCT_BUG_SCOPE: Rule = {
  code: 'auth_bad_scope',
  message: () =>
    'The add-on asked for a malformed token scope (it must be one `<resource>/.default`). This is a bug in the add-on: please report it.',
};

/**
 * AADSTS number → what to tell the admin (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */
const RULES: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  [
    7000215,
    {
      code: 'auth_bad_secret',
      message: () =>
        "The client secret is wrong. Paste the secret's Value, not the Secret ID, from the app's Certificates & secrets page.",
    },
  ],
  [
    7000222,
    {
      code: 'auth_secret_expired',
      message: () =>
        'The client secret has expired. Create a new one in Entra ID (Certificates & secrets) and update this input.',
    },
  ],
  [7000218, { code: 'auth_no_secret', message: () => 'No client secret is stored for this input. Enter it again.' }],
  [
    700016,
    {
      code: 'auth_app_not_found',
      message: (c) =>
        `Application ${c.clientId} was not found in tenant ${c.tenantId}. Check both IDs and the region/cloud.`,
    },
  ],
  [
    7000112,
    {
      code: 'auth_app_disabled',
      message: (c) => `Application ${c.clientId} is disabled in Entra ID. Ask the Entra admin to enable it.`,
    },
  ],
  [90002, { code: 'auth_tenant_not_found', message: (c) => tenantNotFound(c) }],
  [
    900023,
    {
      code: 'auth_tenant_invalid',
      message: (c) => `Tenant "${c.tenantId}" is not valid. The tenant must be a GUID or a verified domain name.`,
    },
  ],
  [90038, WRONG_CLOUD],
  [900382, WRONG_CLOUD],
  [900432, WRONG_CLOUD],
  [
    500011,
    {
      code: 'auth_resource_missing',
      message: () =>
        'The Defender/Graph API is not provisioned in this tenant or cloud. Check the licence and the region.',
    },
  ],
  [70011, PRODUCT_BUG_SCOPE],
  [1002012, PRODUCT_BUG_SCOPE],
  [
    700022,
    {
      code: 'auth_bad_scope',
      message: () =>
        'The add-on asked for scopes of two resources in one token. This is a bug in the add-on: please report it.',
    },
  ],
  [
    53003,
    {
      code: 'auth_conditional_access',
      message: () => 'A Conditional Access policy for workload identities blocked the token. Ask the Entra admin.',
    },
  ],
  [
    50196,
    {
      code: 'auth_loop',
      retryable: true,
      message: () =>
        'Entra ID detected a request loop: tokens are not being cached. This is a bug in the add-on: please report it.',
    },
  ],
  [
    90055,
    {
      code: 'auth_throttled',
      retryable: true,
      message: () =>
        'Entra ID is throttling token requests for this tenant. The add-on waits as Entra ID asks; if this persists, fewer inputs per app registration help.',
    },
  ],
  [50000, TRANSIENT],
  [90006, TRANSIENT],
  [90033, TRANSIENT],
  [90024, TRANSIENT],
]);

function tenantNotFound(c: AuthContext): string {
  return `Tenant ${c.tenantId} does not exist in this cloud. Check the tenant ID and whether the region should be a government one.`;
}

/** Maps whatever msal (or its network client) threw into one AuthError with a stable code and an admin sentence. */
export function toAuthError(err: unknown, ctx: AuthContext): AuthError {
  if (err instanceof AuthError) return err;
  const msalCode = readString(err, 'errorCode');
  const aadsts = readAadstsCode(err) ?? readAadstsCode(ctx.transport?.body);
  const correlation = readString(err, 'correlationId');
  const cause = err;

  if (aadsts !== undefined) {
    const rule = RULES.get(aadsts);
    const suffix = ` (AADSTS${aadsts}${correlation ? `, correlation id ${correlation}` : ''})`;
    if (rule) return new AuthError(rule.code, rule.message(ctx) + suffix, { aadsts, retryable: rule.retryable, cause });
    const status = readNumber(err, 'status') ?? ctx.transport?.status;
    const retryable = status !== undefined && (status >= 500 || status === 429);
    return new AuthError(
      retryable ? 'auth_unavailable' : 'auth_failed',
      `Entra ID refused the token request${msalCode ? ` (${msalCode})` : ''}: ${firstLine(readDescription(err, ctx))}` +
        ` See https://login.microsoftonline.com/error?code=${aadsts}${suffix}`,
      { aadsts, retryable, cause },
    );
  }

  if (msalCode === 'endpoints_resolution_error' || msalCode === 'openid_config_error') {
    // msal swallows the failure of the openid-configuration request and reports only this code (msal-common
    // Authority.getEndpointMetadataFromNetwork). An unknown tenant is the usual cause (AADSTS90002, handled above when
    // the body reached us), but an unreachable login host looks the same to msal, so use what the transport saw.
    const t = ctx.transport;
    if (t?.code) return transportError(t, ctx, cause);
    if (t?.status !== undefined && t.status >= 500)
      return new AuthError(TRANSIENT.code, TRANSIENT.message(ctx), { retryable: true, cause });
    if (t?.status !== undefined && t.status !== 400) {
      return new AuthError(
        'auth_login_url',
        `The login host ${hostOf(t.url)} answered HTTP ${t.status} to the OpenID metadata ` +
          `request for tenant ${ctx.tenantId}. Check the tenant ID, and login_url if it is set.`,
        { cause },
      );
    }
    return new AuthError('auth_tenant_not_found', tenantNotFound(ctx), { aadsts: 90002, cause });
  }
  if (ctx.transport?.code) return transportError(ctx.transport, ctx, cause);
  if (
    msalCode === 'untrusted_authority' ||
    msalCode === 'authority_uri_insecure' ||
    msalCode === 'url_parse_error' ||
    msalCode === 'invalid_authority_type' ||
    msalCode === 'issuer_validation_failed'
  ) {
    return new AuthError(
      'auth_login_url',
      `The login URL is not usable (${msalCode}). It must be an https URL of an ` +
        'Entra ID host; check login_url and the tenant ID.',
      { cause },
    );
  }
  const status = readNumber(err, 'status') ?? ctx.transport?.status;
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new AuthError(status === 429 ? 'auth_throttled' : TRANSIENT.code, TRANSIENT.message(ctx), {
      retryable: true,
      cause,
    });
  }
  return new AuthError(
    'auth_failed',
    `Could not get a token from Entra ID${msalCode ? ` (${msalCode})` : ''}. ` +
      `Check tenant_id, client_id and the client secret.`,
    { cause },
  );
}

function transportError(t: TransportFailure, ctx: AuthContext, cause: unknown): AuthError {
  const host = hostOf(t.url);
  if (t.code === 'ETIMEDOUT') {
    return new AuthError(
      'auth_timeout',
      `The login host ${host} did not answer in time. Check the network path` +
        ` and proxy_url; the next run tries again.`,
      { retryable: true, cause },
    );
  }
  if (t.code === 'EPROXY' && t.detail) {
    // The proxy refused the tunnel (407: its credentials): the sentence says so; retrying cannot help.
    return new AuthError('proxy_refused', firstLine(t.detail), { retryable: false, cause });
  }
  const detail = t.detail ? `: ${firstLine(t.detail)}` : '';
  return new AuthError(
    'auth_network',
    `Could not reach the login host ${host} (${t.code}${detail}). Check DNS, the ` +
      `firewall and proxy_url for tenant ${ctx.tenantId}.`,
    { retryable: true, cause },
  );
}

/**
 * The AADSTS number in an msal error or a token error body: `errorNo` / `error_codes[0]` first, then an all-digit
 * msal `errorCode` (msal's throttle cache replays `error_codes` there), then `AADSTS<n>` in the description.
 */
export function readAadstsCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const fromNumber = (v: unknown): number | undefined => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{4,8}$/.test(v.trim()) ? Number(v) : undefined;
    return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
  };
  const codes = (err as { error_codes?: unknown }).error_codes;
  const candidates: unknown[] = [
    (err as { errorNo?: unknown }).errorNo,
    Array.isArray(codes) ? codes[0] : undefined,
    readString(err, 'errorCode')?.split(' ')[0],
  ];
  for (const c of candidates) {
    const n = fromNumber(c);
    if (n !== undefined) return n;
  }
  for (const text of [
    readString(err, 'errorMessage'),
    readString(err, 'error_description'),
    readString(err, 'message'),
  ]) {
    const m = text?.match(/\bAADSTS(\d{4,8})\b/);
    if (m?.[1]) return Number(m[1]);
  }
  return undefined;
}

/** A target API call, to name the permission it needs. */
export interface ForbiddenTarget {
  url: string;
  method?: string;
  /** Disambiguates `/api/alerts`, which both MDE and the SIEM exporter serve. */
  api?: Api;
}

/**
 * The application permission (and its resource app) a call needs, as each API's reference page lists it; undefined if
 * unknown.
 */
export function requiredPermission(target: ForbiddenTarget): { permission: string; resource: string } | undefined {
  let path: string;
  let host: string;
  try {
    ({ pathname: path, host } = new URL(target.url));
  } catch {
    return undefined;
  }
  path = path.toLowerCase();
  const write = (target.method ?? 'GET').toUpperCase() !== 'GET';
  const pick = (read: string, readWrite: string) => (write ? readWrite : read);
  if (path.includes('/security/alerts_v2'))
    return { permission: pick('SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'), resource: 'Microsoft Graph' };
  if (path.includes('/security/incidents'))
    return {
      permission: pick('SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'),
      resource: 'Microsoft Graph',
    };
  if (path.startsWith('/api/indicators')) return { permission: 'Ti.ReadWrite.All', resource: 'WindowsDefenderATP' };
  if (path.startsWith('/api/incidents'))
    return { permission: pick('Incident.Read.All', 'Incident.ReadWrite.All'), resource: 'Microsoft Threat Protection' };
  if (path.startsWith('/api/alerts') || path.startsWith('/api/v1.0/alerts')) {
    if (target.api === 'siem' || host.includes('alertexporter')) return undefined;
    return { permission: pick('Alert.Read.All', 'Alert.ReadWrite.All'), resource: 'WindowsDefenderATP' };
  }
  return undefined;
}

/**
 * The advice for an API 403. Missing admin consent has no AADSTS code: Entra ID issues the token without the role
 * and the API refuses it.
 */
export function describeForbidden(target: ForbiddenTarget): string {
  const isSiem = target.api === 'siem' || /alertexporter/i.test(target.url);
  if (isSiem) {
    return (
      'The SIEM exporter refused this application. In the Defender portal, enable SIEM integration for this app ' +
      '(it creates the consent the exporter needs), or switch the input to api=graph.'
    );
  }
  const need = requiredPermission(target);
  if (!need) {
    return 'The application lacks a permission this call needs. Check its API permissions in Entra ID and click "Grant admin consent".';
  }
  return (
    `The application lacks the ${need.permission} permission. In Entra ID, open the app registration, API ` +
    `permissions, add the application permission ${need.permission} (${need.resource}) and click "Grant admin consent".`
  );
}

function readDescription(err: unknown, ctx: AuthContext): string {
  const body = ctx.transport?.body;
  return (
    readString(body, 'error_description') ??
    readString(err, 'errorMessage') ??
    readString(err, 'message') ??
    'no description'
  );
}

function readString(obj: unknown, key: string): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function readNumber(obj: unknown, key: string): number | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : undefined;
}

function firstLine(text: string): string {
  // msal prefixes "Error(s): … - Description: "; Entra appends "\r\nTrace ID: …" lines. Keep one bounded line.
  const described = text.includes(' - Description: ') ? (text.split(' - Description: ')[1] ?? text) : text;
  const line = described.split(/\r?\n/)[0]!.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the login host';
  }
}
