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
import { hasComment, toGraphCommentBody } from '../rules/alert-change.js';
import { describeFailure, sendJson } from './http-json.js';
import type { RowOutcome } from '../protocol/outcomes.js';

/** One incident to update: its id and the result row it came from. */
export interface IncidentItem {
  row: number;
  id: string;
}

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
  const { items } = options;
  let next = 0;
  const worker = async () => {
    while (next < items.length && !options.signal?.aborted) {
      const item = items[next++]!;
      await options.record(await updateIncident(item, options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, items.length) }, worker));
}

async function updateIncident(item: IncidentItem, options: UpdateIncidentsOptions): Promise<RowOutcome> {
  const { change, http, signal } = options;
  const url = `${options.apiBase}/security/incidents/${encodeURIComponent(item.id)}`;
  let httpStatus: number | undefined;
  let patched = false;
  try {
    let tags: string[] | undefined;
    if (change.addTags) {
      const current = await sendJson(http, { url, signal });
      tags = mergeTags(isRecord(current.body) ? current.body.customTags : undefined, change.addTags);
    }
    const body = toIncidentPatchBody(change, tags);
    if (Object.keys(body).length > 0) {
      const reply = await sendJson(http, { url, method: 'PATCH', json: body, idempotent: true, signal });
      httpStatus = reply.status;
      patched = true;
      const mismatches = isRecord(reply.body) ? findIncidentMismatches(reply.body, change) : [];
      if (mismatches.length > 0) return notApplied(item, reply.status, mismatches);
    }
    if (change.comment !== undefined) {
      // Not idempotent: a resent POST would add the comment twice.
      const reply = await sendJson(http, {
        url: `${url}/comments`,
        method: 'POST',
        json: toGraphCommentBody(change.comment),
        idempotent: false,
        signal,
      });
      httpStatus = reply.status;
      const comments = isRecord(reply.body) && Array.isArray(reply.body.value) ? reply.body.value : undefined;
      if (comments && !hasComment(comments, change.comment)) {
        return notApplied(item, reply.status, ['the comment is not in the returned comment list']);
      }
    }
    return { row: item.row, id: item.id, outcome: 'success', httpStatus, verified: true };
  } catch (error) {
    const failure = describeFailure(error);
    const prefix = patched ? 'the change was applied but adding the comment failed: ' : '';
    return {
      row: item.row,
      id: item.id,
      outcome: 'failure',
      httpStatus: failure.httpStatus,
      error: prefix + failure.message,
    };
  }
}

function notApplied(item: IncidentItem, httpStatus: number, mismatches: string[]): RowOutcome {
  return {
    row: item.row,
    id: item.id,
    outcome: 'failure',
    httpStatus,
    verified: true,
    error: `Defender answered ${httpStatus} but the incident does not show the change (${mismatches.join('; ')}).`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
