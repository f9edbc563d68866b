/**
 * Raw `defender_stream` stanza params → StreamInputConfig, with every problem collected into one ConfigError, each
 * naming the field and the fix. Pure. Never echoed: connection_string, client_secret, proxy_url, unknown params.
 */
import { ConfigError } from '../errors.js';
import type { StanzaDefinition } from '../modinput/scheme-types.js';
import { baseUrlProblem, clientIdProblem, tenantIdProblem, type Account } from './accounts.js';
import { parsed, problem, problemsOf, quote, type Parsed } from './parsed.js';
import { parseProxyUrl } from './proxy-url.js';
import { findUnknownParams } from './argument-spelling.js';
import { readTimeSetting } from './resolve.js';
import {
  DEFAULT_CONSUMER_GROUP,
  DEFAULT_STREAM_SOURCETYPE,
  STREAM_ARGUMENT_NAMES,
  STREAM_ARGUMENTS,
  STREAM_SCHEME,
  type StreamArgumentName,
} from './stream-arguments.js';
import type { StanzaSecret, StartPosition, StreamAuth, StreamInputConfig, StreamRegion } from './stream-config.js';
import { SECRET_MASK, type ReplayFrom } from './types.js';

/**
 * Entra ID login host and Event Hubs namespace suffix per cloud
 * (https://learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure).
 */
export const STREAM_REGIONS: Readonly<Record<StreamRegion, { loginHost: string; suffix: string }>> = Object.freeze({
  global: { loginHost: 'https://login.microsoftonline.com', suffix: 'servicebus.windows.net' },
  gcc: { loginHost: 'https://login.microsoftonline.com', suffix: 'servicebus.windows.net' },
  gcc_high: { loginHost: 'https://login.microsoftonline.us', suffix: 'servicebus.usgovcloudapi.net' },
  dod: { loginHost: 'https://login.microsoftonline.us', suffix: 'servicebus.usgovcloudapi.net' },
});

export interface StreamResolveOptions {
  mode: 'run' | 'validate';
  /** The account the stanza names, read by the caller from splunkd. */
  account?: Account;
}

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/**
 * Event hub and consumer group names: letters, digits, `.`, `-`, `_`, `$`
 * (https://learn.microsoft.com/azure/event-hubs/event-hubs-quotas).
 */
const ENTITY = /^[A-Za-z0-9$][A-Za-z0-9._$-]{0,255}$/;
const SPLUNK_DEFAULT_HOST = '$decideOnStartup';

export function resolveStreamConfig(
  stanza: StanzaDefinition,
  options: StreamResolveOptions = { mode: 'run' },
): { config: StreamInputConfig; warnings: string[] } {
  const params = new Map<string, string>();
  const lists: string[] = [];
  for (const [key, value] of Object.entries(stanza.params)) {
    if (Array.isArray(value)) {
      if (STREAM_ARGUMENT_NAMES.has(key)) lists.push(key);
      continue;
    }
    if (value.trim() !== '') params.set(key, value.trim());
  }
  const get = (name: StreamArgumentName) => params.get(name);

  const name = readName(stanza.name, options.mode);
  const region = readRegion(get('region'), options.account);
  const namespace = readNamespace(get('event_hub_namespace'), region.ok ? region.value : 'global');
  const hub = readEntity('event_hub_name', get('event_hub_name'), true);
  const consumerGroup = readEntity('consumer_group', get('consumer_group') ?? DEFAULT_CONSUMER_GROUP, true);
  const auth = readAuth(params, options.account, region.ok ? region.value : 'global', hub.ok ? hub.value : undefined);
  const startPosition = readStartPosition(get('start_position'));
  const categories = parsed(
    new Set(
      (get('categories') ?? '')
        .split(',')
        .map((c) => c.trim().toLowerCase())
        .filter((c) => c !== ''),
    ),
  );
  const endpoint = readEndpointUrl(get('endpoint_url'));
  const proxy = get('proxy_url') === undefined ? parsed(undefined) : parseProxyUrl(get('proxy_url')!, 'proxy_url');
  const replay = readReplayFrom(get('replay_from'));

  const problems = [
    ...lists.map((key) => `${key} was given several values: give it one value.`),
    ...problemsOf([name, region, namespace, hub, consumerGroup, auth, startPosition, endpoint, proxy, replay]),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  const value = <T>(p: Parsed<T>): T => {
    if (!p.ok) throw new Error('resolveStreamConfig: a value is missing without a problem reported');
    return p.value;
  };
  const index = params.get('index');
  const host = params.get('host');
  return {
    config: {
      stanza: `${STREAM_SCHEME}://${value(name)}`,
      name: value(name),
      app: stanza.app === '' ? undefined : stanza.app,
      namespace: value(namespace),
      hub: value(hub),
      consumerGroup: value(consumerGroup),
      auth: value(auth),
      region: value(region),
      startPosition: value(startPosition),
      categories: value(categories),
      customEndpointAddress: value(endpoint),
      proxyUrl: value(proxy),
      replayFrom: value(replay),
      index: index === 'default' ? undefined : index,
      sourcetype: params.get('sourcetype') ?? DEFAULT_STREAM_SOURCETYPE,
      host: host === SPLUNK_DEFAULT_HOST ? undefined : host,
    },
    warnings: findUnknownParams(stanza.params, {
      scheme: STREAM_SCHEME,
      arguments: STREAM_ARGUMENTS.map((argument) => argument.name),
    }),
  };
}

function readName(raw: string, mode: StreamResolveOptions['mode']): Parsed<string> {
  const prefix = `${STREAM_SCHEME}://`;
  let name = raw;
  if (raw.startsWith(prefix)) name = raw.slice(prefix.length);
  else if (mode === 'run')
    return problem(
      `stanza ${quote(raw)} is not a ${prefix}<name> stanza: run this script only for ${STREAM_SCHEME} inputs.`,
    );
  if (name === '') return problem(`The input has no name: give the stanza a name, as in [${prefix}defender].`);
  return parsed(name);
}

function readRegion(value: string | undefined, account: Account | undefined): Parsed<StreamRegion> {
  const text = (value ?? account?.region ?? 'global').toLowerCase().replace(/-/g, '_');
  if (text in STREAM_REGIONS) return parsed(text as StreamRegion);
  return problem(
    `region ${quote(value ?? text)} is not an Azure cloud of Event Hubs: use global (the default), gcc, gcc_high or dod.`,
  );
}

function readNamespace(value: string | undefined, region: StreamRegion): Parsed<string> {
  const fix = `copy the namespace's "Host name" from its Overview page in the Azure portal, e.g. contoso.${STREAM_REGIONS[region].suffix}.`;
  if (value === undefined) return problem(`event_hub_namespace is required: ${fix}`);
  let host = value.toLowerCase();
  const scheme = /^(?:sb|amqps|https?):\/\/([^/]+)\/?$/.exec(host);
  if (scheme) host = scheme[1]!;
  if (!HOST.test(host)) return problem(`event_hub_namespace ${quote(value)} is not a host name: ${fix}`);
  // A bare namespace name gets the cloud's suffix; `localhost` is a host of its own (test brokers).
  if (!host.includes('.') && host !== 'localhost') host = `${host}.${STREAM_REGIONS[region].suffix}`;
  return parsed(host);
}

function readEntity(
  field: 'event_hub_name' | 'consumer_group',
  value: string | undefined,
  required: boolean,
): Parsed<string> {
  const what =
    field === 'event_hub_name' ? 'the event hub the Defender export writes to' : 'a consumer group of the hub';
  if (value === undefined) {
    return required ? problem(`${field} is required: give the name of ${what}.`) : parsed('');
  }
  if (ENTITY.test(value)) return parsed(value);
  return problem(
    `${field} ${quote(value)} is not an Event Hubs name: use the name of ${what}, made of letters, digits, ".", "-", "_" (and "$" as in $Default).`,
  );
}

/** Exactly one way in: a connection string, or Entra ID (an account, or tenant_id + client_id + client_secret). */
function readAuth(
  params: Map<string, string>,
  account: Account | undefined,
  region: StreamRegion,
  hub: string | undefined,
): Parsed<StreamAuth> {
  const connectionString = params.get('connection_string');
  const accountName = params.get('account');
  const entraFields = (['tenant_id', 'client_id', 'client_secret'] as const).filter((key) => params.has(key));
  const entra = accountName !== undefined || entraFields.length > 0;
  if (connectionString !== undefined && entra) {
    return problem(
      `connection_string is set together with ${accountName !== undefined ? 'account' : entraFields.join(', ')}: use one way to sign in, either the SAS connection string or Entra ID, and clear the other.`,
    );
  }
  if (connectionString !== undefined) {
    if (connectionString === SECRET_MASK) return parsed({ kind: 'sas', connectionString: { kind: 'masked' } });
    const shape = connectionStringProblem(connectionString, hub);
    return shape === undefined
      ? parsed({ kind: 'sas', connectionString: { kind: 'clear', value: connectionString } })
      : problem(shape);
  }
  if (!entra) {
    return problem(
      'No credentials: set connection_string (a SAS policy with the Listen claim, from the hub\'s "Shared access policies" page), or Entra ID: account, or tenant_id, client_id and client_secret of an app with the role "Azure Event Hubs Data Receiver".',
    );
  }
  if (accountName !== undefined) {
    if (entraFields.length > 0)
      return problem(
        `${entraFields.join(', ')} set together with account ${quote(accountName)}: leave them empty to use the account's, or clear account.`,
      );
    if (account?.name !== accountName)
      return problem(
        `account ${quote(accountName)} could not be read: check that it exists on the add-on's Configuration page.`,
      );
    const login = loginOf(params.get('login_url') ?? account.loginUrl, region);
    if (!login.ok) return login;
    return parsed({
      kind: 'entra',
      tenantId: account.tenantId,
      clientId: account.clientId,
      clientSecret: { kind: 'account', account: account.name },
      authority: `${login.value}/${account.tenantId}`,
      knownAuthorities: params.has('login_url') || account.loginUrl ? [new URL(login.value).host] : [],
    });
  }
  const tenantId = params.get('tenant_id');
  const clientId = params.get('client_id');
  const secret = params.get('client_secret');
  const problems = [
    tenantIdProblem(tenantId),
    clientIdProblem(clientId),
    secret === undefined
      ? "client_secret is required with tenant_id and client_id: paste the secret's Value from the app's Certificates & secrets page."
      : undefined,
  ].filter((p): p is string => p !== undefined);
  const login = loginOf(params.get('login_url'), region);
  if (!login.ok) problems.push(login.problem);
  if (problems.length > 0 || !login.ok) return problem(problems.join(' '));
  const clientSecret: StanzaSecret = secret === SECRET_MASK ? { kind: 'masked' } : { kind: 'clear', value: secret! };
  return parsed({
    kind: 'entra',
    tenantId: tenantId!,
    clientId: clientId!,
    clientSecret,
    authority: `${login.value}/${tenantId!}`,
    knownAuthorities: params.has('login_url') ? [new URL(login.value).host] : [],
  });
}

function loginOf(loginUrl: string | undefined, region: StreamRegion): Parsed<string> {
  if (loginUrl === undefined) return parsed(STREAM_REGIONS[region].loginHost);
  const message = baseUrlProblem('login_url', loginUrl);
  return message === undefined ? parsed(loginUrl.replace(/\/+$/, '')) : problem(message);
}

/** The shape of a SAS connection string; never echoes it (it holds the key). */
export function connectionStringProblem(value: string, hub: string | undefined): string | undefined {
  const parts = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const fix =
    'copy "Connection string–primary key" of a policy with the Listen claim from the event hub\'s (or namespace\'s) Shared access policies page (value not shown).';
  if (
    !parts.get('endpoint')?.startsWith('sb://') ||
    !parts.get('sharedaccesskeyname') ||
    !parts.get('sharedaccesskey')
  ) {
    if (parts.has('sharedaccesssignature')) return undefined;
    return `connection_string is not an Event Hubs connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…): ${fix}`;
  }
  const entityPath = parts.get('entitypath');
  if (entityPath !== undefined && hub !== undefined && entityPath.toLowerCase() !== hub.toLowerCase()) {
    return `connection_string is for the event hub ${quote(entityPath)} but event_hub_name is ${quote(hub)}: use the policy of the hub ${quote(hub)}, a namespace-level policy, or correct event_hub_name.`;
  }
  return undefined;
}

function readStartPosition(value: string | undefined): Parsed<StartPosition> {
  const text = (value ?? 'earliest').toLowerCase();
  if (text === 'earliest') return parsed({ kind: 'earliest' });
  if (text === 'latest') return parsed({ kind: 'latest' });
  const time = readTimeSetting('start_position', value!);
  return time.ok
    ? parsed({ kind: 'time', time: time.value })
    : problem(`${time.problem.slice(0, -1)}, or earliest or latest.`);
}

function readReplayFrom(value: string | undefined): Parsed<ReplayFrom | undefined> {
  if (value === undefined) return parsed(undefined);
  const time = readTimeSetting('replay_from', value);
  return time.ok ? parsed({ text: value, start: time.value }) : time;
}

/** endpoint_url `amqps://host[:port]` → the SDK's customEndpointAddress `sb://host:port`. */
function readEndpointUrl(value: string | undefined): Parsed<string | undefined> {
  if (value === undefined) return parsed(undefined);
  const fix = 'use amqps://host:port, e.g. amqps://my-private-endpoint.contoso.com:5671, or leave it empty.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem(`endpoint_url ${quote(value)} is not a URL: ${fix}`);
  }
  if (url.protocol !== 'amqps:' && url.protocol !== 'sb:')
    return problem(`endpoint_url ${quote(value)} is not an amqps:// URL (events must travel encrypted): ${fix}`);
  if (url.username !== '' || url.password !== '')
    return problem(
      'endpoint_url holds a user name or password (value not shown): remove it; credentials go in connection_string or Entra ID.',
    );
  return parsed(`sb://${url.hostname}:${url.port === '' ? '5671' : url.port}`);
}
