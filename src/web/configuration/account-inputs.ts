/**
 * Which inputs use an account: every `defender_alerts` and `defender_stream` stanza Splunk lists (all apps) whose
 * `account` is the account's name. A kind of input that does not exist on this Splunk (defender_stream before it
 * ships) answers 404 and counts as none.
 */
import { entriesOf, SplunkdRequestError, type Splunkd } from './splunk-web.js';

/** The modular input kinds that can take `account = <name>`. */
export const ACCOUNT_INPUT_SCHEMES = ['defender_alerts', 'defender_stream'] as const;

/** Account name → the inputs using it, as `<scheme>://<name>`. */
export type AccountUsage = Map<string, string[]>;

export async function listAccountUsage(splunkd: Splunkd): Promise<AccountUsage> {
  const usage: AccountUsage = new Map();
  for (const scheme of ACCOUNT_INPUT_SCHEMES) {
    let body: unknown;
    try {
      body = await splunkd.get(`/services/data/inputs/${scheme}`);
    } catch (error) {
      if (error instanceof SplunkdRequestError && error.status === 404) continue;
      throw error;
    }
    for (const entry of entriesOf(body)) {
      const account = entry.content.account;
      if (typeof account !== 'string' || account.trim() === '') continue;
      const list = usage.get(account.trim()) ?? [];
      list.push(`${scheme}://${entry.name}`);
      usage.set(account.trim(), list);
    }
  }
  return usage;
}
