/**
 * The real services behind the Configuration page's endpoints (rest/config-endpoints.ts): splunkd's storage/passwords
 * through the caller's own session (so a user without list_storage_passwords cannot read a secret through the check,
 * nor write one without the right to), and one msal token request through the app-wide proxy, with the proxy
 * password the Configuration page stored.
 */
import { createSplunkdClient } from '../adapters/splunkd-client.js';
import { PROXY_SECRET_USER, proxyUrlWithCredentials, type AppSettings } from '../config/app-settings.js';
import type { CallerSession } from '../rest/account-check.js';
import type { ConfigEndpointServices } from '../rest/config-endpoints.js';
import type { Logger } from '../ports.js';
import { APP_ID } from '../version.js';
import { checkMicrosoftCredentials } from './microsoft-clients.js';

export interface ConfigEndpointServiceOptions {
  /** Read at every check: the Proxy tab may have changed the settings since the driver started. */
  readSettings(): AppSettings;
  log: Logger;
  /** Extra CA certificates for the Microsoft calls (tests; production trusts the system store). */
  ca?: string;
  /** Limit of the token request; splunkd's REST timeout and the admin's patience are both short. */
  timeoutMs?: number;
}

export function createConfigEndpointServices(options: ConfigEndpointServiceOptions): ConfigEndpointServices {
  const { log } = options;
  const splunkdFor = (session: CallerSession) =>
    createSplunkdClient({ serverUri: session.serverUri, sessionKey: session.authtoken, app: APP_ID, log });
  return {
    log,
    splunkdFor,
    readSecret: (session, realm, user) => splunkdFor(session).getSecret(realm, user),
    async requestToken({ endpoints, account, clientSecret }, session) {
      const settings = options.readSettings();
      let proxyUrl = settings.proxyUrl;
      if (proxyUrl !== undefined && settings.proxyUsername !== undefined) {
        const password = await splunkdFor(session).getSecret(APP_ID, PROXY_SECRET_USER);
        proxyUrl = proxyUrlWithCredentials(proxyUrl, settings.proxyUsername, password);
      }
      return checkMicrosoftCredentials({
        endpoints,
        clientId: account.clientId,
        clientSecret,
        tenantId: account.tenantId,
        proxyUrl,
        ca: options.ca,
        timeoutMs: options.timeoutMs ?? 10_000,
      });
    },
  };
}
