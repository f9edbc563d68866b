/**
 * Entra ID as seen by a client-credentials caller: the tenant's openid-configuration,
 * the v2 and v1 token endpoints with their exact error bodies, and msal's instance-discovery endpoint (recorded, since
 * tests assert it is never called). Tokens are opaque random strings mapped to what a JWT would carry.
 */
import { randomBytes } from 'node:crypto';
import { aadErrorReply, type AadFailure } from './api-errors.js';
import { jsonReply, type Reply, type RequestContext } from './http-io.js';
import { signJwt } from '../eventhubs/jwt-token.js';

/** An app registration with a client secret and granted application roles. */
export interface AppRegistration {
  tenantId: string;
  clientId: string;
  secret: string;
  /** Application permissions with admin consent, e.g. `SecurityAlert.Read.All`. */
  roles: string[];
  /** The secret is correct but past its end date (AADSTS7000222). */
  secretExpired?: boolean;
}

/** What a real token's claims would say. */
export interface IssuedToken {
  tenantId: string;
  clientId: string;
  /** The resource, e.g. `https://graph.microsoft.com` (lower case, no trailing slash). */
  audience: string;
  roles: readonly string[];
  expiresAtMs: number;
}

/** The API service a resource URI belongs to (lower-cased, no trailing slash). */
export const RESOURCE_SERVICE: Readonly<Record<string, 'graph' | 'mde' | 'siem'>> = {
  'https://graph.microsoft.com': 'graph',
  'https://graph.microsoft.us': 'graph',
  'https://dod-graph.microsoft.us': 'graph',
  'https://api.securitycenter.microsoft.com': 'mde',
  'https://api.security.microsoft.com': 'mde',
  'https://securitycenter.onmicrosoft.com/windowsatpservice': 'mde',
  'https://securitycenter.onmicrosoft.us/windowsatpservice': 'mde',
  'https://api-gcc.securitycenter.microsoft.us': 'mde',
  'https://api-gov.securitycenter.microsoft.us': 'mde',
  'https://wdatpalertexport.seville.onmicrosoft.com': 'siem',
  // The portal-created "SIEM connector" app asks for Azure AD Graph (doc).
  'https://graph.windows.net': 'siem',
};

/**
 * Azure Event Hubs' Entra ID resource (https://learn.microsoft.com/azure/event-hubs/authorize-access-azure-active-directory).
 * Tokens for it are real JWTs (HS256 with the directory's test secret, issuer `https://sts.windows.net/<tenant>/`), so
 * the test Event Hubs broker (test/eventhubs) can verify them the way the service verifies Entra's.
 */
export const EVENT_HUBS_RESOURCE = 'https://eventhubs.azure.net';

/** The `iss` of the Event Hubs tokens the emulator issues for `tenantId`. */
export function eventHubsIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Apps, tenants and issued tokens. */
export class Directory {
  private readonly apps = new Map<string, AppRegistration>();
  private readonly tenants = new Set<string>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Seconds a new token lives (`expires_in`). */
  tokenLifetimeSeconds = 3599;
  /** Calls to `/common/discovery/instance` (msal's instance discovery; tests assert 0). */
  instanceDiscoveryCalls = 0;
  tokensIssued = 0;
  /** HS256 secret of the Event Hubs JWTs (test/eventhubs' broker takes it as `jwt.key`). */
  readonly jwtSecret = randomBytes(32).toString('base64url');

  constructor(private readonly now: () => number) {}

  /** Registers an app; its tenant comes into existence with it. */
  addApp(app: AppRegistration): void {
    this.tenants.add(app.tenantId.toLowerCase());
    this.apps.set(appKey(app.tenantId, app.clientId), { ...app, roles: [...app.roles] });
  }

  /** Changes an app's secret, roles or expiry (e.g. to test rotation). */
  updateApp(tenantId: string, clientId: string, patch: Partial<Omit<AppRegistration, 'tenantId' | 'clientId'>>): void {
    const app = this.apps.get(appKey(tenantId, clientId));
    if (!app) throw new Error(`no app ${clientId} in tenant ${tenantId}`);
    Object.assign(app, patch);
  }

  hasTenant(tenantId: string): boolean {
    return this.tenants.has(tenantId.toLowerCase());
  }

  /** The claims of a bearer token, or undefined if the emulator never issued it. */
  lookup(token: string): IssuedToken | undefined {
    return this.tokens.get(token);
  }

  /** Forgets every issued token (a "key rollover": every cached token becomes invalid). */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  /** Issues a token directly, for tests of the API side without the token endpoint. */
  issueToken(tenantId: string, clientId: string, resource: string, roles?: string[]): string {
    const app = this.apps.get(appKey(tenantId, clientId));
    const expiresAtMs = this.now() + this.tokenLifetimeSeconds * 1000;
    const token =
      normalizeResource(resource) === EVENT_HUBS_RESOURCE
        ? signJwt(
            {
              iss: eventHubsIssuer(tenantId),
              aud: `${EVENT_HUBS_RESOURCE}/`,
              appid: clientId,
              tid: tenantId,
              nbf: Math.floor(this.now() / 1000) - 60,
              exp: Math.floor(expiresAtMs / 1000),
              jti: randomBytes(8).toString('hex'),
            },
            this.jwtSecret,
          )
        : `emu.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, {
      tenantId,
      clientId,
      audience: normalizeResource(resource),
      roles: roles ?? app?.roles ?? [],
      expiresAtMs,
    });
    this.tokensIssued++;
    return token;
  }

  /** Checks a client-credentials request; the failure mirrors Entra's precedence of checks. */
  authenticate(
    tenantId: string,
    form: URLSearchParams,
    basic: { id: string; secret: string } | undefined,
  ): AppRegistration | AadFailure {
    const clientId = form.get('client_id') ?? basic?.id;
    if (!clientId) return missingParameter('client_id');
    const app = this.apps.get(appKey(tenantId, clientId));
    if (!app) {
      return {
        status: 400,
        error: 'unauthorized_client',
        code: 700016,
        message: `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      };
    }
    const secret = form.get('client_secret') ?? basic?.secret;
    if (secret === undefined || secret === '') {
      return {
        status: 400,
        error: 'invalid_client',
        code: 7000218,
        message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      };
    }
    if (secret !== app.secret) {
      return {
        status: 401,
        error: 'invalid_client',
        code: 7000215,
        message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      };
    }
    if (app.secretExpired) {
      return {
        status: 401,
        error: 'invalid_client',
        code: 7000222,
        message: `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app.`,
      };
    }
    return app;
  }
}

function appKey(tenantId: string, clientId: string): string {
  return `${tenantId.toLowerCase()}\u0000${clientId.toLowerCase()}`;
}

function normalizeResource(resource: string): string {
  return resource.trim().replace(/\/+$/, '').toLowerCase();
}

function missingParameter(name: string): AadFailure {
  return {
    status: 400,
    error: 'invalid_request',
    code: 900144,
    message: `The request body must contain the following parameter: '${name}'.`,
  };
}

function tenantFailure(tenant: string, directory: Directory): AadFailure | undefined {
  if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
    return {
      status: 400,
      error: 'invalid_request',
      code: 900023,
      message: `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
    };
  }
  if (!directory.hasTenant(tenant)) {
    return {
      status: 400,
      error: 'invalid_tenant',
      code: 90002,
      message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    };
  }
  return undefined;
}

/** The resource named by a v2 `scope` (one resource, `/.default`), or the failure Entra gives. */
function resourceFromScope(scope: string | null): string | AadFailure {
  if (scope === null || scope.trim() === '') return missingParameter('scope');
  const scopes = scope.split(/\s+/).filter((s) => s !== '' && !OIDC_SCOPES.has(s.toLowerCase()));
  const resources = new Set<string>();
  for (const s of scopes) {
    if (!/\/\.default$/i.test(s)) {
      return {
        status: 400,
        error: 'invalid_scope',
        code: 70011,
        message: `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid. The client credentials flow needs '<resource>/.default'.`,
      };
    }
    resources.add(normalizeResource(s.replace(/\/\.default$/i, '')));
  }
  if (resources.size === 0) {
    return {
      status: 400,
      error: 'invalid_scope',
      code: 70011,
      message: `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    };
  }
  if (resources.size > 1) {
    return {
      status: 400,
      error: 'invalid_scope',
      code: 700022,
      message:
        'The provided value for the input parameter scope is not valid because it contains more than one resource. Scope ' +
        scope +
        ' is not valid.',
    };
  }
  return [...resources][0]!;
}

function checkResource(resource: string, tenant: string): AadFailure | undefined {
  if (RESOURCE_SERVICE[resource] !== undefined || resource === EVENT_HUBS_RESOURCE) return undefined;
  return {
    status: 400,
    error: 'invalid_resource',
    code: 500011,
    message: `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
  };
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function openIdConfiguration(base: string, tenant: string): Record<string, unknown> {
  const t = `${base}/${tenant}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'roles'],
    kerberos_endpoint: `${t}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** Routes a request on the login listener. */
export function handleLogin(ctx: RequestContext, directory: Directory, now: () => number): Reply {
  const fail = (f: AadFailure): Reply => aadErrorReply(f, ctx.baseUrl, new Date(now()));
  const segments = ctx.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const [tenant = '', ...rest] = segments;
  const route = rest.join('/').toLowerCase();

  if (ctx.method === 'GET' && route === 'discovery/instance') {
    directory.instanceDiscoveryCalls++;
    const host = new URL(ctx.baseUrl).host;
    return jsonReply(200, {
      tenant_discovery_endpoint: `${ctx.baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }
  if (
    ctx.method === 'GET' &&
    (route === 'v2.0/.well-known/openid-configuration' || route === '.well-known/openid-configuration')
  ) {
    const failure = tenantFailure(tenant, directory);
    if (failure) return fail(failure);
    return jsonReply(200, openIdConfiguration(ctx.baseUrl, tenant));
  }
  if (ctx.method === 'POST' && (route === 'oauth2/v2.0/token' || route === 'oauth2/token')) {
    const v1 = route === 'oauth2/token';
    const failure = tenantFailure(tenant, directory);
    if (failure) return fail(failure);
    const form = new URLSearchParams(ctx.body.toString('utf8'));
    const grant = form.get('grant_type');
    if (grant === null) return fail(missingParameter('grant_type'));
    if (grant !== 'client_credentials') {
      return fail({
        status: 400,
        error: 'unsupported_grant_type',
        code: 70003,
        message: `The app requested an unsupported grant type '${grant}'.`,
      });
    }
    const resource = v1
      ? form.get('resource')
        ? normalizeResource(form.get('resource')!)
        : missingParameter('resource')
      : resourceFromScope(form.get('scope'));
    if (typeof resource !== 'string') return fail(resource);
    const badResource = checkResource(resource, tenant);
    if (badResource) return fail(badResource);
    const app = directory.authenticate(tenant, form, parseBasic(ctx.headers.authorization));
    if ('code' in app) return fail(app);
    const token = directory.issueToken(app.tenantId, app.clientId, resource);
    const lifetime = directory.tokenLifetimeSeconds;
    if (v1) {
      const nowSeconds = Math.floor(now() / 1000);
      return jsonReply(200, {
        token_type: 'Bearer',
        expires_in: String(lifetime),
        ext_expires_in: String(lifetime),
        expires_on: String(nowSeconds + lifetime),
        not_before: String(nowSeconds),
        resource: form.get('resource'),
        access_token: token,
      });
    }
    return jsonReply(200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: token,
    });
  }
  return fail({
    status: 404,
    error: 'invalid_request',
    code: 900561,
    message: `The endpoint ${ctx.method} ${ctx.path} does not exist.`,
  });
}
