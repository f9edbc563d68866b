/**
 * `defender_update_incident`: for each result row, the incident id(s) in `id_field` (default `id`, as incident events
 * carry it; `incidentId` for alert events; a multi-valued field is one update per id) get the change set by the
 * parameters status, classification, determination, assigned_to, custom_tags and comment, through Microsoft Graph
 * (`PATCH /security/incidents/{id}`) with the app registration of the account or input named.
 */
import { ConfigError } from '../../errors.js';
import { loadActionTarget } from '../../composition/action-target.js';
import { describeFailure } from '../defender/http-json.js';
import { isIncidentId, updateIncidents, type IncidentItem } from '../defender/update-incidents.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { allValues } from '../protocol/result-rows.js';
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
  const { items, early } = await collectIncidentItems(run, idField);

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
    // The rows cannot be acted on: each one still gets an outcome event saying why.
    for (const outcome of early) await run.record(outcome);
    const failure = describeFailure(error);
    const outcome = error instanceof ConfigError ? 'invalid' : 'failure';
    for (const item of items) {
      await run.record({ row: item.row, id: item.id, outcome, httpStatus: failure.httpStatus, error: failure.message });
    }
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

/**
 * Reads every row's ids. Rows without an id are skipped, malformed ids are invalid, and an id seen before is skipped
 * (one update per incident); those outcomes are returned for recording once the run's context is known.
 */
async function collectIncidentItems(
  run: ActionRun,
  idField: string,
): Promise<{ items: IncidentItem[]; early: RowOutcome[] }> {
  const items: IncidentItem[] = [];
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
        error:
          `The row has no value in field ${idField} (set id_field to the field that holds the incident id, ` +
          'e.g. incidentId for alert events).',
      });
      continue;
    }
    for (const id of ids) {
      if (!isIncidentId(id)) {
        early.push({
          row: rowNumber,
          id,
          outcome: 'invalid',
          error: `${JSON.stringify(id.slice(0, 80))} in field ${idField} is not a Defender incident id.`,
        });
      } else if (firstRow.has(id)) {
        early.push({
          row: rowNumber,
          id,
          outcome: 'skipped',
          error: `Incident ${id} already appears in row ${firstRow.get(id)}; it is updated once.`,
        });
      } else {
        firstRow.set(id, rowNumber);
        items.push({ row: rowNumber, id });
      }
    }
  }
  return { items, early };
}
