/**
 * The `defender_stream` modular input's handlers for the protocol runner (modinput/script.ts). `--scheme` needs only
 * the argument table; validation and runs load stream-stanza-runner.ts (the Event Hubs SDK, msal-node) on first use.
 */
import type { AppSettings } from '../../config/app-settings.js';
import { buildStreamScheme } from '../../config/stream-scheme.js';
import type { InputDefinition, ValidationDefinition } from '../../modinput/scheme-types.js';
import type { Clock, EventSink, RedactingLogger } from '../../ports.js';
import type { StreamLimits } from './consume-stream.js';

export interface StreamInputSettings {
  defaultProxyUrl: string | undefined;
  defaultProxyUsername: string | undefined;
  /** Per-request timeout of Entra ID calls and of each Event Hubs operation. */
  requestTimeoutMs: number;
  /** How long --validate-arguments waits for the namespace (splunkd kills slow validators). */
  validationTimeoutMs: number;
  limits: Partial<StreamLimits>;
}

export function streamSettingsFrom(app: AppSettings): StreamInputSettings {
  return {
    defaultProxyUrl: app.proxyUrl,
    defaultProxyUsername: app.proxyUsername,
    requestTimeoutMs: app.requestTimeoutSeconds * 1000,
    validationTimeoutMs: 8_000,
    limits: {},
  };
}

export interface StreamContext {
  settings: StreamInputSettings;
  clock: Clock;
  /** Aborted on SIGTERM: finish the batch in hand, flush, save the checkpoint, end. */
  signal: AbortSignal;
}

export function createStreamHandlers(context: StreamContext) {
  return {
    scheme: buildStreamScheme,
    validate: async (definition: ValidationDefinition) =>
      (await import('./stream-stanza-runner.js')).validateStreamItem(definition, context),
    stream: async (definition: InputDefinition, sink: EventSink, log: RedactingLogger) =>
      (await import('./stream-stanza-runner.js')).streamStanzas(definition, sink, log, context),
  };
}
