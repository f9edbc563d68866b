/**
 * The Configuration page's secret writes: `POST …/ta_microsoft_defender/secret` (restmap.conf) with action=store
 * (user, password) or action=delete (user). The page cannot use storage/passwords itself: splunkd answers a create with
 * the new entry, clear_password included, and a delete with the rest of the collection, other secrets included, and
 * a secret must never travel back to the browser. Here splunkd's answer stays on the server, and the reply is only
 * {ok: true}. Only the add-on's own user names are accepted (account#<name>, proxy#password), in its own realm, with
 * the caller's own session, so the endpoint cannot reach any other secret or do more than the caller may.
 */
import { ACCOUNT_SECRET_REALM, accountNameProblem } from '../config/accounts.js';
import { PROXY_SECRET_USER } from '../config/app-settings.js';
import { AddonError } from '../errors.js';
import type { Logger, SplunkdClient } from '../ports.js';
import type { CallerSession } from './account-check.js';
import type { PersistReply, PersistRequest } from './persist-protocol.js';

export interface SecretEndpointServices {
  /** A splunkd client acting with the caller's session. */
  splunkdFor(session: CallerSession): Pick<SplunkdClient, 'putSecret' | 'deleteSecret'>;
  log: Logger;
}

/** The user names this endpoint may write: an account's secret, or the proxy password. */
export function secretUserProblem(user: string): string | undefined {
  if (user === PROXY_SECRET_USER) return undefined;
  if (user.startsWith('account#') && accountNameProblem(user.slice('account#'.length)) === undefined) return undefined;
  return `user must be account#<account name> or ${PROXY_SECRET_USER}: this endpoint writes only the add-on's own secrets.`;
}

export async function handleSecretRequest(
  request: PersistRequest,
  services: SecretEndpointServices,
): Promise<PersistReply> {
  const refuse = (status: number, text: string): PersistReply => ({
    status,
    payload: { ok: false, messages: [{ type: 'ERROR', text }] },
  });
  if ((request.method ?? '').toUpperCase() !== 'POST') return refuse(405, 'Use POST with action, user and password.');
  const authtoken = request.session?.authtoken;
  const serverUri = request.server?.rest_uri;
  if (!authtoken || !serverUri)
    return refuse(401, 'The request needs a logged-in session: sign in to Splunk Web again.');
  const form = new Map(request.form ?? []);
  const action = form.get('action') ?? '';
  const user = form.get('user') ?? '';
  const password = form.get('password') ?? '';
  const userProblem = secretUserProblem(user);
  if (userProblem) return refuse(400, userProblem);
  if (action !== 'store' && action !== 'delete') return refuse(400, 'action must be store or delete.');
  if (action === 'store' && password === '') return refuse(400, 'password is empty: type the secret to store.');

  const splunkd = services.splunkdFor({ serverUri, authtoken, user: request.session?.user });
  try {
    if (action === 'store') {
      await splunkd.putSecret(ACCOUNT_SECRET_REALM, user, password);
      services.log.info('Secret stored', { action: 'secret_stored', user, by: request.session?.user });
      return { status: 200, payload: { ok: true } };
    }
    const deleted = await splunkd.deleteSecret(ACCOUNT_SECRET_REALM, user);
    services.log.info('Secret deleted', {
      action: 'secret_deleted',
      user,
      by: request.session?.user,
      existed: deleted,
    });
    return { status: 200, payload: { ok: true, deleted } };
  } catch (error) {
    if (!(error instanceof AddonError)) throw error;
    // SplunkdError messages name the operation and splunkd's words, never the secret (splunkd-client redacts it).
    services.log.warn('Secret not written', { action: `secret_${action}_failed`, user, error: error.code });
    const status = error.code === 'splunkd_forbidden' ? 403 : error.code === 'splunkd_unauthorized' ? 401 : 502;
    return refuse(status, error.message);
  }
}
