/**
 * The ONE table of the `defender_alerts` input's arguments. The scheme (config/scheme.ts), the
 * hand-written README/inputs.conf.spec (checked against this table by a test) and config/resolve.ts all read it.
 */
import type { SchemeArgument } from '../modinput/scheme-types.js';
import { SECRET_MASK } from './types.js';

/** The modular input's scheme name: the stanza prefix `defender_alerts://` and the launcher's base name. */
export const INPUT_SCHEME = 'defender_alerts';

/** Names of the input's own arguments. */
export type ArgumentName =
  | 'tenant_id'
  | 'client_id'
  | 'client_secret'
  | 'api'
  | 'region'
  | 'start_time'
  | 'overlap_seconds'
  | 'filter'
  | 'api_url'
  | 'login_url'
  | 'proxy_url'
  | 'replay_from'
  | 'include_alerts'
  | 'account';

/** One argument: what `--scheme` declares, plus the default applied when the stanza leaves it empty. */
export interface InputArgument extends SchemeArgument {
  name: ArgumentName;
  /**
   * Used when the value is absent or empty; undefined when there is none. Documented in the spec file as `Default:`.
   */
  defaultValue?: string;
}

/** Default of api: Graph alerts_v2 carries every Defender product's alerts and is where Microsoft points SIEMs. */
export const DEFAULT_API = 'graph';
/** Default of start_time: how far back the first run reads. */
export const DEFAULT_START_TIME = '-24h';
/** Default of overlap_seconds. */
export const DEFAULT_OVERLAP_SECONDS = 300;
/** Largest overlap_seconds accepted: a day of re-reading per run is already far beyond any late-arrival delay seen. */
export const MAX_OVERLAP_SECONDS = 86_400;
/** Largest relative start_time accepted, in days (a longer look-back is almost surely a typo; use an absolute time). */
export const MAX_RELATIVE_START_DAYS = 365;
/** Default of include_alerts (api incidents): write the alerts found inside incidents too. */
export const DEFAULT_INCLUDE_ALERTS = 'true';

/** The input's arguments, in the order Splunk Web shows them. */
export const INPUT_ARGUMENTS: readonly Readonly<InputArgument>[] = Object.freeze([
  {
    name: 'account',
    title: 'Account',
    description:
      "Name of an account from the add-on's Configuration page (Apps → Microsoft Defender → Configuration → Accounts) " +
      'that holds the tenant, client ID, secret and region. Use it instead of Tenant ID, Client ID, Client secret and ' +
      "Region, which stay empty then. Empty: this input's own credentials below.",
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'tenant_id',
    title: 'Tenant ID',
    description:
      "Entra ID tenant of the Defender data: the Directory (tenant) ID from the app registration's Overview page, " +
      'e.g. 9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a5b, or a verified domain name, e.g. contoso.onmicrosoft.com. ' +
      'Required unless Account is set.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'client_id',
    title: 'Client ID',
    description:
      'Application (client) ID of the app registration, a GUID from its Overview page, ' +
      'e.g. 0b5c1c6e-3d8e-4a43-9f3b-1c2d3e4f5a6b. Required unless Account is set.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'client_secret',
    title: 'Client secret',
    description:
      "Client secret Value (not the Secret ID) from the app's Certificates & secrets page. On its first run the input " +
      `moves it to Splunk's encrypted credential store and leaves only ${SECRET_MASK} in inputs.conf. ` +
      'Leave unchanged when editing; type a new value to replace it. Required unless Account is set.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'api',
    title: 'API',
    description:
      'Which API to read: graph (Microsoft Graph security alerts_v2, alerts from every Defender product; ' +
      'permission SecurityAlert.Read.All), mde (Defender for Endpoint /api/alerts; permission Alert.Read.All), ' +
      'siem (legacy SIEM alert exporter, deprecated by Microsoft) or incidents (Microsoft Graph security incidents ' +
      'with their alerts; permission SecurityIncident.Read.All). Default: graph.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
    defaultValue: DEFAULT_API,
  },
  {
    name: 'region',
    title: 'Region',
    description:
      'Cloud or data region of the tenant. graph and incidents: global (default), gcc, gcc_high, dod. ' +
      'mde: global (default), us, eu, uk, au, swa, gcc, gcc_high, dod. ' +
      'siem: eu, us, uk, gcc, gcc_high (required, no default).',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'start_time',
    title: 'Start time',
    description:
      'Where the first run starts reading (later runs continue from the checkpoint): an ISO-8601 UTC time, ' +
      'e.g. 2024-05-01T00:00:00Z or 2024-05-01, or a time relative to the first run: a minus sign, a whole number ' +
      'and a unit s, m, h, d or w, e.g. -30m, -24h, -7d (at most 365 days). Default: -24h.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
    defaultValue: DEFAULT_START_TIME,
  },
  {
    name: 'overlap_seconds',
    title: 'Overlap (seconds)',
    description:
      'How many seconds behind the checkpoint each run starts again, to catch alerts that reach the API late; ' +
      'versions already sent are not sent twice. A whole number from 0 to 86400, e.g. 600. Default: 300.',
    dataType: 'number',
    requiredOnCreate: false,
    requiredOnEdit: false,
    defaultValue: String(DEFAULT_OVERLAP_SECONDS),
  },
  {
    name: 'filter',
    title: 'Filter',
    description:
      'Optional OData $filter condition ANDed with the time condition (graph, mde and incidents; siem ignores it). ' +
      "Write the condition only, without $filter= or &, e.g. severity eq 'high' (graph, incidents) or " +
      "status ne 'Resolved' (mde).",
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'api_url',
    title: 'API URL',
    description:
      "Optional https base URL that replaces the region's API host; the API path is appended, " +
      'e.g. https://api-eu.securitycenter.microsoft.com. For private endpoints, new clouds and tests. Leave empty normally.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'login_url',
    title: 'Login URL',
    description:
      "Optional https base URL that replaces the region's Entra ID host; the authority becomes <login_url>/<tenant_id>, " +
      'e.g. https://login.microsoftonline.us. Leave empty normally.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'proxy_url',
    title: 'Proxy URL',
    description:
      'Optional proxy for every call to Microsoft: http://host:port or https://host:port, optionally with ' +
      'user:password@ before the host, e.g. http://proxy.example.com:8080. Empty: the app-wide proxy setting, if any.',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'replay_from',
    title: 'Replay from',
    description:
      'Optional: collect again from this time, once, e.g. after an indexing outage. The next run writes every ' +
      'version from this time up to the checkpoint again, even versions written before, then carries on as usual. ' +
      'An ISO-8601 UTC time, e.g. 2024-05-01T00:00:00Z, or relative to that run, e.g. -2d, -12h. Each new value ' +
      'replays once; saving the same value again, or clearing the field, does nothing. To replay again, enter a ' +
      'different value (e.g. -48h after -2d).',
    dataType: 'string',
    requiredOnCreate: false,
    requiredOnEdit: false,
  },
  {
    name: 'include_alerts',
    title: 'Include alerts (api incidents)',
    description:
      'api incidents only: also write each alert found inside the incidents, as ms:defender:graph:alerts events, ' +
      'each alert version once however often its incident changes. Set to false if another input with api graph ' +
      "already collects the same tenant's alerts. true or false. Default: true.",
    dataType: 'boolean',
    requiredOnCreate: false,
    requiredOnEdit: false,
    defaultValue: DEFAULT_INCLUDE_ALERTS,
  },
] satisfies InputArgument[]);

/** The argument names, for membership tests. */
export const ARGUMENT_NAMES: ReadonlySet<string> = new Set(INPUT_ARGUMENTS.map((argument) => argument.name));

/**
 * Splunk's own settings that arrive as params in the input XML (the stanza's, the `[defender_alerts]` defaults' and
 * system defaults merged) and are not arguments of ours (inputs.conf.spec: general, routing, pipeline-key and
 * scripted/modular input settings). They are never reported as unknown.
 */
export const SPLUNK_PARAMS: ReadonlySet<string> = new Set([
  'host',
  'index',
  'source',
  'sourcetype',
  'queue',
  'disabled',
  'interval',
  'start_by_shell',
  'python.version',
  'python.required',
  'run_introspection',
  'run_only_one',
  'passAuth',
  'send_index_as_argument_for_path',
  'persistentQueueSize',
  'queueSize',
  '_raw',
  '_meta',
  '_time',
  '_TCP_ROUTING',
  '_SYSLOG_ROUTING',
  '_INDEX_AND_FORWARD_ROUTING',
  '_rcvbuf',
]);
