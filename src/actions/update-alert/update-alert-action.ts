/**
 * `defender_update_alert`: for each result row, the alert id(s) in `id_field` (default `id`; a multi-valued field is
 * one update per id) get the change set by the parameters status, classification, determination, assigned_to and
 * comment, through the API of the input named by `input` (graph → Graph, mde and siem → Defender for Endpoint).
 */
import { ConfigError } from '../../errors.js';
import { parseAlertChange } from '../rules/alert-change.js';
import { loadActionTarget } from '../../composition/action-target.js';
import { readText } from '../rules/params.js';
import { createRateLimiter } from '../defender/rate-limiter.js';
import { collectRowIds, recordUnactionable } from '../protocol/row-ids.js';
import type { ActionRun, AlertActionDefinition } from '../protocol/run-action.js';
import { isAlertId, updateAlerts } from '../defender/update-alerts.js';

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
  const { items, early } = await collectRowIds(run, idField, {
    noun: 'alert',
    isId: isAlertId,
    idRule: ' (letters, digits, _ - . : only)',
  });

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
    await recordUnactionable(run, early, items, error);
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
