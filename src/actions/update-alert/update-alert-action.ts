/**
 * `defender_update_alert`: for each result row, the alert id(s) in `id_field` (default `id`; a multi-valued field is
 * one update per id) get the change set by the parameters status, classification, determination, assigned_to and
 * comment, through the API of the input named by `input` (graph → Graph, mde and siem → Defender for Endpoint).
 */
import { ConfigError } from '../../errors.js';
import { parseAlertChange } from '../rules/alert-change.js';
import { loadActionTarget } from '../../composition/action-target.js';
import { describeFailure } from '../defender/http-json.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { readText } from '../rules/params.js';
import { createRateLimiter } from '../defender/rate-limiter.js';
import { allValues } from '../protocol/result-rows.js';
import type { ActionRun, AlertActionDefinition } from '../protocol/run-action.js';
import { isAlertId, updateAlerts, type AlertItem } from '../defender/update-alerts.js';

/** The stanza name in alert_actions.conf. */
export const UPDATE_ALERT_ACTION = 'defender_update_alert';

/** batchUpdate: 10 calls per minute (https://learn.microsoft.com/defender-endpoint/api/batch-update-alerts). */
const BATCH_UPDATE_PER_MINUTE = 10;

/** The action definition runAlertAction runs. */
export const updateAlertAction: AlertActionDefinition = {
  name: UPDATE_ALERT_ACTION,
  itemNoun: 'alert',
  run: runUpdateAlert,
};

async function runUpdateAlert(run: ActionRun): Promise<void> {
  const idField = readText(run.config, 'id_field') ?? 'id';
  const { items, early } = await collectAlertItems(run, idField);

  let target;
  let change;
  try {
    target = await loadActionTarget({
      accountParam: run.config.account,
      apiUrlParam: run.config.api_url,
      inputParam: run.config.input,
      purpose: 'update_alerts',
      splunkd: run.splunkd,
      log: run.log,
      onSource: (source) => run.describeRun('input' in source ? source : { extra: source }),
    });
    const parsed = parseAlertChange(run.config, target.family);
    if (!parsed.ok) throw new ConfigError(parsed.problems);
    change = parsed.change;
    run.describeRun({ extra: { api: target.family, change, dry_run: run.dryRun } });
  } catch (error) {
    // The rows cannot be acted on: each one still gets an outcome event saying why.
    for (const outcome of early) await run.record(outcome);
    const failure = describeFailure(error);
    const outcome = error instanceof ConfigError ? 'invalid' : 'failure';
    for (const item of items)
      await run.record({ row: item.row, id: item.id, outcome, httpStatus: failure.httpStatus, error: failure.message });
    throw error;
  }
  for (const outcome of early) await run.record(outcome);

  if (run.dryRun) {
    for (const item of items) await run.record({ row: item.row, id: item.id, outcome: 'dry_run' });
    return;
  }
  const http = await run.services.createDefenderHttp(target.credentials, target.endpoints, target.family, run.splunkd);
  await updateAlerts({
    items,
    change,
    family: target.family,
    apiBase: target.endpoints.apiBase,
    http,
    log: run.log,
    signal: run.signal,
    record: (outcome) => run.record(outcome),
    batchLimiter: createRateLimiter({ limit: BATCH_UPDATE_PER_MINUTE, windowMs: 60_000, clock: run.clock }),
  });
}

/**
 * Reads every row's ids. Rows without an id are skipped, malformed ids are invalid, and an id seen before is skipped
 * (one update per alert); those outcomes are returned for recording once the run's context is known.
 */
async function collectAlertItems(
  run: ActionRun,
  idField: string,
): Promise<{ items: AlertItem[]; early: RowOutcome[] }> {
  const items: AlertItem[] = [];
  const early: RowOutcome[] = [];
  const firstRow = new Map<string, number>();
  let rowNumber = 0;
  for await (const row of run.services.readRows(run.payload)) {
    rowNumber++;
    const ids = allValues(row, idField);
    if (ids.length === 0) {
      early.push({
        row: rowNumber,
        outcome: 'skipped',
        error: `The row has no value in field ${idField} (set id_field to the field that holds the alert id).`,
      });
      continue;
    }
    for (const id of ids) {
      if (!isAlertId(id)) {
        early.push({
          row: rowNumber,
          id,
          outcome: 'invalid',
          error: `${JSON.stringify(id.slice(0, 80))} in field ${idField} is not a Defender alert id (letters, digits, _ - . : only).`,
        });
      } else if (firstRow.has(id.toLowerCase())) {
        early.push({
          row: rowNumber,
          id,
          outcome: 'skipped',
          error: `Alert ${id} already appears in row ${firstRow.get(id.toLowerCase())}; it is updated once.`,
        });
      } else {
        firstRow.set(id.toLowerCase(), rowNumber);
        items.push({ row: rowNumber, id });
      }
    }
  }
  return { items, early };
}
