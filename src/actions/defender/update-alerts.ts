/**
 * Applies one validated change to many alerts and reports each alert's outcome:
 * - Graph: `PATCH /security/alerts_v2/{id}`, then `POST …/{id}/comments` for a comment
 * (https://learn.microsoft.com/graph/api/security-alert-post-comments);
 * - MDE: `PATCH /api/alerts/{id}` for a single alert, `POST /api/alerts/batchUpdate` for several (they all share the
 *   change, which comes from the action's parameters). batchUpdate answers 200 with an empty body whatever became of
 *   each id (https://learn.microsoft.com/defender-endpoint/api/batch-update-alerts), so the alerts are read back to
 * tell each row what happened. A batch the service refuses as a whole
 *   (400, 404) is retried alert by alert, so one bad id does not fail its neighbours.
 * Every PATCH answer (the updated alert) is compared with the change, so "200 but not applied" is a failure too.
 */
import type { HttpClient, Logger } from '../../ports.js';
import {
  findMismatches,
  toGraphPatchBody,
  toMdeBatchBody,
  toMdePatchBody,
  type AlertApiFamily,
  type AlertChange,
} from '../rules/alert-change.js';
import { describeFailure, isJsonObject, sendJson } from './http-json.js';
import { writeGraphEntity } from './graph-entity-write.js';
import { failedOutcome, forEachItem, notApplied } from './item-outcomes.js';
import type { RowIdItem } from '../protocol/row-ids.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { chunk, type RateLimiter } from './rate-limiter.js';

/** One alert to update: its id and the result row it came from. */
export type AlertItem = RowIdItem;

/** Options of {@link updateAlerts}. */
export interface UpdateAlertsOptions {
  items: readonly AlertItem[];
  change: AlertChange;
  family: AlertApiFamily;
  /** Endpoints.apiBase of the family: `https://graph.microsoft.com/v1.0` or `https://api.security.microsoft.com`. */
  apiBase: string;
  http: HttpClient;
  /** Receives each alert's outcome as soon as it is known. */
  record: (outcome: RowOutcome) => Promise<void>;
  log: Logger;
  /** Keeps batchUpdate under its 10 calls/min. */
  batchLimiter: RateLimiter;
  signal?: AbortSignal;
  /** Alert ids per batchUpdate call. The maximum is not documented; 100 keeps each call modest. */
  batchSize?: number;
  /** Ids per read-back `$filter` (`id eq '…' or …`), short enough for any URL limit. */
  verifyChunkSize?: number;
  /** Single-alert calls in flight at once (Graph: 150/min; MDE: 100/min). */
  concurrency?: number;
}

/** Alert ids as Graph and MDE issue them (`da637…_-96144`, GUIDs): no path characters, so never `..` or `/`. */
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:=+~-]{0,255}$/;

/** true when the text can be an alert id (and is safe in a URL path segment). */
export function isAlertId(text: string): boolean {
  return ALERT_ID.test(text);
}

/** Updates every item; never throws for a failed alert (that is an outcome), only when `record` fails or on abort. */
export async function updateAlerts(options: UpdateAlertsOptions): Promise<void> {
  const { items, family } = options;
  if (items.length === 0) return;
  if (family === 'graph') {
    await forEachItem(items, options.concurrency ?? 4, async (item) => {
      const outcome = await writeGraphEntity(item, {
        url: `${options.apiBase}/security/alerts_v2/${encodeURIComponent(item.id)}`,
        noun: 'alert',
        http: options.http,
        signal: options.signal,
        patch: () => Promise.resolve(toGraphPatchBody(options.change)),
        // The PATCH carries no comment: the alert it returns is checked without one.
        mismatchesOf: (alert) => findMismatches(alert, { ...options.change, comment: undefined }),
        comment: options.change.comment,
      });
      await options.record(outcome);
    });
    return;
  }
  if (items.length === 1) {
    await options.record(await patchMdeAlert(items[0]!, options));
    return;
  }
  for (const batch of chunk(items, options.batchSize ?? 100)) {
    if (options.signal?.aborted) break;
    await batchUpdateMdeAlerts(batch, options);
  }
}

async function patchMdeAlert(item: AlertItem, options: UpdateAlertsOptions): Promise<RowOutcome> {
  const { change } = options;
  const url = `${options.apiBase}/api/alerts/${encodeURIComponent(item.id)}`;
  try {
    const reply = await sendJson(options.http, {
      url,
      method: 'PATCH',
      json: toMdePatchBody(change),
      idempotent: change.comment === undefined,
      signal: options.signal,
    });
    const mismatches = isJsonObject(reply.body) ? findMismatches(reply.body, change) : [];
    if (mismatches.length > 0) return notApplied(item, reply.status, mismatches, 'alert');
    return {
      row: item.row,
      id: item.id,
      outcome: 'success',
      httpStatus: reply.status,
      verified: isJsonObject(reply.body),
    };
  } catch (error) {
    return failedOutcome(item, error);
  }
}

async function batchUpdateMdeAlerts(batch: readonly AlertItem[], options: UpdateAlertsOptions): Promise<void> {
  const { change, log } = options;
  const ids = [...new Set(batch.map((item) => item.id))];
  const waited = await options.batchLimiter.acquire(options.signal);
  if (waited > 0)
    log.info('Waiting for the batchUpdate quota (10 calls/min)', { action: 'rate_wait', wait_ms: waited });
  let status: number;
  try {
    const reply = await sendJson(options.http, {
      url: `${options.apiBase}/api/alerts/batchUpdate`,
      method: 'POST',
      json: toMdeBatchBody(change, ids),
      idempotent: change.comment === undefined,
      signal: options.signal,
    });
    status = reply.status;
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.httpStatus === 400 || failure.httpStatus === 404) {
      log.warn('batchUpdate refused the batch; updating its alerts one by one to find the ones at fault', {
        action: 'batch_fallback',
        n_alerts: batch.length,
        http_status: failure.httpStatus,
        error: failure.code,
      });
      await forEachItem(batch, options.concurrency ?? 4, async (item) =>
        options.record(await patchMdeAlert(item, options)),
      );
      return;
    }
    for (const item of batch) await options.record(failedOutcome(item, error));
    return;
  }
  await verifyBatch(batch, status, options);
}

/** Reads the batch's alerts back (`$filter=id eq … or …`) and records each one's outcome. */
async function verifyBatch(
  batch: readonly AlertItem[],
  batchStatus: number,
  options: UpdateAlertsOptions,
): Promise<void> {
  for (const part of chunk(batch, options.verifyChunkSize ?? 20)) {
    const ids = [...new Set(part.map((item) => item.id))];
    const filter = ids.map((id) => `id eq '${id.replace(/'/g, "''")}'`).join(' or ');
    const url = `${options.apiBase}/api/alerts?${new URLSearchParams({ $filter: filter, $top: String(ids.length) }).toString()}`;
    let found: Map<string, Record<string, unknown>>;
    try {
      const reply = await sendJson(options.http, { url, signal: options.signal });
      const value = isJsonObject(reply.body) && Array.isArray(reply.body.value) ? reply.body.value : [];
      found = new Map(value.filter(isJsonObject).map((alert) => [String(alert.id).toLowerCase(), alert]));
    } catch (error) {
      const why = describeFailure(error).message;
      for (const item of part) {
        await options.record({
          row: item.row,
          id: item.id,
          outcome: 'success',
          httpStatus: batchStatus,
          verified: false,
          error: `batchUpdate accepted the change, but reading the alert back to verify it failed: ${why}`,
        });
      }
      continue;
    }
    for (const item of part) {
      const alert = found.get(item.id.toLowerCase());
      if (!alert) {
        await options.record({
          row: item.row,
          id: item.id,
          outcome: 'failure',
          httpStatus: 404,
          verified: true,
          error: `Alert ${item.id} was not found in Defender for Endpoint after batchUpdate (batchUpdate ignores unknown ids): check the id and that the app sees this alert's device group.`,
        });
        continue;
      }
      const mismatches = findMismatches(alert, options.change);
      await options.record(
        mismatches.length > 0
          ? notApplied(item, batchStatus, mismatches, 'alert')
          : { row: item.row, id: item.id, outcome: 'success', httpStatus: batchStatus, verified: true },
      );
    }
  }
}
