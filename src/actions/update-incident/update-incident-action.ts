/**
 * `defender_update_incident`: for each result row, the incident id(s) in `id_field` (default `id`, as incident events
 * carry it; `incidentId` for alert events; a multi-valued field is one update per id) get the change set by the
 * parameters status, classification, determination, assigned_to, custom_tags and comment, through Microsoft Graph
 * (`PATCH /security/incidents/{id}`) with the app registration of the account or input named.
 */
import { ConfigError } from '../../errors.js';
import { loadActionTarget } from '../../composition/action-target.js';
import { isIncidentId, updateIncidents } from '../defender/update-incidents.js';
import { collectRowIds, recordUnactionable } from '../protocol/row-ids.js';
import type { ActionRun, AlertActionDefinition } from '../protocol/run-action.js';
import { parseIncidentChange } from '../rules/incident-change.js';
import { readText } from '../rules/params.js';

/** The stanza name in alert_actions.conf. */
export const UPDATE_INCIDENT_ACTION = 'defender_update_incident';

/** The action definition runAlertAction runs. */
export const updateIncidentAction: AlertActionDefinition = {
  name: UPDATE_INCIDENT_ACTION,
  itemNoun: 'incident',
  run: runUpdateIncident,
};

async function runUpdateIncident(run: ActionRun): Promise<void> {
  const idField = readText(run.config, 'id_field') ?? 'id';
  const { items, early } = await collectRowIds(run, idField, {
    noun: 'incident',
    isId: isIncidentId,
    missingHint: ', e.g. incidentId for alert events',
  });

  let target;
  let change;
  try {
    // The values are checked first: a wrong one is refused before the secret is even read.
    const parsed = parseIncidentChange(run.config);
    if (!parsed.ok) throw new ConfigError(parsed.problems);
    change = parsed.change;
    target = await loadActionTarget({
      accountParam: run.config.account,
      apiUrlParam: run.config.api_url,
      inputParam: run.config.input,
      purpose: 'update_incidents',
      splunkd: run.splunkd,
      log: run.log,
      onSource: (source) => run.describeRun('input' in source ? source : { extra: source }),
    });
    run.describeRun({ extra: { api: 'graph', change, dry_run: run.dryRun } });
  } catch (error) {
    await recordUnactionable(run, early, items, error);
    throw error;
  }
  for (const outcome of early) await run.record(outcome);

  if (run.dryRun) {
    for (const item of items) await run.record({ row: item.row, id: item.id, outcome: 'dry_run' });
    return;
  }
  const http = await run.services.createDefenderHttp(target.credentials, target.endpoints, 'graph', run.splunkd);
  await updateIncidents({
    items,
    change,
    apiBase: target.endpoints.apiBase,
    http,
    log: run.log,
    signal: run.signal,
    record: (outcome) => run.record(outcome),
  });
}
