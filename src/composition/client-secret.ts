/**
 * The client secret's life cycle (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTaccess,
 * storage/passwords): a clear secret typed into the input is moved
 * into splunkd's storage/passwords and the stanza's value replaced by the mask; a masked stanza reads it back.
 * If splunkd cannot be reached, the run goes on with the clear secret and says so once.
 */
import { INPUT_SCHEME } from '../config/arguments.js';
import type { DefenderInputConfig } from '../config/types.js';
import type { Logger, SplunkdClient } from '../ports.js';
import { APP_ID } from '../version.js';
import { resolveStanzaSecret } from './stanza-secret.js';

/** storage/passwords realm for every secret of this add-on. */
export const SECRET_REALM = APP_ID;
export { INPUT_SCHEME };

/** The storage/passwords user name for an input's secret (the stanza's short name; alert actions use the same). */
export function secretUserFor(inputName: string): string {
  return inputName;
}

export async function resolveClientSecret(
  config: DefenderInputConfig,
  splunkd: SplunkdClient,
  log: Logger,
): Promise<string> {
  const user = secretUserFor(config.name);
  if (config.clientSecret.kind === 'account') {
    // The caller reads an account's secret with the account (composition/account-credentials.ts).
    throw new Error(`resolveClientSecret: input ${config.stanza} uses account ${config.clientSecret.account}`);
  }
  return resolveStanzaSecret(
    {
      scheme: INPUT_SCHEME,
      name: config.name,
      app: config.app,
      field: 'client_secret',
      user,
      value: config.clientSecret,
      page: 'Microsoft Defender alerts',
    },
    splunkd,
    log,
  );
}
