/**
 * Raw stanza params (strings from the input XML) → the typed DefenderInputConfig, once. Every problem is collected and
 * thrown together in one ConfigError, each sentence naming the field and the fix, so an admin fixes a stanza in one
 * pass. Pure: no I/O, no clock (relative start times stay relative until the first run).
 *
 * Never echoed in a message: client_secret, proxy_url (it may hold a password), the user-info part of any URL, and
 * the value of any parameter we do not know (a misspelt `clientsecret` is still a secret).
 */
import { parseApiTime } from '../defender/api-time.js';
import { DEFAULT_REGIONS, findCloud, listRegions, normaliseBaseUrl, resolveEndpoints } from '../defender/clouds.js';
import { ConfigError } from '../errors.js';
import {
  accountNameProblem,
  baseUrlProblem,
  clientIdProblem,
  clientSecretProblem,
  clientSecretWarning,
  resolveAccountRegion,
  tenantIdProblem,
  type Account,
} from './accounts.js';
import type { StanzaDefinition } from '../modinput/scheme-types.js';
import { findUnknownParams } from './argument-spelling.js';
import {
  ARGUMENT_NAMES,
  DEFAULT_API,
  DEFAULT_INCLUDE_ALERTS,
  DEFAULT_OVERLAP_SECONDS,
  DEFAULT_START_TIME,
  INPUT_SCHEME,
  MAX_OVERLAP_SECONDS,
  MAX_RELATIVE_START_DAYS,
  type ArgumentName,
} from './arguments.js';
import { parseFilter } from './odata-filter-lint.js';
import { parsed, problem, problemsOf, quote, type Parsed } from './parsed.js';
import { parseProxyUrl } from './proxy-url.js';
import {
  SECRET_MASK,
  SOURCETYPES,
  type Api,
  type ClientSecret,
  type DefenderInputConfig,
  type ReplayFrom,
  type StartTime,
} from './types.js';

/**
 * How the stanza reached us: run mode (`<input>`, name `defender_alerts://x`) or `--validate-arguments` (item name
 * `x`).
 */
export interface ResolveOptions {
  mode: 'run' | 'validate';
  /** The account the stanza names in `account`, read by the caller from splunkd (see accountNameOf in accounts.ts). */
  account?: Account;
}

/** The arguments an account stands for: a stanza that names an account leaves them empty. */
const ACCOUNT_FIELDS = ['tenant_id', 'client_id', 'client_secret', 'region'] as const satisfies readonly ArgumentName[];

/** A resolved stanza, with the warnings worth one WARN line each (e.g. a misspelt parameter). */
export interface ResolvedConfig {
  config: DefenderInputConfig;
  warnings: string[];
}

const APIS: readonly Api[] = ['graph', 'mde', 'siem', 'incidents'];
const RELATIVE_TIME = /^-(\d{1,7})([smhdw])$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
/**
 * `host` values that mean "let splunkd decide": sending them in events would name a host literally `$decideOnStartup`.
 */
const SPLUNK_DEFAULT_HOST = '$decideOnStartup';

/**
 * Resolves one stanza. Throws ConfigError listing every problem; returns warnings for what is odd but usable.
 * Empty values count as absent (Splunk Web posts empty fields). `index = default` means "no index" (splunkd's own
 * system default, which names no real index), and sourcetype defaults to the api's.
 */
export function resolveConfig(stanza: StanzaDefinition, options: ResolveOptions = { mode: 'run' }): ResolvedConfig {
  const { values: params, lists } = readParams(stanza.params);
  // An argument given as a list was reported once already; its reader would only add "is required".
  const field = <T>(name: ArgumentName, read: (value: string | undefined) => Parsed<T>): Parsed<T> | undefined =>
    lists.has(name) ? undefined : read(params.get(name));

  const name = readStanzaName(stanza.name, options.mode);
  const api = field('api', readApi);
  const accountName = field('account', (value) => readAccount(value, options.account));
  const account = accountName?.ok && accountName.value !== undefined ? options.account : undefined;
  // With an account, its own fields stand for the stanza's credentials and region; a stanza that names an account
  // that could not be read has that one problem, not three more about the fields it rightly leaves empty.
  const ownCredentials = !params.has('account');
  const own = <T>(result: () => Parsed<T> | undefined): Parsed<T> | undefined =>
    ownCredentials ? result() : undefined;
  const tenantId = account ? parsed(account.tenantId) : own(() => field('tenant_id', readTenantId));
  const clientId = account ? parsed(account.clientId) : own(() => field('client_id', readClientId));
  const clientSecret: Parsed<ClientSecret> | undefined = account
    ? parsed({ kind: 'account', account: account.name })
    : own(() => field('client_secret', readClientSecret));
  const region = account
    ? readAccountRegion(account, api?.ok ? api.value : undefined)
    : own(() => field('region', (value) => readRegion(value, api?.ok ? api.value : undefined)));
  const doubled = account ? ACCOUNT_FIELDS.filter((key) => params.has(key)) : [];
  const startTime = field('start_time', readStartTime);
  const overlapSeconds = field('overlap_seconds', readOverlapSeconds);
  const filter = field('filter', (value) => (value === undefined ? parsed(undefined) : parseFilter(value)));
  const apiUrl = field('api_url', (value) => readBaseUrl('api_url', value));
  const loginUrl = field('login_url', (value) => readBaseUrl('login_url', value));
  const proxyUrl = field('proxy_url', readProxyUrl);
  const replayFrom = field('replay_from', readReplayFrom);
  const includeAlerts = field('include_alerts', readIncludeAlerts);

  const problems = [
    ...[...lists].map((key) => `${key} was given ${listLength(stanza.params[key])} values: give it one value.`),
    ...problemsOf([
      name,
      accountName,
      tenantId,
      clientId,
      clientSecret,
      api,
      region,
      startTime,
      overlapSeconds,
      filter,
    ]),
    ...problemsOf([apiUrl, loginUrl, proxyUrl, replayFrom, includeAlerts]),
    ...doubled.map(
      (key) =>
        `${key} is set together with account ${quote(account!.name)}: leave ${key} empty to use the account's, or clear account.`,
    ),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  const a = valueOf(api);
  const regionValue = valueOf(region);
  const secret = valueOf(clientSecret);
  if (regionValue === undefined) throw new Error('resolveConfig: a region is missing without a problem reported');

  const index = params.get('index');
  const host = params.get('host');
  const resolved = {
    tenantId: valueOf(tenantId),
    api: a,
    region: regionValue,
    apiUrl: valueOf(apiUrl),
    loginUrl: valueOf(loginUrl) ?? account?.loginUrl,
  };
  return {
    config: {
      stanza: `${INPUT_SCHEME}://${valueOf(name)}`,
      name: valueOf(name),
      app: stanza.app === '' ? undefined : stanza.app,
      clientId: valueOf(clientId),
      clientSecret: secret,
      ...resolved,
      startTime: valueOf(startTime),
      overlapSeconds: valueOf(overlapSeconds),
      filter: valueOf(filter),
      proxyUrl: valueOf(proxyUrl),
      replayFrom: valueOf(replayFrom),
      includeAlerts: valueOf(includeAlerts),
      index: index === 'default' ? undefined : index,
      sourcetype: params.get('sourcetype') ?? SOURCETYPES[a],
      host: host === SPLUNK_DEFAULT_HOST ? undefined : host,
      endpoints: resolveEndpoints(resolved),
    },
    warnings: [
      ...secretWarnings(secret),
      ...includeAlertsWarnings(a, params.get('include_alerts')),
      ...findUnknownParams(stanza.params),
    ],
  };
}

/** The value of a field whose problems were all reported (every field read without a problem has one). */
function valueOf<T>(result: Parsed<T> | undefined): T {
  if (!result?.ok) throw new Error('resolveConfig: a value is missing without a problem reported');
  return result.value;
}

function listLength(value: string | string[] | undefined): number {
  return Array.isArray(value) ? value.length : 1;
}

/**
 * Trimmed single values, empty ones left out, and the names of our arguments that came as a list (a problem, reported
 * without the values). Splunk's own params are never lists in practice; a list there is ignored.
 */
function readParams(raw: Record<string, string | string[]>): { values: Map<string, string>; lists: Set<ArgumentName> } {
  const values = new Map<string, string>();
  const lists = new Set<ArgumentName>();
  for (const [key, value] of Object.entries(raw)) {
    if (Array.isArray(value)) {
      if (ARGUMENT_NAMES.has(key)) lists.add(key as ArgumentName);
      continue;
    }
    const trimmed = value.trim();
    if (trimmed !== '') values.set(key, trimmed);
  }
  return { values, lists };
}

function readStanzaName(raw: string, mode: ResolveOptions['mode']): Parsed<string> {
  const prefix = `${INPUT_SCHEME}://`;
  let name: string;
  if (raw.startsWith(prefix)) {
    name = raw.slice(prefix.length);
  } else if (mode === 'validate') {
    // splunkd sends the item's short name here (the SDK fixtures) and nothing else we could check it against.
    name = raw;
  } else {
    return problem(
      `stanza ${quote(raw)} is not a ${prefix}<name> stanza: run this script only for ${INPUT_SCHEME} inputs.`,
    );
  }
  if (name === '') {
    return problem(`The input has no name: give the stanza a name, as in [${prefix}my_tenant].`);
  }
  return parsed(name);
}

function readTenantId(value: string | undefined): Parsed<string> {
  return fromProblem(value, tenantIdProblem(value));
}

function readClientId(value: string | undefined): Parsed<string> {
  return fromProblem(value, clientIdProblem(value));
}

function readClientSecret(value: string | undefined): Parsed<ClientSecret> {
  if (value === undefined) return problem(clientSecretProblem(value, true)!);
  return parsed(value === SECRET_MASK ? { kind: 'masked' } : { kind: 'clear', value });
}

/** A value the shared account rules (config/accounts.ts) checked: it, or their sentence. */
function fromProblem(value: string | undefined, message: string | undefined): Parsed<string> {
  return message === undefined && value !== undefined ? parsed(value) : problem(message ?? 'a value is required.');
}

/** Entra ID shows the Secret ID (a GUID) beside the Value; pasting the ID is the most common set-up mistake. */
function secretWarnings(secret: ClientSecret): string[] {
  const warning = secret.kind === 'clear' ? clientSecretWarning(secret.value) : undefined;
  return warning === undefined ? [] : [warning];
}

/** `account`: a usable name that the caller could read (it passes the account in), or absent. */
function readAccount(value: string | undefined, account: Account | undefined): Parsed<string | undefined> {
  if (value === undefined) return parsed(undefined);
  const nameProblem = accountNameProblem(value);
  if (nameProblem !== undefined) return problem(`account: ${nameProblem}`);
  if (account?.name !== value)
    return problem(
      `account ${quote(value)} could not be read: check that it exists on the add-on's Configuration page.`,
    );
  return parsed(value);
}

function readAccountRegion(account: Account, api: Api | undefined): Parsed<string | undefined> {
  if (api === undefined) return parsed(undefined);
  const region = resolveAccountRegion(account, api);
  return region.ok ? parsed(region.region) : problem(region.problem);
}

function readApi(value: string | undefined): Parsed<Api> {
  const api = (value ?? DEFAULT_API).toLowerCase();
  if ((APIS as readonly string[]).includes(api)) return parsed(api as Api);
  return problem(
    `api ${quote(value ?? '')} is not one of ${APIS.join(', ')}: use graph (Microsoft Graph alerts_v2, the default), ` +
      'mde (Defender for Endpoint), siem (legacy SIEM exporter) or incidents (Microsoft Graph incidents with their ' +
      'alerts).',
  );
}

/** include_alerts on another api does nothing: say so rather than let an admin believe it filters something. */
function includeAlertsWarnings(api: Api, value: string | undefined): string[] {
  if (api === 'incidents' || value === undefined) return [];
  return [`include_alerts is set but api=${api}: it applies to api=incidents only and is ignored here.`];
}

/** Region keys are lower-case with `_`; `GCC-High` as other add-ons spell it means gcc_high. */
function readRegion(value: string | undefined, api: Api | undefined): Parsed<string | undefined> {
  const region = value?.toLowerCase().replace(/-/g, '_');
  if (api === undefined) {
    // The api is wrong already; still catch a region no api has, so both problems come in one pass.
    if (region !== undefined && !APIS.some((candidate) => findCloud(candidate, region))) {
      const known = [...new Set(APIS.flatMap((candidate) => listRegions(candidate)))].join(', ');
      return problem(
        `region ${quote(value!)} is not a region of any api: use one of ${known}, as the chosen api allows.`,
      );
    }
    return parsed(undefined);
  }
  const regions = listRegions(api).join(', ');
  if (region === undefined) {
    const fallback = DEFAULT_REGIONS[api];
    if (fallback !== undefined) return parsed(fallback);
    return problem(
      `region is required for api=${api}: use one of ${regions} (the data location of your Defender tenant).`,
    );
  }
  if (findCloud(api, region)) return parsed(region);
  const fallback = DEFAULT_REGIONS[api];
  const empty = fallback !== undefined ? ` (or leave it empty for ${fallback})` : '';
  return problem(`region ${quote(value!)} does not exist for api=${api}: use one of ${regions}${empty}.`);
}

function readStartTime(value: string | undefined): Parsed<StartTime> {
  return readTimeSetting('start_time', value ?? DEFAULT_START_TIME);
}

/** replay_from: empty means no replay; otherwise a time like start_time's, kept with the text the admin wrote. */
function readReplayFrom(value: string | undefined): Parsed<ReplayFrom | undefined> {
  if (value === undefined) return parsed(undefined);
  const start = readTimeSetting('replay_from', value);
  return start.ok ? parsed({ text: value, start: start.value }) : start;
}

/** An ISO-8601 UTC time (or a date), or `-<n><unit>` relative to the run that applies it. */
export function readTimeSetting(field: string, text: string): Parsed<StartTime> {
  const relative = RELATIVE_TIME.exec(text);
  if (relative) {
    const seconds = Number(relative[1]) * UNIT_SECONDS[relative[2]!]!;
    if (seconds > MAX_RELATIVE_START_DAYS * 86_400) {
      return problem(
        `${field} ${quote(text)} reaches back more than ${MAX_RELATIVE_START_DAYS} days: use an absolute time ` +
          `such as 2024-01-01T00:00:00Z to ${field === 'replay_from' ? 'replay from' : 'start'} earlier.`,
      );
    }
    return parsed({ kind: 'relative', seconds });
  }
  const time = parseApiTime(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  if (time !== undefined && /^\d{4}-/.test(text)) return parsed({ kind: 'absolute', time });
  return problem(
    `${field} ${quote(text)} is not a time: use an ISO-8601 UTC time such as 2024-05-01T00:00:00Z, or a relative ` +
      'time such as -30m, -24h or -7d (units s, m, h, d, w).',
  );
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 't', 'y']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'f', 'n']);

/** A Splunk boolean (splunkd writes 1/0, Splunk Web true/false). */
function readIncludeAlerts(value: string | undefined): Parsed<boolean> {
  const text = (value ?? DEFAULT_INCLUDE_ALERTS).toLowerCase();
  if (TRUE_WORDS.has(text)) return parsed(true);
  if (FALSE_WORDS.has(text)) return parsed(false);
  return problem(`include_alerts ${quote(value ?? '')} is not true or false: use true (the default) or false.`);
}

function readOverlapSeconds(value: string | undefined): Parsed<number> {
  if (value === undefined) return parsed(DEFAULT_OVERLAP_SECONDS);
  const fix = `use a whole number of seconds from 0 to ${MAX_OVERLAP_SECONDS}, e.g. ${DEFAULT_OVERLAP_SECONDS}.`;
  if (!/^\d{1,9}$/.test(value)) return problem(`overlap_seconds ${quote(value)} is not a whole number: ${fix}`);
  const seconds = Number(value);
  if (seconds > MAX_OVERLAP_SECONDS) {
    return problem(`overlap_seconds ${value} is above the maximum of ${MAX_OVERLAP_SECONDS} (one day): ${fix}`);
  }
  return parsed(seconds);
}

/** api_url / login_url: https, no user-info, query or fragment; returned normalised, without a trailing slash. */
function readBaseUrl(field: 'api_url' | 'login_url', value: string | undefined): Parsed<string | undefined> {
  const message = baseUrlProblem(field, value);
  if (message !== undefined) return problem(message);
  return parsed(value === undefined ? undefined : normaliseBaseUrl(value));
}

function readProxyUrl(value: string | undefined): Parsed<string | undefined> {
  return value === undefined ? parsed(undefined) : parseProxyUrl(value, 'proxy_url');
}
