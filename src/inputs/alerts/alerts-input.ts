/**
 * The `defender_alerts` modular input's handlers for the protocol runner (modinput/script.ts): the scheme, and
 * validation and runs, which live in input-runtime.ts.
 *
 * `--scheme` runs at every splunkd start, for every scheme: it needs only the argument table. Validation and runs
 * load input-runtime.ts (msal-node, got, splunk-sdk) on first use, which takes most of the start-up time.
 */
import type { CollectLimits } from './collect-alerts.js';
import type { AppSettings } from '../../config/app-settings.js';
import { buildScheme } from '../../config/scheme.js';
import type { Clock, EventSink, RedactingLogger } from '../../ports.js';
import type { InputDefinition, ValidationDefinition } from '../../modinput/scheme-types.js';

/** App-wide settings (default/ta_microsoft_defender_settings.conf, overridden by local/). */
export interface InputSettings {
  /** Proxy used when a stanza sets none. */
  defaultProxyUrl: string | undefined;
  /** User for that proxy, whose password the Configuration page keeps in storage/passwords. */
  defaultProxyUsername: string | undefined;
  /** Per-request timeout for Microsoft calls. */
  requestTimeoutMs: number;
  /** Timeout of the credential check during --validate-arguments (splunkd kills slow validators). */
  validationTimeoutMs: number;
  /** Retries of a failed request (5xx, reset, timeout) before the run fails. */
  maxRetries: number;
  /** Alerts per page; undefined means each API's maximum (graph 1,000, mde 10,000). */
  pageSize: number | undefined;
  limits: Partial<CollectLimits>;
  /** Windows read at once; 0 means adaptive. */
  concurrentWindows: number;
  /** Requests a minute at most; undefined means the API's documented quota. */
  requestsPerMinute: number | undefined;
}

/** The input's settings from the app-wide ones. */
export function inputSettingsFrom(app: AppSettings): InputSettings {
  return {
    defaultProxyUrl: app.proxyUrl,
    defaultProxyUsername: app.proxyUsername,
    requestTimeoutMs: app.requestTimeoutSeconds * 1000,
    validationTimeoutMs: 8_000,
    maxRetries: app.maxRetries,
    pageSize: app.pageSize === 0 ? undefined : app.pageSize,
    limits: { maxPagesPerRun: app.maxPagesPerRun },
    concurrentWindows: app.concurrentWindows,
    requestsPerMinute: app.maxRequestsPerMinute === 0 ? undefined : app.maxRequestsPerMinute,
  };
}

export interface InputContext {
  settings: InputSettings;
  clock: Clock;
  /** Aborted on SIGTERM: stop fetching, flush, save what was flushed, exit. */
  signal: AbortSignal;
}

export function createInputHandlers(context: InputContext) {
  return {
    scheme: buildScheme,
    validate: async (definition: ValidationDefinition) =>
      (await import('./alerts-stanza-runner.js')).validateItem(definition, context),
    stream: async (definition: InputDefinition, sink: EventSink, log: RedactingLogger) =>
      (await import('./alerts-stanza-runner.js')).streamStanzas(definition, sink, log, context),
  };
}
