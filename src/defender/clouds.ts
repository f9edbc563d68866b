/**
 * Where each api lives in each region: API host, Entra ID login host and token scope
 * (https://learn.microsoft.com/graph/deployments, https://learn.microsoft.com/defender-endpoint/gov).
 * Pure data plus one function that turns an input's api/region/tenant (and optional overrides) into Endpoints.
 * Alert actions use the same table, so an input and an action configured alike call the same hosts.
 */
import { ConfigError } from '../errors.js';
import type { Api, Endpoints } from '../config/types.js';

/**
 * Entra ID login hosts (https://learn.microsoft.com/graph/deployments). GCC tenants live in the commercial directory;
 * GCC High and DoD do not.
 */
export const LOGIN_HOSTS = {
  commercial: 'https://login.microsoftonline.com',
  usGovernment: 'https://login.microsoftonline.us',
} as const;

/** One api in one region. */
export interface Cloud {
  /** Scheme and host of the API, no trailing slash, e.g. `https://eu.api.security.microsoft.com`. */
  apiHost: string;
  /** Scheme and host of Entra ID for this cloud. */
  loginHost: string;
  /** Token scope, `<resource>/.default`. */
  scope: string;
}

/** Path layout of one api: `apiBase` = host + basePath; the alerts collection = apiBase + alertsPath. */
export interface ApiPaths {
  /**
   * Path between the host and every call of the family (`/v1.0` for Graph: actions PATCH
   * `<apiBase>/security/alerts_v2/{id}`).
   */
  basePath: string;
  /** The alerts collection, relative to apiBase. */
  alertsPath: string;
}

/**
 * Paths per api: graph `/v1.0/security/alerts_v2`, mde and siem `/api/alerts`, incidents
 * `/v1.0/security/incidents`.
 */
export const API_PATHS: Readonly<Record<Api, Readonly<ApiPaths>>> = Object.freeze({
  graph: Object.freeze({ basePath: '/v1.0', alertsPath: '/security/alerts_v2' }),
  mde: Object.freeze({ basePath: '', alertsPath: '/api/alerts' }),
  siem: Object.freeze({ basePath: '', alertsPath: '/api/alerts' }),
  incidents: Object.freeze({ basePath: '/v1.0', alertsPath: '/security/incidents' }),
});

const GRAPH_COMMERCIAL: Cloud = {
  apiHost: 'https://graph.microsoft.com',
  loginHost: LOGIN_HOSTS.commercial,
  scope: 'https://graph.microsoft.com/.default',
};

/** The one documented MDE scope (resource app "WindowsDefenderATP"); every commercial geo host accepts it. */
const MDE_COMMERCIAL_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

function mdeGeo(host: string): Cloud {
  return { apiHost: host, loginHost: LOGIN_HOSTS.commercial, scope: MDE_COMMERCIAL_SCOPE };
}

/**
 * The SIEM exporter's resource for an app the customer registered (the v2 `.default` form of the exporter's documented
 * resource).
 */
const SIEM_SCOPE = 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default';

function siem(host: string, loginHost: string): Cloud {
  return { apiHost: host, loginHost, scope: SIEM_SCOPE };
}

/** Graph in each region (https://learn.microsoft.com/graph/deployments). */
const GRAPH_CLOUDS: Readonly<Record<string, Readonly<Cloud>>> = Object.freeze({
  global: GRAPH_COMMERCIAL,
  gcc: GRAPH_COMMERCIAL,
  gcc_high: {
    apiHost: 'https://graph.microsoft.us',
    loginHost: LOGIN_HOSTS.usGovernment,
    scope: 'https://graph.microsoft.us/.default',
  },
  dod: {
    apiHost: 'https://dod-graph.microsoft.us',
    loginHost: LOGIN_HOSTS.usGovernment,
    scope: 'https://dod-graph.microsoft.us/.default',
  },
});

/**
 * Every api × region the input accepts, in a fixed order (the first is the default where the api has one).
 *
 * Government scopes that Microsoft does not document, and why these values:
 * - mde `gcc`: GCC tenants sign in to the commercial directory, where "WindowsDefenderATP" also answers to the
 *   documented alternative identifier `https://securitycenter.onmicrosoft.com/windowsatpservice`. Cortex XSOAR, the one
 *   production client with GCC support we could read, uses exactly that scope there; the commercial
 *   `api.securitycenter.microsoft.com` identifier is not known to be registered for the GCC service.
 * - mde `gcc_high`, `dod`: the US Government directory has its own copy of the resource app under
 *   `securitycenter.onmicrosoft.us`; XSOAR uses `https://securitycenter.onmicrosoft.us/windowsatpservice/.default`.
 *   The alternative some scripts use (the API host as audience) has no Microsoft statement behind it.
 * - siem `gcc`, `gcc_high`: no government resource was ever published; the documented commercial identifier is the
 *   only value with a source. `gcc_high` signs in at login.microsoftonline.us like every GCC High service.
 * If Microsoft documents other values, only this table changes.
 */
export const CLOUDS: Readonly<Record<Api, Readonly<Record<string, Readonly<Cloud>>>>> = Object.freeze({
  graph: GRAPH_CLOUDS,
  // Incidents are a Graph security resource: same hosts and scope (the list-incidents page's national-cloud table
  // has global, US Government L4 and L5, as alerts_v2 does).
  incidents: GRAPH_CLOUDS,
  mde: Object.freeze({
    global: mdeGeo('https://api.security.microsoft.com'),
    us: mdeGeo('https://us.api.security.microsoft.com'),
    eu: mdeGeo('https://eu.api.security.microsoft.com'),
    uk: mdeGeo('https://uk.api.security.microsoft.com'),
    au: mdeGeo('https://au.api.security.microsoft.com'),
    swa: mdeGeo('https://swa.api.security.microsoft.com'),
    gcc: {
      apiHost: 'https://api-gcc.securitycenter.microsoft.us',
      loginHost: LOGIN_HOSTS.commercial,
      scope: 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
    },
    gcc_high: {
      apiHost: 'https://api-gov.securitycenter.microsoft.us',
      loginHost: LOGIN_HOSTS.usGovernment,
      scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
    },
    dod: {
      apiHost: 'https://api-gov.securitycenter.microsoft.us',
      loginHost: LOGIN_HOSTS.usGovernment,
      scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
    },
  }),
  siem: Object.freeze({
    eu: siem('https://wdatp-alertexporter-eu.windows.com', LOGIN_HOSTS.commercial),
    us: siem('https://wdatp-alertexporter-us.windows.com', LOGIN_HOSTS.commercial),
    uk: siem('https://wdatp-alertexporter-uk.windows.com', LOGIN_HOSTS.commercial),
    gcc: siem('https://wdatp-alertexporter-us.gcc.securitycenter.windows.us', LOGIN_HOSTS.commercial),
    gcc_high: siem('https://wdatp-alertexporter-us.securitycenter.windows.us', LOGIN_HOSTS.usGovernment),
  }),
});

/** The region used when a stanza sets none; siem has none because its region is where the tenant's data lives. */
export const DEFAULT_REGIONS: Readonly<Record<Api, string | undefined>> = Object.freeze({
  graph: 'global',
  incidents: 'global',
  mde: 'global',
  siem: undefined,
});

/** The regions an api has, in a fixed order. */
export function listRegions(api: Api): string[] {
  return Object.keys(CLOUDS[api]);
}

/** The table entry for api × region, or undefined when the api has no such region. */
export function findCloud(api: Api, region: string): Readonly<Cloud> | undefined {
  return Object.hasOwn(CLOUDS[api], region) ? CLOUDS[api][region] : undefined;
}

/** What {@link resolveEndpoints} needs: already validated values (config/resolve.ts checks them for the user). */
export interface EndpointsRequest {
  api: Api;
  region: string;
  tenantId: string;
  /** https base URL that replaces the region's API host; the api's paths are appended to it. */
  apiUrl?: string;
  /** https base URL that replaces the region's login host. */
  loginUrl?: string;
}

/**
 * Endpoints for one api, region and tenant. `api_url` replaces only the host (its own path, if any, is kept as a
 * prefix)
 * and `login_url` only the login host: the scope stays the region's, because a token's audience names the resource,
 * not the host that serves it. A custom login host goes into msal's knownAuthorities as host:port, which is how msal
 * matches it, so msal skips instance discovery (a call to login.microsoftonline.com) for it.
 * Throws ConfigError for a region the api does not have.
 */
export function resolveEndpoints(request: EndpointsRequest): Endpoints {
  const cloud = findCloud(request.api, request.region);
  if (!cloud) {
    throw new ConfigError([
      `region "${request.region}" does not exist for api=${request.api}: use one of ${listRegions(request.api).join(', ')}.`,
    ]);
  }
  const paths = API_PATHS[request.api];
  const apiBase = `${request.apiUrl !== undefined ? normaliseBaseUrl(request.apiUrl) : cloud.apiHost}${paths.basePath}`;
  const login = request.loginUrl !== undefined ? normaliseBaseUrl(request.loginUrl) : cloud.loginHost;
  return {
    alertsUrl: `${apiBase}${paths.alertsPath}`,
    apiBase,
    authority: `${login}/${request.tenantId}`,
    scope: cloud.scope,
    knownAuthorities: request.loginUrl !== undefined ? [new URL(login).host] : [],
  };
}

/**
 * `https://Login.Example:443/path/` → `https://login.example/path`. msal compares the authority's host:port, as
 * written, with knownAuthorities; writing both from the same parsed URL keeps case and default ports from differing.
 */
export function normaliseBaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}
