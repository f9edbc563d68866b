/**
 * What validation and runs of `defender_stream` do with the real adapters: resolve the stanza, read its secret (or its
 * account's), build the Event Hubs client, then check it (validation) or consume the hub until stopped (run).
 * Stanzas of one process run side by side (splunkd normally gives each stanza its own process).
 */
import {
  createEventHubsConsumer,
  asTokenCredential,
  type EventHubsConsumerOptions,
} from '../../adapters/eventhubs-consumer.js';
import { createFileCheckpointStore } from '../../adapters/file-checkpoint-store.js';
import { createMsalTokenProvider, checkCredentials } from '../../adapters/msal-token-provider.js';
import { createOutbound } from '../../adapters/network/outbound.js';
import { resolveStanzaSecret } from '../../composition/stanza-secret.js';
import {
  addonSplunkd,
  readAccountOf,
  resolveForValidation,
  silentLog,
  stanzaProxyUrl,
} from '../../composition/stanza-setup.js';
import { STREAM_SCHEME } from '../../config/stream-arguments.js';
import { EVENT_HUBS_SCOPE, type StreamInputConfig } from '../../config/stream-config.js';
import { resolveStreamConfig } from '../../config/stream-resolve.js';
import { describeStreamFailure } from '../../eventhubs/stream-errors.js';
import type { InputDefinition, StanzaDefinition, ValidationDefinition } from '../../modinput/scheme-types.js';
import type { EventSink, Logger, RedactingLogger } from '../../ports.js';
import { describeForAdmin } from '../../toolkit/error-info.js';
import { consumeStream } from './consume-stream.js';
import type { StreamContext } from './stream-input.js';

const PAGE = 'Microsoft Defender streaming (Event Hubs)';

/** storage/passwords user of a stream stanza's secret; the scheme in it keeps it apart from an alerts input's. */
export function streamSecretUser(name: string, field: 'connection_string' | 'client_secret'): string {
  return `${STREAM_SCHEME}.${name}.${field}`;
}

/**
 * --validate-arguments: every config problem at once; then, with a clear secret, one short look at the hub (the
 * namespace answers, the credentials are accepted, the hub and consumer group exist).
 */
export async function validateStreamItem(
  definition: ValidationDefinition,
  context: StreamContext,
): Promise<string | undefined> {
  const splunkd = addonSplunkd(definition);
  const validated = await resolveForValidation(
    definition.item,
    splunkd,
    (account) => resolveStreamConfig(definition.item, { mode: 'validate', account }).config,
  );
  if (!validated.ok) return validated.message;
  const { config, account } = validated;
  const auth = config.auth;
  // The mask means "stored in splunkd": splunkd sends it back when the add-on masked the stanza.
  if (auth.kind === 'sas' && auth.connectionString.kind === 'masked') return undefined;
  if (auth.kind === 'entra' && auth.clientSecret.kind === 'masked') return undefined;
  const proxyUrl = await stanzaProxyUrl(config.proxyUrl, context.settings, splunkd);
  const timeoutMs = context.settings.validationTimeoutMs;
  let consumerAuth: EventHubsConsumerOptions['auth'];
  if (auth.kind === 'sas') {
    consumerAuth = { kind: 'sas', connectionString: (auth.connectionString as { value: string }).value };
  } else {
    const secret = account ? account.secret : (auth.clientSecret as { value: string }).value;
    const refused = await checkCredentials(entraTokenOptions(auth, secret, proxyUrl, timeoutMs));
    if (refused !== undefined) return refused;
    consumerAuth = {
      kind: 'entra',
      credential: entraCredential(auth, secret, proxyUrl, timeoutMs, silentLog, context),
    };
  }
  const client = consumerOf(config, consumerAuth, proxyUrl, { maxRetries: 0, timeoutInMs: timeoutMs });
  const where = { namespace: config.namespace, hub: config.hub, consumerGroup: config.consumerGroup };
  try {
    const answer = await raceTimeout(
      (async () => {
        const hub = await client.getEventHubProperties();
        // The partition read needs a token for the hub's management node too: the same right a reader needs.
        await client.getPartitionProperties(hub.partitionIds[0] ?? '0');
        return undefined;
      })(),
      timeoutMs,
    );
    if (answer === 'timeout')
      return `The Event Hubs namespace ${config.namespace} did not answer within ${Math.round(timeoutMs / 1000)} s: check event_hub_namespace, DNS and that this host may reach it on port 5671 (or set proxy_url for port 443).`;
    return undefined;
  } catch (error) {
    return describeStreamFailure(error, where).message;
  } finally {
    await closeWithin(client);
  }
}

export async function streamStanzas(
  definition: InputDefinition,
  sink: EventSink,
  log: RedactingLogger,
  context: StreamContext,
): Promise<number> {
  log.redact(definition.sessionKey);
  const outcomes = await Promise.all(
    definition.stanzas.map((stanza) => runStanza(stanza, definition, sink, log, context)),
  );
  return outcomes.every(Boolean) ? 0 : 1;
}

async function runStanza(
  stanza: StanzaDefinition,
  definition: InputDefinition,
  sink: EventSink,
  log: RedactingLogger,
  context: StreamContext,
): Promise<boolean> {
  const started = context.clock.nowMs();
  const input = stanza.name;
  const duration = () => ((context.clock.nowMs() - started) / 1000).toFixed(3);
  let client: ReturnType<typeof createEventHubsConsumer> | undefined;
  try {
    const splunkd = addonSplunkd(definition, log);
    const account = await readAccountOf(stanza, splunkd);
    if (account) log.redact(account.secret);
    const { config, warnings } = resolveStreamConfig(stanza, { mode: 'run', account: account?.account });
    for (const warning of warnings) log.warn(warning, { action: 'config_warning', input });
    const auth = config.auth;
    if (auth.kind === 'sas' && auth.connectionString.kind === 'clear')
      redactConnectionString(log, auth.connectionString.value);
    if (auth.kind === 'entra' && auth.clientSecret.kind === 'clear') log.redact(auth.clientSecret.value);
    const proxyUrl = await stanzaProxyUrl(config.proxyUrl, context.settings, splunkd);
    for (const secret of createOutbound({ proxyUrl }).secrets) log.redact(secret);

    let consumerAuth: EventHubsConsumerOptions['auth'];
    if (auth.kind === 'sas') {
      const connectionString = await resolveStanzaSecret(
        {
          scheme: STREAM_SCHEME,
          name: config.name,
          app: config.app,
          field: 'connection_string',
          user: streamSecretUser(config.name, 'connection_string'),
          value: auth.connectionString,
          page: PAGE,
        },
        splunkd,
        log,
      );
      redactConnectionString(log, connectionString);
      consumerAuth = { kind: 'sas', connectionString };
    } else {
      const secret =
        auth.clientSecret.kind === 'account'
          ? account!.secret
          : await resolveStanzaSecret(
              {
                scheme: STREAM_SCHEME,
                name: config.name,
                app: config.app,
                field: 'client_secret',
                user: streamSecretUser(config.name, 'client_secret'),
                value: auth.clientSecret,
                page: PAGE,
              },
              splunkd,
              log,
            );
      log.redact(secret);
      consumerAuth = {
        kind: 'entra',
        credential: entraCredential(auth, secret, proxyUrl, context.settings.requestTimeoutMs, log, context),
      };
    }
    client = consumerOf(config, consumerAuth, proxyUrl, {
      maxRetries: 3,
      retryDelayInMs: 1000,
      maxRetryDelayInMs: 10_000,
      timeoutInMs: 30_000,
    });
    const result = await consumeStream({
      config,
      client,
      store: createFileCheckpointStore(definition.checkpointDir),
      sink,
      log,
      clock: context.clock,
      signal: context.signal,
      limits: context.settings.limits,
    });
    const fields = {
      action: 'run_end',
      input,
      api: 'stream',
      status: result.status,
      n_events: result.events,
      n_filtered: result.filtered,
      n_non_record: result.nonRecord,
      duration_s: duration(),
      lag_s: result.lagSeconds.toFixed(1),
    };
    if (result.error) {
      log.error(result.error.message, { ...fields, error: result.error.code });
      return false;
    }
    log.info('Stream stopped on request; progress saved', fields);
    return true;
  } catch (error) {
    const { code, message } = describeForAdmin(error);
    log.error(message, {
      action: 'run_end',
      input,
      api: 'stream',
      status: 'error',
      error: code,
      n_events: 0,
      duration_s: duration(),
    });
    return false;
  } finally {
    if (client) await closeWithin(client);
  }
}

function entraCredential(
  auth: EntraAuth,
  secret: string,
  proxyUrl: string | undefined,
  timeoutMs: number,
  log: Logger,
  context: StreamContext,
) {
  const provider = createMsalTokenProvider({
    ...entraTokenOptions(auth, secret, proxyUrl, timeoutMs),
    log,
    clock: context.clock,
  });
  return asTokenCredential(provider, () => context.clock.nowMs());
}

type EntraAuth = Extract<StreamInputConfig['auth'], { kind: 'entra' }>;

/** What Entra ID is asked for an Event Hubs token, the same for the validation check and the run's provider. */
function entraTokenOptions(auth: EntraAuth, secret: string, proxyUrl: string | undefined, timeoutMs: number) {
  return {
    authority: auth.authority,
    clientId: auth.clientId,
    clientSecret: secret,
    scope: EVENT_HUBS_SCOPE,
    knownAuthorities: auth.knownAuthorities,
    tenantId: auth.tenantId,
    outbound: createOutbound({ proxyUrl }),
    timeoutMs,
  };
}

/** The Event Hubs client of the stanza's hub and consumer group; validation and runs differ only in `retry`. */
function consumerOf(
  config: StreamInputConfig,
  auth: EventHubsConsumerOptions['auth'],
  proxyUrl: string | undefined,
  retry: EventHubsConsumerOptions['retry'],
) {
  return createEventHubsConsumer({
    consumerGroup: config.consumerGroup,
    namespace: config.namespace,
    hub: config.hub,
    auth,
    customEndpointAddress: config.customEndpointAddress,
    proxyUrl,
    retry,
  });
}

/** The whole string and its key, wherever either shows up. */
function redactConnectionString(log: RedactingLogger, connectionString: string): void {
  log.redact(connectionString);
  const key = /SharedAccessKey\s*=\s*([^;]+)/i.exec(connectionString)?.[1];
  if (key) log.redact(key.trim());
  const signature = /SharedAccessSignature\s*=\s*([^;]+)/i.exec(connectionString)?.[1];
  if (signature) log.redact(signature.trim());
}

/** Closes the client, giving up after 2 s: a namespace that no longer answers must not hold up the run's end. */
async function closeWithin(client: { close(): Promise<void> }): Promise<void> {
  await raceTimeout(
    client.close().catch(() => undefined),
    2000,
  );
}

function raceTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
