/**
 * What validation and runs of `defender_alerts` do, with the real adapters (loaded by input-handlers.ts on first use).
 * One stanza failing never stops the others; the exit code says whether any failed.
 */
import { collectAlerts } from './collect-alerts.js';
import { resolveConfig } from '../../config/resolve.js';
import { createFileCheckpointStore } from '../../adapters/file-checkpoint-store.js';
import { resolveClientSecret } from '../../composition/client-secret.js';
import { checkMicrosoftCredentials, createMicrosoftClients } from '../../composition/microsoft-clients.js';
import { PacedGate, quotaFor, RequestPacer } from '../../defender/request-quota.js';
import { createSource } from '../../defender/sources/create-source.js';
import { AdaptivePoolSize, fixedPoolSize } from '../../defender/window-pool.js';
import { targetItemsFor } from '../../defender/window-planner.js';
import { GRAPH_MAX_TOP, INCIDENTS_MAX_TOP, MDE_MAX_TOP } from '../../defender/alerts-query.js';
import { addonSplunkd, readAccountOf, resolveForValidation, stanzaProxyUrl } from '../../composition/stanza-setup.js';
import { describeForAdmin } from '../../toolkit/error-info.js';
import type { EventSink, RedactingLogger } from '../../ports.js';
import type { InputDefinition, StanzaDefinition, ValidationDefinition } from '../../modinput/scheme-types.js';
import type { InputContext } from './alerts-input.js';

/**
 * --validate-arguments: every config problem at once (an account the stanza names is read from splunkd first), then
 * one short token request for a clear secret or an account's.
 */
export async function validateItem(
  definition: ValidationDefinition,
  context: InputContext,
): Promise<string | undefined> {
  const splunkd = addonSplunkd(definition);
  const validated = await resolveForValidation(
    definition.item,
    splunkd,
    (account) => resolveConfig(definition.item, { mode: 'validate', account }).config,
  );
  if (!validated.ok) return validated.message;
  const { config, account } = validated;
  // The mask means "stored in splunkd": splunkd itself sends it when the add-on masks the stanza, so accept it
  // unchecked.
  if (config.clientSecret.kind === 'masked') return undefined;
  return checkMicrosoftCredentials({
    endpoints: config.endpoints,
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: account ? account.secret : config.clientSecret.kind === 'clear' ? config.clientSecret.value : '',
    proxyUrl: await stanzaProxyUrl(config.proxyUrl, context.settings, splunkd),
    timeoutMs: context.settings.validationTimeoutMs,
  });
}

/** Each API's largest page, the page size the sources use unless page_size says otherwise. */
const MAX_TOP = { graph: GRAPH_MAX_TOP, mde: MDE_MAX_TOP, incidents: INCIDENTS_MAX_TOP, siem: 1 } as const;

export async function streamStanzas(
  definition: InputDefinition,
  sink: EventSink,
  log: RedactingLogger,
  context: InputContext,
): Promise<number> {
  log.redact(definition.sessionKey);
  let failures = 0;
  for (const stanza of definition.stanzas) {
    if (context.signal.aborted) break;
    const ok = await runStanza(stanza, definition, sink, log, context);
    if (!ok) failures++;
  }
  return failures === 0 ? 0 : 1;
}

async function runStanza(
  stanza: StanzaDefinition,
  definition: InputDefinition,
  sink: EventSink,
  log: RedactingLogger,
  context: InputContext,
): Promise<boolean> {
  const started = context.clock.nowMs();
  const input = stanza.name;
  const duration = () => ((context.clock.nowMs() - started) / 1000).toFixed(3);
  let api: string | undefined;
  try {
    const splunkd = addonSplunkd(definition, log);
    const account = await readAccountOf(stanza, splunkd);
    if (account) log.redact(account.secret);
    const { config, warnings } = resolveConfig(stanza, { mode: 'run', account: account?.account });
    api = config.api;
    for (const warning of warnings) log.warn(warning, { action: 'config_warning', input });
    if (config.clientSecret.kind === 'clear') log.redact(config.clientSecret.value);

    const secret = account ? account.secret : await resolveClientSecret(config, splunkd, log);
    const gate = new PacedGate(
      new RequestPacer(quotaFor(config.api, context.settings.requestsPerMinute)),
      context.clock,
    );
    const { http } = createMicrosoftClients({
      endpoints: config.endpoints,
      tenantId: config.tenantId,
      clientId: config.clientId,
      clientSecret: secret,
      api: config.api,
      proxyUrl: await stanzaProxyUrl(config.proxyUrl, context.settings, splunkd),
      timeoutMs: context.settings.requestTimeoutMs,
      maxRetries: context.settings.maxRetries,
      log,
      clock: context.clock,
      gate,
    });
    const concurrent = context.settings.concurrentWindows;
    const pageItems = Math.min(context.settings.pageSize ?? Infinity, MAX_TOP[config.api]);
    const result = await collectAlerts({
      config,
      source: createSource(config, http, log, { pageSize: context.settings.pageSize }),
      store: createFileCheckpointStore(definition.checkpointDir),
      sink,
      log,
      clock: context.clock,
      signal: context.signal,
      limits: {
        targetItemsPerWindow: targetItemsFor(config.api, pageItems),
        ...(config.api === 'siem' ? {} : { pageItems }),
        ...context.settings.limits,
      },
      pool: concurrent > 0 ? fixedPoolSize(concurrent) : new AdaptivePoolSize(() => gate.waiting),
    });
    log.info(result.status === 'stopped' ? 'Run stopped on request; progress saved' : 'Run finished', {
      action: 'run_end',
      input,
      api,
      status: result.status,
      n_events: result.events,
      ...(config.api === 'incidents' ? { n_alert_events: result.alertEvents } : {}),
      pages: result.pages,
      duplicates: result.duplicates,
      invalid: result.invalid,
      windows: result.windows,
      throttled: gate.throttles,
      duration_s: duration(),
      lag_s: result.lagSeconds.toFixed(1),
      // While a replay is in progress (and on the run that finishes it), the Collector health dashboard shows it.
      ...(result.replay
        ? { replay: result.replay.value, replay_done: result.replay.done, replay_events: result.replay.events }
        : {}),
    });
    return true;
  } catch (error) {
    const { code, message } = describeForAdmin(error);
    log.error(message, { action: 'run_end', input, api, status: 'error', error: code, duration_s: duration() });
    return false;
  }
}
