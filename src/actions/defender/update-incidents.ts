/**
 * Applies one validated change to many Graph security incidents and reports each one's outcome:
 * `GET /security/incidents/{id}` first when tags are to be added (PATCH replaces the whole list), then
 * `PATCH /security/incidents/{id}`, then `POST …/{id}/comments` for a comment. Each answer is compared with the
 * change, so "200 but not applied" is a failure too. Throttling (429) is waited out by the HttpClient as Retry-After
 * says.
 */
import type { HttpClient, Logger } from '../../ports.js';
import {
  findIncidentMismatches,
  mergeTags,
  toIncidentPatchBody,
  type IncidentChange,
} from '../rules/incident-change.js';
import { isJsonObject, sendJson } from './http-json.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { writeGraphEntity } from './graph-entity-write.js';
import { forEachItem } from './item-outcomes.js';
import type { RowIdItem } from '../protocol/row-ids.js';

/** One incident to update: its id and the result row it came from. */
export type IncidentItem = RowIdItem;

/** Options of {@link updateIncidents}. */
export interface UpdateIncidentsOptions {
  items: readonly IncidentItem[];
  change: IncidentChange;
  /** Endpoints.apiBase of Graph: `https://graph.microsoft.com/v1.0`. */
  apiBase: string;
  http: HttpClient;
  /** Receives each incident's outcome as soon as it is known. */
  record: (outcome: RowOutcome) => Promise<void>;
  log: Logger;
  signal?: AbortSignal;
  /** Incidents in flight at once. */
  concurrency?: number;
}

/** Graph incident ids are numbers written as strings ("2972395"); anything path-safe is let through to Graph. */
const INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** true when the text can be an incident id (and is safe in a URL path segment). */
export function isIncidentId(text: string): boolean {
  return INCIDENT_ID.test(text);
}

/** Updates every item; never throws for a failed incident (that is an outcome), only when `record` fails. */
export async function updateIncidents(options: UpdateIncidentsOptions): Promise<void> {
  const { change, http, signal } = options;
  await forEachItem(
    options.items,
    options.concurrency ?? 4,
    async (item) => {
      const url = `${options.apiBase}/security/incidents/${encodeURIComponent(item.id)}`;
      const outcome = await writeGraphEntity(item, {
        url,
        noun: 'incident',
        http,
        signal,
        patch: async () => {
          let tags: string[] | undefined;
          if (change.addTags) {
            const current = await sendJson(http, { url, signal });
            tags = mergeTags(isJsonObject(current.body) ? current.body.customTags : undefined, change.addTags);
          }
          return toIncidentPatchBody(change, tags);
        },
        mismatchesOf: (incident) => findIncidentMismatches(incident, change),
        comment: change.comment,
      });
      await options.record(outcome);
    },
    signal,
  );
}
