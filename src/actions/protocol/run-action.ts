/**
 * The alert-action protocol around one action
 * (https://dev.splunk.com/enterprise/docs/devtools/customalertactions/writescriptcaa/): `--execute` only, the JSON
 * payload on
 * stdin, the results rows, the outcome events, one summary line on stderr, and the exit code (0 when every item
 * succeeded, was skipped, or was validated in a dry run; 1 otherwise, with one ERROR line saying what failed; 2 for a
 * wrong invocation). The actions themselves (update-alert-action.ts, submit-indicator-action.ts) only turn rows into
 * outcomes.
 */
import type { Endpoints } from '../../config/types.js';
import { ConfigError } from '../../errors.js';
import { describeForAdmin } from '../../toolkit/error-info.js';
import { readUntilComplete } from '../../toolkit/read-until.js';
import { Redactor } from '../../toolkit/redact.js';
import type { Clock, HttpClient, RedactingLogger, SplunkdClient } from '../../ports.js';
import type { AlertApiFamily } from '../rules/alert-change.js';
import type { ActionCredentials } from '../../composition/action-target.js';
import {
  createOutcomeRecorder,
  type OutcomeContext,
  type OutcomeCounts,
  type OutcomeRecorder,
  type RowOutcome,
} from './outcomes.js';
import { EXECUTE_FLAG, parseActionPayload, type ActionPayload } from './payload.js';
import { parseFlag, readText } from '../rules/params.js';
import type { ResultRow } from './result-rows.js';

/** The outside world of an action, real in the entry files, fake or local in tests. */
export interface ActionServices {
  createSplunkd(payload: ActionPayload): SplunkdClient;
  /**
   * An authenticated client for the endpoints, with the app registration, proxy and timeouts; `splunkd` gives the
   * app-wide proxy's password when the Configuration page set a proxy user.
   */
  createDefenderHttp(
    credentials: ActionCredentials,
    endpoints: Endpoints,
    family: AlertApiFamily,
    splunkd: SplunkdClient,
  ): Promise<HttpClient>;
  /** The search results: the results file, or the payload's single `result`. */
  readRows(payload: ActionPayload): AsyncIterable<ResultRow> | Iterable<ResultRow>;
}

/** What runAlertAction hands to an action. */
export interface ActionRun {
  payload: ActionPayload;
  /** The action's parameters (payload.configuration). */
  config: Record<string, string>;
  dryRun: boolean;
  splunkd: SplunkdClient;
  services: ActionServices;
  log: RedactingLogger;
  clock: Clock;
  signal: AbortSignal;
  /** Sets fields every outcome event carries from now on (the input, the requested change). */
  describeRun(fields: { input?: string; extra?: Record<string, unknown> }): void;
  /** Records one item's outcome (sent to Splunk in batches). */
  record(outcome: RowOutcome): Promise<void>;
}

/** One alert action. */
export interface AlertActionDefinition {
  /** The stanza name in alert_actions.conf. */
  name: string;
  /** What one item is, for the summary sentence: `alert`, `indicator`. */
  itemNoun: string;
  /** Processes every row; throws only when the whole run cannot go on (after recording what it could). */
  run(context: ActionRun): Promise<void>;
}

/** The process side of a run. */
export interface ActionIo {
  argv: readonly string[];
  stdin: AsyncIterable<Buffer | string>;
  log: RedactingLogger;
  clock: Clock;
  signal: AbortSignal;
  /** How long to wait for the payload on stdin. */
  stdinTimeoutMs?: number;
}

const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** Runs one action as splunkd invokes it and returns the exit code. */
export async function runAlertAction(
  action: AlertActionDefinition,
  io: ActionIo,
  services: ActionServices,
): Promise<number> {
  // Secrets are masked in log lines by the logger and in outcome events by this redactor; register them with both.
  const redactor = new Redactor();
  const log: RedactingLogger = {
    debug: (message, fields) => io.log.debug(message, fields),
    info: (message, fields) => io.log.info(message, fields),
    warn: (message, fields) => io.log.warn(message, fields),
    error: (message, fields) => io.log.error(message, fields),
    redact(secret) {
      io.log.redact(secret);
      redactor.add(secret);
    },
  };
  if (io.argv.length !== 1 || io.argv[0] !== EXECUTE_FLAG) {
    log.error(
      `${action.name} is a Splunk alert action: splunkd runs it with ${EXECUTE_FLAG} and the payload on stdin (got ${io.argv.length === 0 ? 'no arguments' : JSON.stringify(io.argv.join(' ').slice(0, 100))}).`,
      { action: 'action_end', status: 'error', error: 'usage' },
    );
    return 2;
  }
  let payload: ActionPayload;
  try {
    payload = parseActionPayload(await readPayloadText(io.stdin, io.stdinTimeoutMs ?? 30_000));
  } catch (error) {
    const { code, message } = describeForAdmin(error);
    log.error(message, { action: 'action_end', status: 'error', error: code });
    return 1;
  }
  log.redact(payload.sessionKey);

  const config = payload.configuration;
  const dryRunFlag = parseFlag(config.dry_run ?? '0', 'dry_run');
  const splunkd = services.createSplunkd(payload);
  const context: OutcomeContext = {
    action: action.name,
    searchName: payload.searchName,
    sid: payload.sid,
    input: readText(config, 'input'),
  };
  const recorder: OutcomeRecorder = createOutcomeRecorder({
    splunkd,
    context,
    index: readText(config, 'index'),
    log,
    scrub: (text) => redactor.apply(text),
  });
  const started = io.clock.nowMs();
  let rows = 0;
  let fatal: unknown;
  try {
    if (!dryRunFlag.ok) throw new ConfigError([dryRunFlag.problem]);
    await action.run({
      payload,
      config,
      dryRun: dryRunFlag.value,
      splunkd,
      services,
      log,
      clock: io.clock,
      signal: io.signal,
      describeRun(fields) {
        if (fields.input !== undefined) context.input = fields.input;
        if (fields.extra) context.extra = { ...context.extra, ...fields.extra };
      },
      record(outcome) {
        rows = Math.max(rows, outcome.row);
        return recorder.record(outcome);
      },
    });
  } catch (error) {
    fatal = error;
  }
  await recorder.flush();

  const counts = recorder.counts();
  const unsent = recorder.unsent();
  log.info('Alert action finished', {
    action: 'action_end',
    n_rows: rows,
    n_items: total(counts),
    succeeded: counts.success,
    failed: counts.failure,
    invalid: counts.invalid,
    skipped: counts.skipped,
    dry_run: counts.dry_run,
    unsent_events: unsent,
    search_name: payload.searchName,
    sid: payload.sid,
    duration_s: ((io.clock.nowMs() - started) / 1000).toFixed(3),
  });
  const failedItems = counts.failure + counts.invalid;
  if (fatal !== undefined) {
    const { code, message } = describeForAdmin(fatal);
    log.error(message, { action: 'action_end', status: 'error', error: code, failed: failedItems });
    return 1;
  }
  if (failedItems > 0) {
    log.error(
      `${failedItems} of ${total(counts)} ${action.itemNoun}s were not ${counts.failure > 0 ? 'processed' : 'valid'} (${counts.failure} failed, ${counts.invalid} invalid); ${counts.success} succeeded. See index=${readText(config, 'index') ?? '<default>'} sourcetype=ms:defender:action sid="${payload.sid ?? ''}" for each one's reason.`,
      {
        action: 'action_end',
        status: 'error',
        error: counts.failure > 0 ? 'items_failed' : 'items_invalid',
        failed: counts.failure,
        invalid: counts.invalid,
      },
    );
    return 1;
  }
  if (unsent > 0) {
    log.error(
      `Every ${action.itemNoun} was processed, but ${unsent} outcome events could not be written to Splunk (see the WARN line above).`,
      { action: 'action_end', status: 'error', error: 'events_unsent', unsent_events: unsent },
    );
    return 1;
  }
  return 0;
}

/** Reads stdin to EOF, or until it holds a complete JSON object, with a deadline (someone may run it by hand). */
async function readPayloadText(stdin: AsyncIterable<Buffer | string>, timeoutMs: number): Promise<string> {
  const result = await readUntilComplete(stdin, { timeoutMs, maxBytes: MAX_PAYLOAD_BYTES, isComplete: isWholeJson });
  if (result.kind === 'too_large') {
    throw new ConfigError([
      `The payload on stdin is larger than ${MAX_PAYLOAD_BYTES / 1024 / 1024} MB: splunkd's payloads are small; check the action's parameters.`,
    ]);
  }
  if (result.kind === 'timeout' && result.bytes.length === 0) {
    throw new ConfigError([
      `No payload arrived on stdin within ${Math.round(timeoutMs / 1000)} s: the action must be run by splunkd (a saved search or | sendalert).`,
    ]);
  }
  return result.bytes.toString('utf8');
}

function isWholeJson(bytes: Buffer): boolean {
  const text = bytes.toString('utf8').trimEnd();
  if (!text.endsWith('}')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function total(counts: OutcomeCounts): number {
  return counts.success + counts.failure + counts.invalid + counts.skipped + counts.dry_run;
}
