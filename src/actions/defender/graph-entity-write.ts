/**
 * How Graph takes a change to a security alert or incident: `PATCH` the entity, then `POST {entity}/comments` for a
 * comment (https://learn.microsoft.com/graph/api/security-alert-post-comments,
 * https://learn.microsoft.com/graph/api/security-incident-post-comments). Graph answers the PATCH with the updated
 * entity and the POST with the entity's comments, and each answer is checked: a 2xx that does not show the change is
 * a failure too.
 */
import type { HttpClient } from '../../ports.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { hasComment, toGraphCommentBody } from '../rules/alert-change.js';
import { isJsonObject, sendJson } from './http-json.js';
import { failedOutcome, notApplied } from './item-outcomes.js';
import type { RowIdItem } from '../protocol/row-ids.js';

export interface GraphEntityWrite {
  /** `{apiBase}/security/alerts_v2/{id}` or `{apiBase}/security/incidents/{id}`. */
  url: string;
  noun: 'alert' | 'incident';
  http: HttpClient;
  signal?: AbortSignal;
  /**
   * The PATCH body, built once the entity may have been read (incident tags are merged into the list it holds: PATCH
   * replaces the whole list); an empty body sends no PATCH.
   */
  patch: () => Promise<Record<string, unknown>>;
  /** What the updated entity Graph returned does not show of the change (empty: all of it). */
  mismatchesOf: (entity: Record<string, unknown>) => string[];
  comment: string | undefined;
}

/** Applies the change to one entity; never throws (a failed call is an outcome). */
export async function writeGraphEntity(item: RowIdItem, write: GraphEntityWrite): Promise<RowOutcome> {
  const { url, noun, http, signal } = write;
  let httpStatus: number | undefined;
  let patched = false;
  try {
    const patch = await write.patch();
    if (Object.keys(patch).length > 0) {
      const reply = await sendJson(http, { url, method: 'PATCH', json: patch, idempotent: true, signal });
      httpStatus = reply.status;
      patched = true;
      const mismatches = isJsonObject(reply.body) ? write.mismatchesOf(reply.body) : [];
      if (mismatches.length > 0) return notApplied(item, reply.status, mismatches, noun);
    }
    if (write.comment !== undefined) {
      // Not idempotent: a resent POST would add the comment twice.
      const reply = await sendJson(http, {
        url: `${url}/comments`,
        method: 'POST',
        json: toGraphCommentBody(write.comment),
        idempotent: false,
        signal,
      });
      httpStatus = reply.status;
      // A collection `{"value":[…]}` as documented; a bare array is taken too.
      const comments = Array.isArray(reply.body)
        ? reply.body
        : isJsonObject(reply.body) && Array.isArray(reply.body.value)
          ? reply.body.value
          : undefined;
      if (comments && !hasComment(comments, write.comment)) {
        return notApplied(item, reply.status, ['the comment is not in the returned comment list'], noun);
      }
    }
    return { row: item.row, id: item.id, outcome: 'success', httpStatus, verified: true };
  } catch (error) {
    return failedOutcome(item, error, patched ? 'the change was applied but adding the comment failed: ' : '');
  }
}
