/**
 * An account's credentials as inputs and actions use them: the stanza of ta_microsoft_defender_account.conf (read
 * through splunkd, so default/ and local/ merge as splunkd merges them) and its secret from storage/passwords.
 */
import {
  ACCOUNT_CONF,
  ACCOUNT_SECRET_REALM,
  accountSecretUser,
  parseAccount,
  type Account,
} from '../config/accounts.js';
import { quote } from '../config/parsed.js';
import { ConfigError } from '../errors.js';
import type { SplunkdClient } from '../ports.js';

/** An account and its clear secret. Register the secret with the logger's redaction before anything else. */
export interface AccountCredentials {
  account: Account;
  secret: string;
}

const WHERE = "on the add-on's Configuration page (Apps → Microsoft Defender → Configuration → Accounts)";

/** Reads account `name`; rejects with a ConfigError that names the account and where to fix it. */
export async function loadAccount(
  splunkd: Pick<SplunkdClient, 'getConfStanza' | 'getSecret'>,
  name: string,
): Promise<AccountCredentials> {
  const stanza = await splunkd.getConfStanza(ACCOUNT_CONF, name);
  if (stanza === undefined) {
    throw new ConfigError([`account ${quote(name)} does not exist: create it ${WHERE}, or correct the account name.`]);
  }
  const parsed = parseAccount(name, stanza);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `account ${quote(name)}: ${p.message}`));
  const secret = await splunkd.getSecret(ACCOUNT_SECRET_REALM, accountSecretUser(name));
  if (secret === undefined || secret === '') {
    throw new ConfigError([
      `account ${quote(name)} has no client secret stored: open it ${WHERE} and enter its secret.`,
    ]);
  }
  return { account: parsed.account, secret };
}
