/**
 * The ONE table of the `defender_stream` input's arguments (Defender XDR streaming through Azure Event Hubs). Its
 * scheme (config/stream-scheme.ts), README/inputs.conf.spec (checked against this table by a test) and
 * config/stream-resolve.ts all read it.
 */
import type { SchemeArgument } from '../modinput/scheme-types.js';
import { SECRET_MASK } from './types.js';

/** The scheme name: the stanza prefix `defender_stream://` and the launcher's base name. */
export const STREAM_SCHEME = 'defender_stream';

export type StreamArgumentName =
  | 'event_hub_namespace'
  | 'event_hub_name'
  | 'consumer_group'
  | 'connection_string'
  | 'account'
  | 'tenant_id'
  | 'client_id'
  | 'client_secret'
  | 'region'
  | 'start_position'
  | 'categories'
  | 'endpoint_url'
  | 'login_url'
  | 'proxy_url'
  | 'replay_from';

export interface StreamArgument extends SchemeArgument {
  name: StreamArgumentName;
  /** Used when the value is absent or empty; documented in the spec file as `Default:`. */
  defaultValue?: string;
}

export const DEFAULT_CONSUMER_GROUP = '$Default';
export const DEFAULT_START_POSITION = 'earliest';
export const DEFAULT_STREAM_SOURCETYPE = 'ms:defender:eventhub';

const optional = { dataType: 'string', requiredOnCreate: false, requiredOnEdit: false } as const;

/** The arguments, in the order Splunk Web shows them. */
export const STREAM_ARGUMENTS: readonly Readonly<StreamArgument>[] = Object.freeze([
  {
    name: 'event_hub_namespace',
    title: 'Event Hubs namespace',
    description:
      'Host name of the Event Hubs namespace the Defender export writes to, from the namespace Overview page ' +
      '("Host name"), e.g. contoso.servicebus.windows.net. A bare name such as contoso gets the region\'s suffix.',
    dataType: 'string',
    requiredOnCreate: true,
    requiredOnEdit: false,
  },
  {
    name: 'event_hub_name',
    title: 'Event hub',
    description:
      'Name of the event hub inside the namespace that the Defender streaming export writes to ' +
      '(Microsoft Defender portal → Settings → Microsoft Defender XDR → Streaming API), e.g. defender.',
    dataType: 'string',
    requiredOnCreate: true,
    requiredOnEdit: false,
  },
  {
    name: 'consumer_group',
    title: 'Consumer group',
    description:
      'Consumer group of the event hub to read as. Create a dedicated one for Splunk (event hub → Consumer groups): ' +
      "readers that share a group with other tools receive each other's events twice or lose their position. " +
      `Default: ${DEFAULT_CONSUMER_GROUP}.`,
    ...optional,
    defaultValue: DEFAULT_CONSUMER_GROUP,
  },
  {
    name: 'connection_string',
    title: 'Connection string',
    description:
      "Shared access (SAS) connection string of a policy with the Listen claim, from the event hub's or the " +
      'namespace\'s "Shared access policies" page, e.g. Endpoint=sb://contoso.servicebus.windows.net/;' +
      'SharedAccessKeyName=splunk;SharedAccessKey=…;EntityPath=defender. On its first run the input moves it to ' +
      `Splunk's encrypted credential store and leaves only ${SECRET_MASK} in inputs.conf. Use either this or ` +
      'Entra ID (Account, or Tenant ID + Client ID + Client secret).',
    ...optional,
  },
  {
    name: 'account',
    title: 'Account',
    description:
      "Entra ID instead of a connection string: the name of an account from the add-on's Configuration page whose " +
      'app registration has the role "Azure Event Hubs Data Receiver" on the event hub or namespace. ' +
      'Tenant ID, Client ID and Client secret then stay empty.',
    ...optional,
  },
  {
    name: 'tenant_id',
    title: 'Tenant ID',
    description:
      'Entra ID instead of a connection string: the Directory (tenant) ID of the app registration, a GUID, or a ' +
      'verified domain such as contoso.onmicrosoft.com. With Client ID and Client secret.',
    ...optional,
  },
  {
    name: 'client_id',
    title: 'Client ID',
    description:
      'Entra ID: the Application (client) ID of an app registration that has the role "Azure Event Hubs Data ' +
      'Receiver" on the event hub or namespace.',
    ...optional,
  },
  {
    name: 'client_secret',
    title: 'Client secret',
    description:
      "Entra ID: the client secret Value (not the Secret ID). On its first run the input moves it to Splunk's " +
      `encrypted credential store and leaves only ${SECRET_MASK} in inputs.conf.`,
    ...optional,
  },
  {
    name: 'region',
    title: 'Region',
    description:
      'Azure cloud of the namespace: global (default), gcc, gcc_high or dod. It sets the Entra ID login host and the ' +
      'namespace suffix (servicebus.windows.net, or servicebus.usgovcloudapi.net for gcc_high and dod).',
    ...optional,
  },
  {
    name: 'start_position',
    title: 'Start position',
    description:
      'Where a partition without a checkpoint starts: earliest (everything the hub still retains, the default), ' +
      'latest (only events enqueued from now on), an ISO-8601 UTC time such as 2024-05-01T00:00:00Z, or a time ' +
      'relative to the first run such as -24h. A partition added to the hub later always starts from its beginning.',
    ...optional,
    defaultValue: DEFAULT_START_POSITION,
  },
  {
    name: 'categories',
    title: 'Categories',
    description:
      'Optional comma-separated list of record categories to keep, e.g. AdvancedHunting-DeviceProcessEvents, ' +
      'AdvancedHunting-AlertInfo. Empty keeps every record, including categories Microsoft adds later.',
    ...optional,
  },
  {
    name: 'endpoint_url',
    title: 'Endpoint URL',
    description:
      'Optional custom AMQP endpoint amqps://host:port that replaces the namespace host on the wire (private ' +
      'endpoints, tests); the namespace stays in every token. Leave empty normally.',
    ...optional,
  },
  {
    name: 'login_url',
    title: 'Login URL',
    description:
      "Optional https base URL that replaces the region's Entra ID host; the authority becomes <login_url>/<tenant_id>. " +
      'Leave empty normally.',
    ...optional,
  },
  {
    name: 'proxy_url',
    title: 'Proxy URL',
    description:
      'Optional proxy: http://host:port or https://host:port, optionally with user:password@ before the host. With a ' +
      'proxy the input speaks AMQP over WebSockets on port 443 through it. Empty: the app-wide proxy setting, if any.',
    ...optional,
  },
  {
    name: 'replay_from',
    title: 'Replay from',
    description:
      'Optional: read again, once, every event enqueued since this time (the hub must still retain it), e.g. after ' +
      'an indexing outage. An ISO-8601 UTC time such as 2024-05-01T00:00:00Z, or relative such as -12h. Each new ' +
      'value replays once; saving the same value again, or clearing it, does nothing.',
    ...optional,
  },
] satisfies StreamArgument[]);

export const STREAM_ARGUMENT_NAMES: ReadonlySet<string> = new Set(STREAM_ARGUMENTS.map((argument) => argument.name));
