/**
 * The add-on's REST endpoints served by the persistent driver bin/defender_check.sh (restmap.conf stanzas that share
 * one driver share its process): each request goes to its handler by `rest_path`, the restmap `match`.
 */
import { checkAccount, type AccountCheckServices } from './account-check.js';
import type { PersistReply, PersistRequest } from './persist-protocol.js';
import { handleSecretRequest, type SecretEndpointServices } from './secret-endpoint.js';

export const ACCOUNT_CHECK_MATCH = '/ta_microsoft_defender/account_check';
export const SECRET_MATCH = '/ta_microsoft_defender/secret';

export type ConfigEndpointServices = AccountCheckServices & SecretEndpointServices;

export function handleConfigRequest(request: PersistRequest, services: ConfigEndpointServices): Promise<PersistReply> {
  switch (request.rest_path) {
    case ACCOUNT_CHECK_MATCH:
      return checkAccount(request, services);
    case SECRET_MATCH:
      return handleSecretRequest(request, services);
    default:
      return Promise.resolve({
        status: 404,
        payload: { messages: [{ type: 'ERROR', text: `Unknown endpoint ${request.rest_path ?? ''}` }] },
      });
  }
}
