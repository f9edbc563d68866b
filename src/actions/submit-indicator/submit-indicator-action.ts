/**
 * `defender_submit_indicator`: each value in `value_field` (default `indicator`; a multi-valued field gives one
 * indicator per value) becomes a custom indicator in Defender for Endpoint, with the type inferred from the value
 * unless given. The parameters type, action, title, description, severity, expiration, recommended_actions,
 * rbac_group_names and generate_alert apply to every row; a row's own field `indicator_<parameter>` overrides them.
 *
 * Only the prefixed names override: CIM results carry fields named `action` (`allowed` on Malware, IDS and Web data),
 * `type` and `severity`, and this add-on's own alert events have `type=alert`. Taking those as settings would turn a
 * Block search into an allow-list entry, or make every row invalid.
 */
import { ConfigError } from '../../errors.js';
import { loadRunTarget } from '../../composition/action-target.js';
import { describeFailure } from '../defender/http-json.js';
import {
  buildIndicator,
  indicatorKey,
  INDICATOR_SETTING_FIELDS,
  type IndicatorSettings,
} from '../rules/indicator-rules.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { readText } from '../rules/params.js';
import { createRateLimiter } from '../defender/rate-limiter.js';
import { allValues, firstValue, type ResultRow } from '../protocol/result-rows.js';
import type { ActionRun, AlertActionDefinition } from '../protocol/run-action.js';
import { submitIndicators, type IndicatorItem } from '../defender/submit-indicators.js';

/** The stanza name in alert_actions.conf. */
export const SUBMIT_INDICATOR_ACTION = 'defender_submit_indicator';

/** import: 30 calls per minute (https://learn.microsoft.com/defender-endpoint/api/import-ti-indicators). */
const IMPORT_PER_MINUTE = 30;

/** The action definition runAlertAction runs. */
export const submitIndicatorAction: AlertActionDefinition = {
  name: SUBMIT_INDICATOR_ACTION,
  itemNoun: 'indicator',
  run: runSubmitIndicator,
};

async function runSubmitIndicator(run: ActionRun): Promise<void> {
  const valueField = readText(run.config, 'value_field') ?? 'indicator';
  const { items, early } = await collectIndicatorItems(run, valueField);

  let target;
  try {
    target = await loadRunTarget(run, 'submit_indicators');
    run.describeRun({ extra: { dry_run: run.dryRun } });
  } catch (error) {
    for (const outcome of early) await run.record(outcome);
    const failure = describeFailure(error);
    const outcome = error instanceof ConfigError ? 'invalid' : 'failure';
    for (const item of items) {
      await run.record({
        row: item.row,
        value: item.indicator.indicatorValue,
        indicatorType: item.indicator.indicatorType,
        outcome,
        httpStatus: failure.httpStatus,
        error: failure.message,
      });
    }
    throw error;
  }
  for (const outcome of early) await run.record(outcome);

  const http = await run.services.createDefenderHttp(target.credentials, target.endpoints, target.family, run.splunkd);
  try {
    await submitIndicators({
      items,
      apiBase: target.endpoints.apiBase,
      http,
      log: run.log,
      dryRun: run.dryRun,
      signal: run.signal,
      record: (outcome) => run.record(outcome),
      importLimiter: createRateLimiter({ limit: IMPORT_PER_MINUTE, windowMs: 60_000, clock: run.clock }),
    });
  } catch (error) {
    // Counting the tenant's indicators failed: nothing was sent, and each row says so.
    const failure = describeFailure(error);
    for (const item of items) {
      await run.record({
        row: item.row,
        value: item.indicator.indicatorValue,
        indicatorType: item.indicator.indicatorType,
        outcome: 'failure',
        httpStatus: failure.httpStatus,
        error: `Not sent: counting the tenant's indicators (to respect the 15,000 cap) failed: ${failure.message}`,
      });
    }
    throw error;
  }
}

/**
 * Validates every row's values into indicators. Rows without a value are skipped, values that break a rule are
 * invalid, and a (type, value) seen before is skipped: Defender keeps one indicator per type and value.
 */
async function collectIndicatorItems(
  run: ActionRun,
  valueField: string,
): Promise<{ items: IndicatorItem[]; early: RowOutcome[] }> {
  const items: IndicatorItem[] = [];
  const early: RowOutcome[] = [];
  const firstRow = new Map<string, number>();
  const context = { nowMs: run.clock.nowMs(), searchName: run.payload.searchName, sid: run.payload.sid };
  let rowNumber = 0;
  for await (const row of run.services.readRows(run.payload)) {
    rowNumber++;
    const values = allValues(row, valueField);
    if (values.length === 0) {
      early.push({
        row: rowNumber,
        outcome: 'skipped',
        error: `The row has no value in field ${valueField} (set value_field to the field that holds the indicator).`,
      });
      continue;
    }
    const settings = mergeSettings(run.config, row, valueField);
    for (const value of values) {
      const built = buildIndicator(value, settings, context);
      if (!built.ok) {
        early.push({ row: rowNumber, value, outcome: 'invalid', error: built.problems.join(' ') });
        continue;
      }
      const key = indicatorKey(built.indicator);
      const seen = firstRow.get(key);
      if (seen !== undefined) {
        early.push({
          row: rowNumber,
          value: built.indicator.indicatorValue,
          indicatorType: built.indicator.indicatorType,
          outcome: 'skipped',
          error: `The same indicator is in row ${seen}; it is submitted once.`,
        });
        continue;
      }
      firstRow.set(key, rowNumber);
      items.push({ row: rowNumber, indicator: built.indicator });
    }
  }
  return { items, early };
}

/** The prefix of a result field that overrides a parameter for its row: `indicator_action`, `indicator_title`, … */
export const ROW_OVERRIDE_PREFIX = 'indicator_';

/** The action's parameters, each overridden by the row's `indicator_<parameter>` field when that field has a value. */
export function mergeSettings(
  config: Readonly<Record<string, string>>,
  row: ResultRow,
  valueField: string,
): IndicatorSettings {
  const settings: IndicatorSettings = {};
  for (const field of INDICATOR_SETTING_FIELDS) {
    const rowField = `${ROW_OVERRIDE_PREFIX}${field}`;
    // The value field itself is never a setting (a search may name its value column `indicator_title`, say).
    const fromRow =
      rowField === valueField
        ? undefined
        : field === 'rbac_group_names'
          ? allValues(row, rowField)
          : firstValue(row, rowField);
    const hasRow = Array.isArray(fromRow) ? fromRow.length > 0 : fromRow !== undefined;
    if (hasRow) (settings as Record<string, unknown>)[field] = fromRow;
    else if (config[field] !== undefined) (settings as Record<string, unknown>)[field] = config[field];
  }
  return settings;
}
