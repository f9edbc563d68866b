/**
 * Raw stanza params (strings from the input XML) → the typed DefenderInputConfig, once. Every problem is collected and
 * thrown together in one ConfigError, each sentence naming the field and the fix, so an admin fixes a stanza in one
 * pass. Pure: no I/O, no clock (relative start times stay relative until the first run).
 *
 * Never echoed in a message: client_secret, proxy_url (it may hold a password), the user-info part of any URL, and
 * the value of any parameter we do not know (a misspelt `clientsecret` is still a secret).
 */
import { formatApiTime, parseApiTime } from '../defender/api-time.js';
import { DEFAULT_REGIONS, findCloud, listRegions, normaliseBaseUrl, resolveEndpoints } from '../defender/clouds.js';
import { ConfigError } from '../errors.js';
import { isProxyUrl } from './app-settings.js';
import { baseUrlProblem, clientIdProblem, clientSecretProblem, clientSecretWarning, tenantIdProblem } from './accounts.js';
import type { StanzaDefinition } from '../modinput/scheme-types.js';
import {
  ARGUMENT_NAMES,
  DEFAULT_API,
  DEFAULT_OVERLAP_SECONDS,
  DEFAULT_START_TIME,
  INPUT_ARGUMENTS,
  INPUT_SCHEME,
  MAX_OVERLAP_SECONDS,
  MAX_RELATIVE_START_DAYS,
  SPLUNK_PARAMS,
  type ArgumentName,
} from './arguments.js';
import { SECRET_MASK, SOURCETYPES, type Api, type ClientSecret, type DefenderInputConfig, type StartTime } from './types.js';

/** How the stanza reached us: run mode (`<input>`, name `defender_alerts://x`) or `--validate-arguments` (item name `x`). */
export interface ResolveOptions {
  mode: 'run' | 'validate';
}

/** A resolved stanza, with the warnings worth one WARN line each (e.g. a misspelt parameter). */
export interface ResolvedConfig {
  config: DefenderInputConfig;
  warnings: string[];
}

const APIS: readonly Api[] = ['graph', 'mde', 'siem'];
const RELATIVE_TIME = /^-(\d{1,7})([smhdw])$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
/** Longer filters would push the query past the URL lengths proxies and Microsoft's front doors accept. */
const MAX_FILTER_LENGTH = 2_000;
/** `host` values that mean "let splunkd decide": sending them in events would name a host literally `$decideOnStartup`. */
const SPLUNK_DEFAULT_HOST = '$decideOnStartup';

/**
 * Resolves one stanza. Throws ConfigError listing every problem; returns warnings for what is odd but usable.
 * Empty values count as absent (Splunk Web posts empty fields). `index = default` means "no index" (splunkd's own
 * system default, which names no real index), and sourcetype defaults to the api's.
 */
export function resolveConfig(stanza: StanzaDefinition, options: ResolveOptions = { mode: 'run' }): ResolvedConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const { values: params, lists } = readParams(stanza.params, problems);
  // An argument given as a list was reported once already; its reader would only add "is required".
  const field = <T>(name: ArgumentName, read: (value: string | undefined) => T): T | undefined =>
    lists.has(name) ? undefined : read(params.get(name));

  const name = readStanzaName(stanza.name, options.mode, problems);
  const tenantId = field('tenant_id', (value) => readTenantId(value, problems));
  const clientId = field('client_id', (value) => readClientId(value, problems));
  const clientSecret = field('client_secret', (value) => readClientSecret(value, problems, warnings));
  const api = field('api', (value) => readApi(value, problems));
  const region = field('region', (value) => readRegion(value, api, problems));
  const startTime = field('start_time', (value) => readStartTime(value, problems));
  const overlapSeconds = field('overlap_seconds', (value) => readOverlapSeconds(value, problems));
  const filter = field('filter', (value) => readFilter(value, problems));
  const apiUrl = field('api_url', (value) => readBaseUrl('api_url', value, problems));
  const loginUrl = field('login_url', (value) => readBaseUrl('login_url', value, problems));
  const proxyUrl = field('proxy_url', (value) => readProxyUrl(value, problems));
  warnings.push(...findUnknownParams(stanza.params));

  if (problems.length > 0) throw new ConfigError(problems);
  // Every `undefined` below was reported as a problem above; the checks only narrow the types.
  if (name === undefined || tenantId === undefined || clientId === undefined || clientSecret === undefined ||
    api === undefined || region === undefined || startTime === undefined || overlapSeconds === undefined) {
    throw new Error('resolveConfig: a value is missing without a problem reported');
  }

  const index = params.get('index');
  const host = params.get('host');
  return {
    config: {
      stanza: `${INPUT_SCHEME}://${name}`,
      name,
      app: stanza.app === '' ? undefined : stanza.app,
      tenantId,
      clientId,
      clientSecret,
      api,
      region,
      startTime,
      overlapSeconds,
      filter,
      apiUrl,
      loginUrl,
      proxyUrl,
      index: index === 'default' ? undefined : index,
      sourcetype: params.get('sourcetype') ?? SOURCETYPES[api],
      host: host === SPLUNK_DEFAULT_HOST ? undefined : host,
      endpoints: resolveEndpoints({ api, region, tenantId, apiUrl, loginUrl }),
    },
    warnings,
  };
}

/**
 * Trimmed single values, empty ones left out, and the names of our arguments that came as a list (a problem, reported
 * here without the values). Splunk's own params are never lists in practice; a list there is ignored.
 */
function readParams(raw: Record<string, string | string[]>, problems: string[]): { values: Map<string, string>; lists: Set<string> } {
  const values = new Map<string, string>();
  const lists = new Set<string>();
  for (const [key, value] of Object.entries(raw)) {
    if (Array.isArray(value)) {
      if (ARGUMENT_NAMES.has(key)) {
        lists.add(key);
        problems.push(`${key} was given ${value.length} values: give it one value.`);
      }
      continue;
    }
    const trimmed = value.trim();
    if (trimmed !== '') values.set(key, trimmed);
  }
  return { values, lists };
}

function readStanzaName(raw: string, mode: ResolveOptions['mode'], problems: string[]): string | undefined {
  const prefix = `${INPUT_SCHEME}://`;
  let name: string;
  if (raw.startsWith(prefix)) {
    name = raw.slice(prefix.length);
  } else if (mode === 'validate') {
    // splunkd sends the item's short name here (the SDK fixtures) and nothing else we could check it against.
    name = raw;
  } else {
    problems.push(`stanza ${quote(raw)} is not a ${prefix}<name> stanza: run this script only for ${INPUT_SCHEME} inputs.`);
    return undefined;
  }
  if (name === '') {
    problems.push(`The input has no name: give the stanza a name, as in [${prefix}my_tenant].`);
    return undefined;
  }
  return name;
}

function readTenantId(value: string | undefined, problems: string[]): string | undefined {
  const problem = tenantIdProblem(value);
  return problem === undefined ? value : reject(problems, problem);
}

function readClientId(value: string | undefined, problems: string[]): string | undefined {
  const problem = clientIdProblem(value);
  return problem === undefined ? value : reject(problems, problem);
}

function readClientSecret(value: string | undefined, problems: string[], warnings: string[]): ClientSecret | undefined {
  if (value === undefined) return reject(problems, clientSecretProblem(value, true)!);
  if (value === SECRET_MASK) return { kind: 'masked' };
  // Entra ID shows the Secret ID (a GUID) beside the Value; pasting the ID is the most common set-up mistake.
  const warning = clientSecretWarning(value);
  if (warning !== undefined) warnings.push(warning);
  return { kind: 'clear', value };
}

function readApi(value: string | undefined, problems: string[]): Api | undefined {
  const api = (value ?? DEFAULT_API).toLowerCase();
  if ((APIS as readonly string[]).includes(api)) return api as Api;
  return reject(problems, 
    `api ${quote(value ?? '')} is not one of ${APIS.join(', ')}: use graph (Microsoft Graph alerts_v2, the default), mde (Defender for Endpoint) or siem (legacy SIEM exporter).`,
  );
}

/** Region keys are lower-case with `_`; `GCC-High` as other add-ons spell it means gcc_high. */
function readRegion(value: string | undefined, api: Api | undefined, problems: string[]): string | undefined {
  const region = value?.toLowerCase().replace(/-/g, '_');
  if (api === undefined) {
    // The api is wrong already; still catch a region no api has, so both problems come in one pass.
    if (region !== undefined && !APIS.some((candidate) => findCloud(candidate, region))) {
      const known = [...new Set(APIS.flatMap((candidate) => listRegions(candidate)))].join(', ');
      problems.push(`region ${quote(value!)} is not a region of any api: use one of ${known}, as the chosen api allows.`);
    }
    return undefined;
  }
  const regions = listRegions(api).join(', ');
  if (region === undefined) {
    const fallback = DEFAULT_REGIONS[api];
    if (fallback !== undefined) return fallback;
    return reject(problems, 
      `region is required for api=${api}: use one of ${regions} (the data location of your Defender tenant).`,
    );
  }
  if (findCloud(api, region)) return region;
  const fallback = DEFAULT_REGIONS[api];
  const empty = fallback !== undefined ? ` (or leave it empty for ${fallback})` : '';
  return reject(problems, `region ${quote(value!)} does not exist for api=${api}: use one of ${regions}${empty}.`);
}

function readStartTime(value: string | undefined, problems: string[]): StartTime | undefined {
  const text = value ?? DEFAULT_START_TIME;
  const relative = RELATIVE_TIME.exec(text);
  if (relative) {
    const seconds = Number(relative[1]) * UNIT_SECONDS[relative[2]!]!;
    if (seconds > MAX_RELATIVE_START_DAYS * 86_400) {
      return reject(problems, 
        `start_time ${quote(text)} reaches back more than ${MAX_RELATIVE_START_DAYS} days: use an absolute time such as 2024-01-01T00:00:00Z to start earlier.`,
      );
    }
    return { kind: 'relative', seconds };
  }
  const parsed = parseApiTime(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  if (parsed !== undefined && /^\d{4}-/.test(text)) return { kind: 'absolute', iso: formatApiTime(parsed) };
  return reject(problems, 
    `start_time ${quote(text)} is not a time: use an ISO-8601 UTC time such as 2024-05-01T00:00:00Z, or a relative time such as -30m, -24h or -7d (units s, m, h, d, w).`,
  );
}

function readOverlapSeconds(value: string | undefined, problems: string[]): number | undefined {
  if (value === undefined) return DEFAULT_OVERLAP_SECONDS;
  const fix = `use a whole number of seconds from 0 to ${MAX_OVERLAP_SECONDS}, e.g. ${DEFAULT_OVERLAP_SECONDS}.`;
  if (!/^\d{1,9}$/.test(value)) return reject(problems, `overlap_seconds ${quote(value)} is not a whole number: ${fix}`);
  const seconds = Number(value);
  if (seconds > MAX_OVERLAP_SECONDS) {
    return reject(problems, `overlap_seconds ${value} is above the maximum of ${MAX_OVERLAP_SECONDS} (one day): ${fix}`);
  }
  return seconds;
}

/**
 * The filter goes inside `$filter=… and (<filter>)`, percent-encoded, so it cannot break the URL; these checks catch
 * what would still change the query's meaning or fail on Microsoft's side with a less helpful error: a pasted
 * `$filter=` prefix, other query options, and parentheses or quotes that would close the wrapping group early
 * (`x) or (y` would escape the time condition). Text inside OData string literals ('…', with '' for a quote) is free.
 */
function readFilter(value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  const before = problems.length;
  const example = 'e.g. severity eq \'high\'';
  if (value.length > MAX_FILTER_LENGTH) {
    problems.push(`filter is ${value.length} characters long: keep it under ${MAX_FILTER_LENGTH}.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    problems.push('filter holds a line break or another control character: write the condition on one line.');
  }
  if (/^\$filter\s*=/i.test(value)) {
    problems.push(`filter starts with $filter=: write only the condition, ${example}.`);
  } else {
    const outside = stripStringLiterals(value);
    if (outside === undefined) {
      problems.push(`filter ${quote(value)} leaves a quoted string open: close it with ' (write '' for a quote inside a string).`);
    } else {
      if (outside.includes('&') || /\$[a-z]+\s*=/i.test(outside)) {
        problems.push(
          `filter ${quote(value)} adds other query options (& or $name=): write only the $filter condition, ${example}; the input sets $top, $skip and $orderby itself.`,
        );
      }
      const parentheses = checkParentheses(outside);
      if (parentheses) problems.push(`filter ${quote(value)} ${parentheses}: balance its parentheses.`);
    }
  }
  return problems.length === before ? value : undefined;
}

/** The text with every OData string literal blanked out, or undefined when a literal is not closed. */
function stripStringLiterals(text: string): string | undefined {
  let out = '';
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (!inside) {
      if (char === '\'') inside = true;
      out += char === '\'' ? ' ' : char;
    } else if (char === '\'' && text[i + 1] === '\'') {
      i++; // '' is an escaped quote inside the literal
    } else if (char === '\'') {
      inside = false;
      out += ' ';
    }
  }
  return inside ? undefined : out;
}

function checkParentheses(text: string): string | undefined {
  let depth = 0;
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')' && --depth < 0) return 'closes a parenthesis it did not open';
  }
  return depth > 0 ? 'leaves a parenthesis open' : undefined;
}

/** api_url / login_url: the rule accounts share; returned normalised, without a trailing slash. */
function readBaseUrl(field: 'api_url' | 'login_url', value: string | undefined, problems: string[]): string | undefined {
  const problem = baseUrlProblem(field, value);
  if (problem !== undefined) return reject(problems, problem);
  return value === undefined ? undefined : normaliseBaseUrl(value);
}

function readProxyUrl(value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  // The same rule as the app-wide proxy_url setting and the Configuration page's Proxy tab.
  if (!isProxyUrl(value)) {
    return reject(problems, 
      'proxy_url is not a proxy URL (value not shown, it may hold a password): use http://host:port or https://host:port, ' +
        'optionally with user:password@ before the host (percent-encode @, : and / inside them), or leave it empty.',
    );
  }
  return value;
}

/** One warning per parameter that is neither ours nor Splunk's: probably a typo that silently does nothing. */
function findUnknownParams(raw: Record<string, string | string[]>): string[] {
  const warnings: string[] = [];
  for (const key of Object.keys(raw)) {
    // Leading `_` marks Splunk pipeline and routing keys (_TCP_ROUTING, _meta, …); splunkd owns those.
    if (ARGUMENT_NAMES.has(key) || SPLUNK_PARAMS.has(key) || key.startsWith('_')) continue;
    const guess = suggestArgument(key);
    const hint = guess !== undefined
      ? `did you mean ${guess}?`
      : `check its spelling; the arguments are ${INPUT_ARGUMENTS.map((argument) => argument.name).join(', ')}.`;
    warnings.push(`Parameter ${quote(key)} is not an argument of ${INPUT_SCHEME} and is ignored: ${hint}`);
  }
  return warnings;
}

/** The argument a misspelt name most likely meant: same letters ignoring case and separators, or ≤ 2 edits away. */
function suggestArgument(key: string): string | undefined {
  const squash = (text: string) => text.toLowerCase().replace(/[-_. ]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const argument of INPUT_ARGUMENTS) {
    const distance = squash(key) === squash(argument.name) ? 0 : editDistance(key.toLowerCase(), argument.name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: argument.name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Records a problem; returns undefined so a reader can `return reject(…)` in one line. */
function reject(problems: string[], message: string): undefined {
  problems.push(message);
  return undefined;
}

/** A value for a message: quoted, one line, and cut short so a pasted blob cannot flood splunkd.log or Splunk Web. */
function quote(value: string): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return JSON.stringify(oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine);
}
