/**
 * Which Microsoft tenant, app registration and hosts an action uses: those of a `defender_alerts` input, named by the
 * action's `input` parameter. The stanza is read through splunkd's REST API and resolved exactly as the input resolves
 * it (config/resolve.ts), and its client secret comes from storage/passwords (credentials.ts), so an action never
 * needs a second copy of a secret.
 *
 * Hosts: a graph or incidents input updates alerts through Graph; incidents are updated through Graph whatever the
 * input's api (in the Graph cloud of its region). Everything else (MDE alert updates for mde and siem inputs,
 * indicators for every input) goes to the Defender for Endpoint API of the same cloud: graph `global`/`gcc`/
 * `gcc_high`/`dod` and siem `eu`/`us`/`uk`/`gcc`/`gcc_high` have an MDE region of the same name
 * (https://learn.microsoft.com/defender-endpoint/gov).
 */
import { INPUT_SCHEME, SECRET_REALM, secretUserFor } from './client-secret.js';
import { resolveConfig } from '../config/resolve.js';
import type { DefenderInputConfig, Endpoints } from '../config/types.js';
import { normaliseBaseUrl, resolveEndpoints } from '../defender/clouds.js';
import { ConfigError } from '../errors.js';
import type { Logger, SplunkdClient } from '../ports.js';
import type { AlertApiFamily } from '../actions/rules/alert-change.js';
import type { ActionRun } from '../actions/protocol/run-action.js';
import { baseUrlProblem, resolveAccountRegion, type Account } from '../config/accounts.js';
import { loadAccount } from './account-credentials.js';

/** An input's resolved configuration and its clear client secret. */
export interface InputCredentials {
  config: DefenderInputConfig;
  /** The clear client secret. Register it with the logger's redaction before anything else. */
  secret: string;
  /** Resolution warnings (e.g. an unknown parameter in the stanza). */
  warnings: string[];
}

/** What an action calls: the API family and its endpoints (host, authority, scope). */
export interface ActionEndpoints {
  family: AlertApiFamily;
  endpoints: Endpoints;
}

/** What the action does with the input's app registration. */
export type ActionPurpose = 'update_alerts' | 'submit_indicators' | 'update_incidents';

/**
 * The Graph region of the cloud an mde or siem input's region lies in: Defender for Endpoint's commercial geos are
 * all in Graph's global cloud (https://learn.microsoft.com/graph/deployments).
 */
const GRAPH_REGION_OF: Readonly<Record<string, string>> = {
  global: 'global',
  us: 'global',
  eu: 'global',
  uk: 'global',
  au: 'global',
  swa: 'global',
  gcc: 'gcc',
  gcc_high: 'gcc_high',
  dod: 'dod',
};

/** Accepts `prod` or `defender_alerts://prod` (how the input appears in Splunk Web and in events' `source`). */
export function parseInputName(text: string | undefined): string {
  const name = (text ?? '').trim().replace(new RegExp(`^${INPUT_SCHEME}://`), '');
  if (name === '') {
    throw new ConfigError([
      'input is not set: give the name of the defender_alerts input whose app registration the action uses (Settings → Data inputs → Microsoft Defender alerts).',
    ]);
  }
  return name;
}

/** Reads the input's stanza and its secret from splunkd. Rejects with ConfigError when either is missing or invalid. */
export async function loadInputCredentials(
  splunkd: Pick<SplunkdClient, 'getInput' | 'getSecret'>,
  name: string,
): Promise<InputCredentials> {
  const params = await splunkd.getInput(INPUT_SCHEME, name);
  if (params === undefined) {
    throw new ConfigError([
      `input ${JSON.stringify(name)} is not a defender_alerts input that this search's owner can see: set input to the name of an existing input (Settings → Data inputs → Microsoft Defender alerts).`,
    ]);
  }
  let resolved;
  try {
    resolved = resolveConfig({ name: `${INPUT_SCHEME}://${name}`, app: undefined, params }, { mode: 'run' });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(error.problems.map((problem) => `input ${name}: ${problem}`));
    }
    throw error;
  }
  const { config, warnings } = resolved;
  if (config.clientSecret.kind === 'clear') {
    // The input has not run since the secret was typed in; that clear value is the newest one.
    return { config, secret: config.clientSecret.value, warnings };
  }
  const secret = await splunkd.getSecret(SECRET_REALM, secretUserFor(name));
  if (secret === undefined || secret === '') {
    throw new ConfigError([
      `input ${name} has a masked client_secret but splunkd holds no secret for it: enter the client secret again in the input, let it run once, then retry the action.`,
    ]);
  }
  return { config, secret, warnings };
}

/** Picks the API family and endpoints for the purpose, from the input's api, region and overrides. */
export function chooseActionEndpoints(config: DefenderInputConfig, purpose: ActionPurpose): ActionEndpoints {
  const onGraph = config.api === 'graph' || config.api === 'incidents';
  // Alerts found inside incidents are Graph alerts: an incidents input updates them through Graph as well.
  if (purpose !== 'submit_indicators' && onGraph) return { family: 'graph', endpoints: config.endpoints };
  if (purpose === 'update_incidents') return graphEndpointsOf(config);
  if (config.api === 'mde') return { family: 'mde', endpoints: config.endpoints };
  if (config.apiUrl !== undefined) {
    // api_url replaces the host of the input's own API; the MDE host of a private endpoint cannot be guessed from it.
    const what = purpose === 'update_alerts' ? 'updating its alerts' : 'submitting indicators';
    throw new ConfigError([
      `input ${config.name} (api=${config.api}) sets api_url, so the Defender for Endpoint host for ${what} is unknown: use a defender_alerts input with api=mde (its api_url, if any, names the MDE host).`,
    ]);
  }
  return {
    family: 'mde',
    endpoints: resolveEndpoints({
      api: 'mde',
      region: config.region,
      tenantId: config.tenantId,
      loginUrl: config.loginUrl,
    }),
  };
}

/** An mde or siem input's Graph endpoints (incidents live in Graph only). */
function graphEndpointsOf(config: DefenderInputConfig): ActionEndpoints {
  const region = GRAPH_REGION_OF[config.region];
  if (config.apiUrl !== undefined || region === undefined) {
    const why = config.apiUrl !== undefined ? 'sets api_url' : `has region ${config.region}`;
    throw new ConfigError([
      `input ${config.name} (api=${config.api}) ${why}, so its Microsoft Graph host for updating incidents is ` +
        'unknown: use a defender_alerts input with api=graph or api=incidents, or an account.',
    ]);
  }
  return {
    family: 'graph',
    endpoints: resolveEndpoints({ api: 'graph', region, tenantId: config.tenantId, loginUrl: config.loginUrl }),
  };
}

/** Who the action signs in as, and through which proxy (undefined: the app-wide one). */
export interface ActionCredentials {
  tenantId: string;
  clientId: string;
  /** The clear client secret, already registered for redaction. */
  secret: string;
  proxyUrl: string | undefined;
}

/** The credentials and the endpoints chosen for the action. */
export interface ActionTarget extends ActionEndpoints {
  credentials: ActionCredentials;
  /** What the outcome events name: `input` or `account`. */
  source: { input: string } | { account: string };
}

/**
 * Reads the account named by the action's `account` parameter or, when it has none, the input named by `input`;
 * registers the secret for redaction at once, and picks the endpoints. Rejects with ConfigError naming what to fix.
 */
export async function loadActionTarget(options: {
  accountParam: string | undefined;
  /** With an account: an https base URL replacing the API host (private endpoints, tests). */
  apiUrlParam?: string | undefined;
  inputParam: string | undefined;
  purpose: ActionPurpose;
  splunkd: Pick<SplunkdClient, 'getInput' | 'getSecret' | 'getConfStanza'>;
  log: Logger & { redact(secret: string): void };
  /** Called with the input's or account's name as soon as it is known (outcome events carry it). */
  onSource?: (source: ActionTarget['source']) => void;
}): Promise<ActionTarget> {
  const accountName = options.accountParam?.trim();
  if (accountName) {
    options.onSource?.({ account: accountName });
    const { account, secret } = await loadAccount(options.splunkd, accountName);
    options.log.redact(secret);
    return {
      credentials: { tenantId: account.tenantId, clientId: account.clientId, secret, proxyUrl: undefined },
      source: { account: accountName },
      ...chooseAccountEndpoints(account, options.purpose, options.apiUrlParam?.trim() || undefined),
    };
  }
  const name = parseInputName(options.inputParam);
  options.onSource?.({ input: name });
  const { config, secret, warnings } = await loadInputCredentials(options.splunkd, name);
  options.log.redact(secret);
  for (const warning of warnings) options.log.debug(warning, { action: 'input_warning', input: name });
  return {
    credentials: { tenantId: config.tenantId, clientId: config.clientId, secret, proxyUrl: config.proxyUrl },
    source: { input: name },
    ...chooseActionEndpoints(config, options.purpose),
  };
}

/**
 * The target an action run's parameters name (`account`, `api_url`, `input`); the outcome events carry the input's or
 * account's name from the moment it is known.
 */
export function loadRunTarget(
  run: Pick<ActionRun, 'config' | 'splunkd' | 'log' | 'describeRun'>,
  purpose: ActionPurpose,
): Promise<ActionTarget> {
  return loadActionTarget({
    accountParam: run.config.account,
    apiUrlParam: run.config.api_url,
    inputParam: run.config.input,
    purpose,
    splunkd: run.splunkd,
    log: run.log,
    onSource: (source) => run.describeRun('input' in source ? source : { extra: source }),
  });
}

/**
 * With an account, alert updates go through Graph (alerts_v2 ids, every Defender product) and indicators through
 * Defender for Endpoint, each in the account's region (or the api's default region).
 */
export function chooseAccountEndpoints(account: Account, purpose: ActionPurpose, apiUrl?: string): ActionEndpoints {
  const family: AlertApiFamily = purpose === 'submit_indicators' ? 'mde' : 'graph';
  const region = resolveAccountRegion(account, family);
  const urlProblem = baseUrlProblem('api_url', apiUrl);
  const problems = [...(region.ok ? [] : [region.problem]), ...(urlProblem ? [urlProblem] : [])];
  if (!region.ok || problems.length > 0) throw new ConfigError(problems);
  const base = apiUrl === undefined ? undefined : normaliseBaseUrl(apiUrl);
  return {
    family,
    endpoints: resolveEndpoints({
      api: family,
      region: region.region,
      tenantId: account.tenantId,
      loginUrl: account.loginUrl,
      apiUrl: base,
    }),
  };
}
