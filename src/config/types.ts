/** Typed configuration, produced once from raw stanza strings by config/resolve.ts; everything downstream uses it. */
import type { ApiTime } from '../defender/api-time.js';

export type Api = 'graph' | 'mde' | 'siem' | 'incidents';

/** The sourcetype of each api's events (for incidents: of the incidents; their alerts are graph alerts). */
export const SOURCETYPES: Record<Api, string> = {
  graph: 'ms:defender:graph:alerts',
  mde: 'ms:defender:atp:alerts',
  siem: 'ms:defender:siem:detections',
  incidents: 'ms:defender:graph:incidents',
};

/** The value that replaces client_secret in inputs.conf once the secret is in storage/passwords. */
export const SECRET_MASK = '<encrypted>';

export type StartTime =
  | { kind: 'absolute'; time: ApiTime }
  /** Seconds before the first run's start. */
  | { kind: 'relative'; seconds: number };

/** replay_from: the value as the admin wrote it (what makes each new value replay once) and the time it means. */
export interface ReplayFrom {
  /** The trimmed text of the setting, compared with the value the checkpoint last applied. */
  text: string;
  start: StartTime;
}

/** The stanza's own secret (typed in, or masked once stored), or the secret of the account the stanza names. */
export type ClientSecret = { kind: 'clear'; value: string } | { kind: 'masked' } | { kind: 'account'; account: string };

/** Where to call: hosts, authority and token scope for the chosen api and region (defender/clouds.ts). */
export interface Endpoints {
  /**
   * Absolute URL of the collection the input reads, e.g. https://graph.microsoft.com/v1.0/security/alerts_v2 (api
   * incidents: …/v1.0/security/incidents).
   */
  alertsUrl: string;
  /** Base URL for other calls of the same API family (PATCH, indicators), e.g. https://api.security.microsoft.com */
  apiBase: string;
  /** Entra ID authority: `<login host>/<tenant>`. */
  authority: string;
  /** Token scope, `<resource>/.default`. */
  scope: string;
  /** host:port entries for msal's knownAuthorities when the login host is not a public Microsoft one. */
  knownAuthorities: string[];
}

export interface DefenderInputConfig {
  /** Full stanza name, `defender_alerts://<name>`. */
  stanza: string;
  /** The part after `://`. */
  name: string;
  /** The app where the stanza lives (input XML `app=`), for the REST call that masks the secret. */
  app: string | undefined;
  tenantId: string;
  clientId: string;
  clientSecret: ClientSecret;
  api: Api;
  region: string;
  startTime: StartTime;
  overlapSeconds: number;
  /** Extra OData clause ANDed with the time clause (graph, mde). */
  filter: string | undefined;
  apiUrl: string | undefined;
  loginUrl: string | undefined;
  proxyUrl: string | undefined;
  /** A one-shot re-collection from this time (applied once per new value), or undefined. */
  replayFrom: ReplayFrom | undefined;
  /** api incidents: also write the alerts inside the incidents (ignored by the other apis). */
  includeAlerts: boolean;
  /** Splunk's own settings; index is undefined for `default` or empty. */
  index: string | undefined;
  sourcetype: string;
  host: string | undefined;
  endpoints: Endpoints;
}
