/**
 * `defender_update_alert`: for each result row, the alert id(s) in `id_field` (default `id`; a multi-valued field is
 * one update per id) get the change set by the parameters status, classification, determination, assigned_to and
 * comment, through the API of the input named by `input` (graph → Graph, mde and siem → Defender for Endpoint).
 */
import { ConfigError } from '../../errors.js';
import { parseAlertChange } from '../rules/alert-change.js';
import { loadRunTarget } from '../../composition/action-target.js';
import { readText } from '../rules/params.js';
import { createRateLimiter } from '../defender/rate-limiter.js';
import { collectRowIds, prepareIdAction } from '../protocol/row-ids.js';
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
  const collected = await collectRowIds(run, idField, {
    noun: 'alert',
    isId: isAlertId,
    idRule: ' (letters, digits, _ - . : only)',
  });
  const prepared = await prepareIdAction(run, collected, async () => {
    const target = await loadRunTarget(run, 'update_alerts');
    const parsed = parseAlertChange(run.config, target.family);
    if (!parsed.ok) throw new ConfigError(parsed.problems);
    run.describeRun({ extra: { api: target.family, change: parsed.change, dry_run: run.dryRun } });
    return { target, change: parsed.change };
  });
  if (prepared === undefined) return;
  const { target, change } = prepared;
  const http = await run.services.createDefenderHttp(target.credentials, target.endpoints, target.family, run.splunkd);
  await updateAlerts({
    items: collected.items,
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
