/** Typed configuration of a `defender_stream` stanza, produced once by config/stream-resolve.ts. */
import type { ReplayFrom, StartTime } from './types.js';

/** Azure clouds the stream input knows: Entra ID login host and the namespace suffix. */
export type StreamRegion = 'global' | 'gcc' | 'gcc_high' | 'dod';

/** Where a partition without a checkpoint starts. */
export type StartPosition = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; time: StartTime };

/** A secret as the stanza holds it: typed in (clear), or the mask once it is in storage/passwords. */
export type StanzaSecret = { kind: 'clear'; value: string } | { kind: 'masked' };

export type StreamAuth =
  | { kind: 'sas'; connectionString: StanzaSecret }
  | {
      kind: 'entra';
      tenantId: string;
      clientId: string;
      /** The stanza's own secret, or the account that holds it. */
      clientSecret: StanzaSecret | { kind: 'account'; account: string };
      /** `<login host>/<tenant>`. */
      authority: string;
      /** host:port entries for msal's knownAuthorities when login_url is set. */
      knownAuthorities: string[];
    };

export interface StreamInputConfig {
  /** `defender_stream://<name>`. */
  stanza: string;
  name: string;
  app: string | undefined;
  /** Fully qualified namespace host, e.g. contoso.servicebus.windows.net. */
  namespace: string;
  hub: string;
  consumerGroup: string;
  auth: StreamAuth;
  region: StreamRegion;
  startPosition: StartPosition;
  /** Lower-cased categories to keep; empty keeps all. */
  categories: ReadonlySet<string>;
  /** `sb://host:port` for the SDK's customEndpointAddress, from endpoint_url. */
  customEndpointAddress: string | undefined;
  proxyUrl: string | undefined;
  replayFrom: ReplayFrom | undefined;
  index: string | undefined;
  sourcetype: string;
  host: string | undefined;
}

/** The Entra ID token scope of Event Hubs (https://learn.microsoft.com/azure/event-hubs/authenticate-application). */
export const EVENT_HUBS_SCOPE = 'https://eventhubs.azure.net/.default';
