/**
 * Every row's outcome, written back to Splunk as an event (sourcetype `ms:defender:action`, one JSON object per line)
 * through splunkd's receivers/simple with the payload's session key, and counted for the summary line. Events are
 * sent in small batches as the work progresses, so rows that succeeded are on record even if a later batch fails or
 * splunkd kills the action at `maxtime`.
 */
import type { Logger, SplunkdClient } from '../../ports.js';
import { errorInfo } from '../../toolkit/error-info.js';

/** The sourcetype of outcome events (default/props.conf). */
export const OUTCOME_SOURCETYPE = 'ms:defender:action';

/** What became of one alert id or indicator value. */
export type OutcomeKind = 'success' | 'failure' | 'invalid' | 'dry_run' | 'skipped';

/** The outcome of one item (an alert id, an indicator value) of one result row. */
export interface RowOutcome {
  /** 1-based position of the row in the results file. */
  row: number;
  outcome: OutcomeKind;
  /** Alert id (defender_update_alert). */
  id?: string;
  /** Indicator value (defender_submit_indicator). */
  value?: string;
  /** Indicator type, given or inferred. */
  indicatorType?: string;
  /** The indicator's id in Defender, when the import returned one. */
  indicatorId?: string;
  /** HTTP status of the call that decided the outcome; undefined when no call was made. */
  httpStatus?: number;
  /** Why it failed, was invalid or was skipped. */
  error?: string;
  /** Whether the result was checked against what Defender returned or read back (alert updates). */
  verified?: boolean;
}

/** Fields shared by every outcome event of one run. */
export interface OutcomeContext {
  /** The action's stanza name, e.g. `defender_update_alert`. */
  action: string;
  searchName: string | undefined;
  sid: string | undefined;
  /** The defender_alerts input whose credentials were used. */
  input: string | undefined;
  /** Extra fields for every event of the run (e.g. the requested change). */
  extra?: Record<string, unknown>;
}

/** Counts per outcome, for the summary line and the exit code. */
export type OutcomeCounts = Record<OutcomeKind, number>;

/** Turns one outcome into the event's JSON text (one line). */
export function formatOutcomeEvent(outcome: RowOutcome, context: OutcomeContext): string {
  const event: Record<string, unknown> = {
    action: context.action,
    outcome: outcome.outcome,
    ...(outcome.id !== undefined ? { id: outcome.id } : {}),
    ...(outcome.value !== undefined ? { value: outcome.value } : {}),
    ...(outcome.indicatorType !== undefined ? { indicator_type: outcome.indicatorType } : {}),
    ...(outcome.indicatorId !== undefined ? { indicator_id: outcome.indicatorId } : {}),
    ...(outcome.verified !== undefined ? { verified: outcome.verified } : {}),
    http_status: outcome.httpStatus ?? null,
    error: outcome.error ?? null,
    row: outcome.row,
    search_name: context.searchName ?? null,
    sid: context.sid ?? null,
    input: context.input ?? null,
    ...context.extra,
  };
  return JSON.stringify(event);
}

/** Collects outcomes, sends them to Splunk in batches and counts them. */
export interface OutcomeRecorder {
  /** Records one outcome; sends a batch when enough have gathered. */
  record(outcome: RowOutcome): Promise<void>;
  /** Sends what is still buffered. */
  flush(): Promise<void>;
  /** Counts so far. */
  counts(): OutcomeCounts;
  /** Events that could not be written to Splunk (splunkd down, session expired). */
  unsent(): number;
}

export interface OutcomeRecorderOptions {
  splunkd: Pick<SplunkdClient, 'sendEvent'>;
  context: OutcomeContext;
  /** Target index; undefined lets splunkd choose its default index. */
  index: string | undefined;
  log: Logger;
  /** Removes secrets from error texts before they become events. */
  scrub: (text: string) => string;
  /** Events per receivers/simple request. */
  batchSize?: number;
}

/** Lines per receivers/simple POST: one request per batch of rows, small enough to be on record quickly. */
const DEFAULT_BATCH_SIZE = 100;

/** Creates the recorder for one action run. */
export function createOutcomeRecorder(options: OutcomeRecorderOptions): OutcomeRecorder {
  const { splunkd, context, index, log, scrub } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const counts: OutcomeCounts = { success: 0, failure: 0, invalid: 0, dry_run: 0, skipped: 0 };
  let buffer: string[] = [];
  let unsent = 0;
  let warned = false;

  async function send(): Promise<void> {
    if (buffer.length === 0) return;
    const lines = buffer;
    buffer = [];
    try {
      // props.conf breaks ms:defender:action on newlines, so one POST carries many events.
      await splunkd.sendEvent({
        data: lines.join('\n'),
        sourcetype: OUTCOME_SOURCETYPE,
        source: context.action,
        index,
      });
    } catch (error) {
      unsent += lines.length;
      if (!warned) {
        warned = true;
        log.warn(`Could not write outcome events to Splunk: ${scrub(errorInfo(error).message)}`, {
          action: context.action,
          error: errorInfo(error).code ?? 'unknown',
        });
      }
    }
  }

  return {
    async record(outcome) {
      counts[outcome.outcome]++;
      const clean: RowOutcome = outcome.error !== undefined ? { ...outcome, error: scrub(outcome.error) } : outcome;
      log.debug('row outcome', {
        action: context.action,
        row: clean.row,
        outcome: clean.outcome,
        id: clean.id,
        value: clean.value,
        http_status: clean.httpStatus,
        error: clean.error,
      });
      buffer.push(formatOutcomeEvent(clean, context));
      if (buffer.length >= batchSize) await send();
    },
    flush: send,
    counts: () => ({ ...counts }),
    unsent: () => unsent,
  };
}
