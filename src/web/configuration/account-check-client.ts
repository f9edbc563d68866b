/**
 * The Check button's call: POST the account's fields to the add-on's check endpoint (restmap.conf), which asks Entra
 * ID for a token from the Splunk server. With an empty client_secret the endpoint uses the stored one.
 */
import type { AccountField, AccountProblem } from '../../config/accounts.js';
import { SplunkdRequestError, type Splunkd } from './splunk-web.js';

/** The endpoint under /servicesNS/nobody/<app>/ (restmap.conf `match`, web.conf `expose`). */
export const ACCOUNT_CHECK_PATH = 'ta_microsoft_defender/account_check';

export interface CheckResult {
  ok: boolean;
  message: string;
  /** Fields the endpoint refused, to show under each field. */
  problems?: AccountProblem[];
}

export async function runCheck(splunkd: Splunkd, values: Partial<Record<AccountField, string>>): Promise<CheckResult> {
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') form[key] = value;
  try {
    const reply = (await splunkd.post(ACCOUNT_CHECK_PATH, form)) as { ok?: boolean; message?: string } | undefined;
    if (reply?.ok === true) return { ok: true, message: reply.message ?? 'Entra ID issued a token.' };
    return { ok: false, message: reply?.message ?? 'Entra ID did not issue a token.' };
  } catch (error) {
    if (!(error instanceof SplunkdRequestError))
      return { ok: false, message: 'The check could not be run: the browser could not reach Splunk.' };
    const problems = (error.body as { problems?: AccountProblem[] } | undefined)?.problems;
    if (error.status === 400 && Array.isArray(problems)) {
      return { ok: false, message: problems.map((p) => p.message).join(' '), problems };
    }
    return { ok: false, message: error.message };
  }
}
