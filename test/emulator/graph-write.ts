/**
 * Graph alerts_v2 writes: `PATCH …/alerts_v2/{id}` with any of status, classification,
 * determination, assignedTo (enums validated, a new version with a new lastUpdateDateTime, 200 with the alert), and
 * `POST …/alerts_v2/{id}/comments` (200 with the full comment list).
 */
import { graphErrorReply } from './api-errors.js';
import { guard, ROLES } from './auth.js';
import type { EmulatorContext } from './context.js';
import { graphEntityBody, graphHeaders, renderGraphAlert, wantsUnknownEnumMembers } from './graph-alerts.js';
import { jsonReply, parseJsonBody, type Reply, type RequestContext } from './http-io.js';
import { CLASSIFICATION, DETERMINATION } from './graph-enums.js';

const STATUS = ['new', 'inProgress', 'resolved'];
const ENUMS: Record<string, string[]> = {
  status: STATUS,
  classification: CLASSIFICATION,
  determination: DETERMINATION,
};

/** `PATCH /v1.0/security/alerts_v2/{id}`. */
export function patchGraphAlert(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.graphWrite, 'graph-alerts');
  if (!auth.ok) return auth.reply;
  const bad = (message: string): Reply => graphErrorReply(ctx, 400, 'BadRequest', message);
  const body = parseJsonBody(ctx);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('The request body must be a JSON object.');
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === '@odata.type') continue;
    if (key === 'assignedTo') {
      if (value !== null && typeof value !== 'string') return bad("Invalid value for 'assignedTo': a string or null.");
      patch[key] = value;
      continue;
    }
    const allowed = ENUMS[key];
    if (!allowed)
      return bad(
        `The property '${key}' does not exist or cannot be updated on type 'microsoft.graph.security.alert'. Updatable: status, classification, determination, assignedTo.`,
      );
    if (typeof value !== 'string' || !allowed.includes(value)) {
      return bad(`Requested value '${String(value)}' was not found for '${key}'. Allowed: ${allowed.join(', ')}.`);
    }
    patch[key] = value;
  }
  if (Object.keys(patch).length === 0) return bad('The request body holds no property to update.');

  const table = env.store.table('graph');
  const current = table.get(id);
  if (!current || current.hidden) return graphErrorReply(ctx, 404, 'NotFound', `Alert '${id}' was not found.`);
  const item = table.getItem(id)!;
  const time = env.store.nextTimeText(current.time);
  if (patch.status === 'resolved' && item.status !== 'resolved') patch.resolvedDateTime = time;
  env.store.updateAlert('graph', id, patch, time);
  const fullEnums = wantsUnknownEnumMembers(ctx);
  return {
    status: 200,
    headers: graphHeaders(ctx, fullEnums),
    body: graphEntityBody(ctx, renderGraphAlert(table.get(id)!, fullEnums)),
  };
}

/** `POST /v1.0/security/alerts_v2/{id}/comments`. */
export function addGraphComment(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.graphWrite, 'graph-alerts');
  if (!auth.ok) return auth.reply;
  const body = parseJsonBody(ctx) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || typeof body.comment !== 'string' || body.comment === '') {
    return graphErrorReply(
      ctx,
      400,
      'BadRequest',
      'The body must be {"@odata.type":"microsoft.graph.security.alertComment","comment":"<text>"}.',
    );
  }
  const table = env.store.table('graph');
  const current = table.get(id);
  if (!current || current.hidden) return graphErrorReply(ctx, 404, 'NotFound', `Alert '${id}' was not found.`);
  const item = table.getItem(id)!;
  const time = env.store.nextTimeText(current.time);
  const comments = [
    ...(Array.isArray(item.comments) ? item.comments : []),
    {
      comment: body.comment,
      // App-only callers have no user; the portal shows the application (assumed).
      createdByDisplayName: auth.token.clientId,
      createdDateTime: time,
    },
  ];
  env.store.updateAlert('graph', id, { comments }, time);
  return jsonReply(
    200,
    {
      '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#Collection(microsoft.graph.security.alertComment)`,
      value: comments,
    },
    { 'request-id': ctx.requestId },
  );
}
