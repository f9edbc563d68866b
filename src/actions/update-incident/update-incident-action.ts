/**
 * `defender_update_incident`: for each result row, the incident id(s) in `id_field` (default `id`, as incident events
 * carry it; `incidentId` for alert events; a multi-valued field is one update per id) get the change set by the
 * parameters status, classification, determination, assigned_to, custom_tags and comment, through Microsoft Graph
 * (`PATCH /security/incidents/{id}`) with the app registration of the account or input named.
 */
import { ConfigError } from '../../errors.js';
import { loadRunTarget } from '../../composition/action-target.js';
import { isIncidentId, updateIncidents } from '../defender/update-incidents.js';
import { collectRowIds, prepareIdAction } from '../protocol/row-ids.js';
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
  const collected = await collectRowIds(run, idField, {
    noun: 'incident',
    isId: isIncidentId,
    missingHint: ', e.g. incidentId for alert events',
  });
  const prepared = await prepareIdAction(run, collected, async () => {
    // The values are checked first: a wrong one is refused before the secret is even read.
    const parsed = parseIncidentChange(run.config);
    if (!parsed.ok) throw new ConfigError(parsed.problems);
    const target = await loadRunTarget(run, 'update_incidents');
    run.describeRun({ extra: { api: 'graph', change: parsed.change, dry_run: run.dryRun } });
    return { target, change: parsed.change };
  });
  if (prepared === undefined) return;
  const { target, change } = prepared;
  const http = await run.services.createDefenderHttp(target.credentials, target.endpoints, 'graph', run.splunkd);
  await updateIncidents({
    items: collected.items,
    change,
    apiBase: target.endpoints.apiBase,
    http,
    log: run.log,
    signal: run.signal,
    record: (outcome) => run.record(outcome),
  });
}
