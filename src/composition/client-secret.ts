/**
 * The client secret's life cycle (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTaccess,
 * storage/passwords): a clear secret typed into the input is moved
 * into splunkd's storage/passwords and the stanza's value replaced by the mask; a masked stanza reads it back.
 * If splunkd cannot be reached, the run goes on with the clear secret and says so once.
 */
import { INPUT_SCHEME } from '../config/arguments.js';
import { SECRET_MASK, type DefenderInputConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { Logger, SplunkdClient } from '../ports.js';
import { APP_ID } from '../version.js';
import { errorInfo } from '../toolkit/error-info.js';

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
  if (config.clientSecret.kind === 'masked') {
    const stored = await splunkd.getSecret(SECRET_REALM, user);
    if (stored === undefined || stored === '') {
      throw new ConfigError([
        `client_secret of input ${config.stanza} is masked but no secret is stored in splunkd for it: enter the client secret again in Settings → Data inputs → Microsoft Defender alerts.`,
      ]);
    }
    return stored;
  }
  if (config.clientSecret.kind === 'account') {
    // The caller reads an account's secret with the account (composition/account-credentials.ts).
    throw new Error(`resolveClientSecret: input ${config.stanza} uses account ${config.clientSecret.account}`);
  }
  const secret = config.clientSecret.value;
  try {
    await splunkd.putSecret(SECRET_REALM, user, secret);
    await splunkd.updateInput(INPUT_SCHEME, config.name, config.app ?? APP_ID, { client_secret: SECRET_MASK });
    log.info('Client secret moved to storage/passwords and masked in inputs.conf', {
      action: 'secret_stored',
      input: config.stanza,
    });
  } catch (error) {
    log.warn(
      `Could not store the client secret in splunkd (${errorInfo(error).message}); it stays in clear text in inputs.conf until a run can reach splunkd.`,
      { action: 'secret_not_stored', input: config.stanza, error: errorInfo(error).code ?? 'unknown' },
    );
  }
  return secret;
}
