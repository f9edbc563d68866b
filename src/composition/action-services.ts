/**
 * The real outside world of an alert action, built the same way the input builds it (input-handlers.ts): splunkd
 * through the splunkd client, Microsoft through msal + got with one proxy agent pair, the results file from disk.
 */
import { createGotHttpClient } from '../adapters/got-http-client.js';
import { createMsalTokenProvider } from '../adapters/msal-token-provider.js';
import { createAgents, proxyPasswords } from '../adapters/proxy-agents.js';
import { createSplunkdClient } from '../adapters/splunkd-client.js';
import type { AppSettings } from '../config/app-settings.js';
import type { Clock } from '../ports.js';
import { APP_ID, USER_AGENT } from '../version.js';
import { readResultRows } from '../adapters/results-file.js';
import { toResultRowFromObject, type ResultRow } from '../actions/protocol/result-rows.js';
import type { ActionServices, RedactingLogger } from '../actions/protocol/run-action.js';

/** Options of {@link createActionServices}. */
export interface ActionServicesOptions {
  /** The app's settings (proxy default, timeouts, retries). */
  settings: Pick<AppSettings, 'proxyUrl' | 'requestTimeoutSeconds' | 'maxRetries'>;
  log: RedactingLogger;
  clock: Clock;
  /** Extra CA certificates for Microsoft calls (tests only; production trusts the system store and NODE_EXTRA_CA_CERTS). */
  ca?: string;
}

/** Creates the services for one action run. */
export function createActionServices(options: ActionServicesOptions): ActionServices {
  const { settings, log, clock, ca } = options;
  const timeoutMs = settings.requestTimeoutSeconds * 1000;
  return {
    createSplunkd: (payload) =>
      // Secrets and inputs live in the add-on's own namespace, whatever app the saved search is in.
      createSplunkdClient({ serverUri: payload.serverUri, sessionKey: payload.sessionKey, app: APP_ID, log }),

    createDefenderHttp(credentials, endpoints, family) {
      const { config, secret } = credentials;
      const proxyUrl = config.proxyUrl ?? settings.proxyUrl;
      for (const password of proxyPasswords(proxyUrl)) log.redact(password);
      const agents = createAgents({ proxyUrl, ca });
      const tokenProvider = createMsalTokenProvider({
        authority: endpoints.authority, clientId: config.clientId, clientSecret: secret, scope: endpoints.scope,
        knownAuthorities: endpoints.knownAuthorities, tenantId: config.tenantId, agents, ca, timeoutMs, log, clock,
      });
      return createGotHttpClient({
        tokenProvider, userAgent: USER_AGENT, timeoutMs, agents, ca, retry: { maxRetries: settings.maxRetries }, api: family, log, clock,
      });
    },

    readRows: (payload) => (payload.resultsFile !== undefined ? readResultRows(payload.resultsFile) : single(payload.result)),
  };
}

async function* single(result: Record<string, unknown> | undefined): AsyncGenerator<ResultRow> {
  if (result) yield toResultRowFromObject(result);
}

