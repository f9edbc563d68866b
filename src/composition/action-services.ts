/**
 * The real outside world of an alert action, built the same way the input builds it (input-handlers.ts): splunkd
 * through the splunkd client, Microsoft through msal + got with one proxy agent pair, the results file from disk.
 */
import { createSplunkdClient } from '../adapters/splunkd-client.js';
import type { AppSettings } from '../config/app-settings.js';
import type { Clock, RedactingLogger } from '../ports.js';
import { APP_ID } from '../version.js';
import { appProxyUrl } from './app-proxy.js';
import { createMicrosoftClients } from './microsoft-clients.js';
import { readResultRows } from '../adapters/results-file.js';
import { toResultRowFromObject, type ResultRow } from '../actions/protocol/result-rows.js';
import type { ActionServices } from '../actions/protocol/run-action.js';

/** Options of {@link createActionServices}. */
export interface ActionServicesOptions {
  /** The app's settings (proxy default, timeouts, retries). */
  settings: Pick<AppSettings, 'proxyUrl' | 'proxyUsername' | 'requestTimeoutSeconds' | 'maxRetries'>;
  log: RedactingLogger;
  clock: Clock;
}

/** Creates the services for one action run. */
export function createActionServices(options: ActionServicesOptions): ActionServices {
  const { settings, log, clock } = options;
  const timeoutMs = settings.requestTimeoutSeconds * 1000;
  return {
    createSplunkd: (payload) =>
      // Secrets and inputs live in the add-on's own namespace, whatever app the saved search is in.
      createSplunkdClient({ serverUri: payload.serverUri, sessionKey: payload.sessionKey, app: APP_ID, log }),

    createDefenderHttp: async ({ tenantId, clientId, secret, proxyUrl }, endpoints, family, splunkd) =>
      createMicrosoftClients({
        endpoints,
        tenantId,
        clientId,
        clientSecret: secret,
        api: family,
        proxyUrl: proxyUrl ?? (await appProxyUrl(settings, splunkd)),
        timeoutMs,
        maxRetries: settings.maxRetries,
        log,
        clock,
      }).http,

    readRows: (payload) =>
      payload.resultsFile !== undefined ? readResultRows(payload.resultsFile) : single(payload.result),
  };
}

/** The payload's one `result` (splunkd sends it even without a results file) as the only row. */
function single(result: Record<string, unknown> | undefined): ResultRow[] {
  return result ? [toResultRowFromObject(result)] : [];
}
