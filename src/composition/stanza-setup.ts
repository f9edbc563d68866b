/**
 * The first steps both inputs take for a stanza, when splunkd validates it and when it runs: a splunkd client in the
 * add-on's own namespace (accounts and secrets live there, not in the stanza's app, which is often `search`), the
 * account the stanza names, its config resolved against that account, and the proxy it goes through.
 */
import { createSplunkdClient } from '../adapters/splunkd-client.js';
import { accountNameOf, type Account } from '../config/accounts.js';
import { ConfigError } from '../errors.js';
import type { InputDefinition, StanzaDefinition } from '../modinput/scheme-types.js';
import type { Logger, RedactingLogger, SplunkdClient } from '../ports.js';
import { APP_ID } from '../version.js';
import { loadAccount, type AccountCredentials } from './account-credentials.js';
import { appProxyUrl } from './app-proxy.js';

/** A logger that says nothing: validation answers splunkd through its exit status and stdout only. */
export const silentLog: RedactingLogger = { debug() {}, info() {}, warn() {}, error() {}, redact() {} };

/** A splunkd client in the add-on's namespace, with the session splunkd handed the input. */
export function addonSplunkd(
  definition: Pick<InputDefinition, 'serverUri' | 'sessionKey'>,
  log: Logger = silentLog,
): SplunkdClient {
  return createSplunkdClient({ serverUri: definition.serverUri, sessionKey: definition.sessionKey, app: APP_ID, log });
}

/** The account the stanza names, read from splunkd; undefined when it names none. */
export function readAccountOf(
  stanza: StanzaDefinition,
  splunkd: Pick<SplunkdClient, 'getConfStanza' | 'getSecret'>,
): Promise<AccountCredentials | undefined> {
  const name = accountNameOf(stanza);
  return name === undefined ? Promise.resolve(undefined) : loadAccount(splunkd, name);
}

/** The stanza resolved for --validate-arguments, or every problem at once as the one message splunkd shows. */
export type Validated<C> =
  { ok: true; config: C; account: AccountCredentials | undefined } | { ok: false; message: string };

/**
 * Reads the stanza's account (when it names one) and resolves the stanza against it: `resolve` throws ConfigError
 * with every problem, and a missing or broken account is one of them.
 */
export async function resolveForValidation<C>(
  stanza: StanzaDefinition,
  splunkd: Pick<SplunkdClient, 'getConfStanza' | 'getSecret'>,
  resolve: (account: Account | undefined) => C,
): Promise<Validated<C>> {
  try {
    const account = await readAccountOf(stanza, splunkd);
    return { ok: true, config: resolve(account?.account), account };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, message: error.problems.join(' ') };
    throw error;
  }
}

/** The proxy settings that apply when a stanza sets none: the Configuration page's. */
export interface DefaultProxy {
  defaultProxyUrl: string | undefined;
  defaultProxyUsername: string | undefined;
}

/** The stanza's own proxy_url, else the app's default proxy (with the password the Configuration page stored). */
export async function stanzaProxyUrl(
  own: string | undefined,
  defaults: DefaultProxy,
  splunkd: Pick<SplunkdClient, 'getSecret'>,
): Promise<string | undefined> {
  return (
    own ??
    (await appProxyUrl({ proxyUrl: defaults.defaultProxyUrl, proxyUsername: defaults.defaultProxyUsername }, splunkd))
  );
}
