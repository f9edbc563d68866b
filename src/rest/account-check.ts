/**
 * The Configuration page's Check button, server side: `POST …/ta_microsoft_defender/account_check` (restmap.conf) with
 * an account's fields proves the credentials by asking Entra ID for one token, from the add-on's own host, through its
 * proxy. The secret comes from the form when the admin typed one, else from storage/passwords (account#<name>), read
 * with the caller's own session; it is never part of any reply or log line.
 *
 * Replies (JSON): 200 {ok:true, message} when Entra ID issued a token; 200 {ok:false, message} when it refused (the
 * AADSTS sentence of defender/aadsts.ts); 400 {ok:false, problems:[{field, message}]} for fields the page should mark.
 */
import {
  ACCOUNT_SECRET_REALM,
  accountSecretUser,
  parseAccount,
  type Account,
  type AccountProblem,
} from '../config/accounts.js';
import type { Api, Endpoints } from '../config/types.js';
import { findCloud, resolveEndpoints } from '../defender/clouds.js';
import { AddonError } from '../errors.js';
import type { Logger } from '../ports.js';
import type { PersistReply, PersistRequest } from './persist-protocol.js';

/** The caller's splunkd session, as splunkd passes it to the handler. */
export interface CallerSession {
  serverUri: string;
  authtoken: string;
  user: string | undefined;
}

/** What the check needs from the outside world. */
export interface AccountCheckServices {
  /** A stored secret read with the caller's session; undefined when there is none. Rejects with an AddonError. */
  readSecret(session: CallerSession, realm: string, user: string): Promise<string | undefined>;
  /** One token request with a short timeout and no retry: undefined when a token came, else the admin sentence. */
  requestToken(
    request: { endpoints: Endpoints; account: Account; clientSecret: string },
    session: CallerSession,
  ): Promise<string | undefined>;
  log: Logger;
}

const APIS: readonly Api[] = ['graph', 'mde', 'siem'];

export async function checkAccount(request: PersistRequest, services: AccountCheckServices): Promise<PersistReply> {
  if ((request.method ?? '').toUpperCase() !== 'POST') {
    return { status: 405, payload: { messages: [{ type: 'ERROR', text: "Use POST with the account's fields." }] } };
  }
  const authtoken = request.session?.authtoken;
  const serverUri = request.server?.rest_uri;
  if (!authtoken || !serverUri) {
    return {
      status: 401,
      payload: {
        messages: [{ type: 'ERROR', text: 'The check needs a logged-in session: sign in to Splunk Web again.' }],
      },
    };
  }
  const session: CallerSession = { serverUri, authtoken, user: request.session?.user };
  const form = new Map(request.form ?? []);
  const parsed = parseAccount(form.get('name') ?? '', Object.fromEntries(form));
  if (!parsed.ok) return invalid(parsed.problems);
  const { account } = parsed;

  let secret = form.get('client_secret') ?? '';
  if (secret === '') {
    try {
      secret = (await services.readSecret(session, ACCOUNT_SECRET_REALM, accountSecretUser(account.name))) ?? '';
    } catch (error) {
      if (!(error instanceof AddonError)) throw error;
      services.log.warn('Account check could not read the stored secret', {
        action: 'account_check',
        account: account.name,
        error: error.code,
      });
      return { status: 200, payload: { ok: false, message: error.message } };
    }
    if (secret === '') {
      return invalid([
        {
          field: 'client_secret',
          message: `No client secret is stored for account "${account.name}": paste the secret's Value (not its Secret ID) in Client secret, then Check again.`,
        },
      ]);
    }
  }

  // The token scope of the first api that has the account's region: the check proves tenant, client and secret,
  // which do not depend on the api (each input still needs its api's application permission).
  const api = APIS.find((candidate) => account.region === undefined || findCloud(candidate, account.region)) ?? 'graph';
  const region = account.region ?? 'global';
  const endpoints = resolveEndpoints({ api, region, tenantId: account.tenantId, loginUrl: account.loginUrl });
  const refusal = await services.requestToken({ endpoints, account, clientSecret: secret }, session);
  services.log.info('Account checked', {
    action: 'account_check',
    account: account.name,
    user: session.user,
    status: refusal === undefined ? 'ok' : 'refused',
  });
  if (refusal !== undefined) return { status: 200, payload: { ok: false, message: refusal } };
  return {
    status: 200,
    payload: {
      ok: true,
      message:
        `Entra ID issued a token to client ${account.clientId} in tenant ${account.tenantId} (region ${region}). ` +
        "Each input still needs its api's application permission with admin consent.",
    },
  };
}

function invalid(problems: AccountProblem[]): PersistReply {
  return { status: 400, payload: { ok: false, problems } };
}
