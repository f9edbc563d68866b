/**
 * Graph security incidents: `GET /v1.0/security/incidents` with `$filter` (assignedTo, classification,
 * createdDateTime, determination, lastUpdateDateTime, severity, status), `$top` (at most 50: a larger value is refused
 * with 400, as peers report), `$skip`, `$count`, `$expand=alerts`, absolute `@odata.nextLink` paging by an opaque
 * `$skiptoken`; `GET …/incidents/{id}`; `PATCH …/incidents/{id}`; `POST …/incidents/{id}/comments`.
 *
 * With `$expand=alerts`, each incident carries, as its last member, the current versions of the graph alerts that
 * name it in `incidentId`: an alert updated without its incident is served with the incident's old
 * lastUpdateDateTime, and an alert moved by a merge appears in its new incident.
 */
import { ALERT_SHAPES } from './alert-shapes.js';
import { graphErrorReply } from './api-errors.js';
import { guard, ROLES } from './auth.js';
import type { EmulatorContext } from './context.js';
import { graphHeaders, renderGraphAlert, wantsUnknownEnumMembers } from './graph-alerts.js';
import { jsonReply, parseJsonBody, type Reply, type RequestContext } from './http-io.js';
import { CLASSIFICATION, DETERMINATION } from './graph-enums.js';
import { buildQuery, intOption, runQuery, type ListOrder } from './listing.js';
import { FilterError, parseFilter, type FilterNode } from './odata-filter.js';
import type { StoredAlert } from './store.js';

const ALLOWED_OPTIONS = new Set(['$filter', '$orderby', '$top', '$skip', '$skiptoken', '$count', '$expand']);
/** `$top` above this is refused (seen: "The limit of '50' for Top query has been exceeded"). */
export const INCIDENTS_MAX_TOP = 50;

const COMMA = Buffer.from(',');

function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, v: 1 })).toString('base64url');
}

function decodeSkipToken(token: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    return Number.isSafeInteger(parsed.o) && (parsed.o as number) >= 0 ? (parsed.o as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `$expand` asks for alerts (the only navigation property incidents have); undefined when malformed. */
function expandsAlerts(ctx: RequestContext): boolean | undefined {
  const expand = ctx.query.get('$expand');
  if (expand === null) return false;
  return expand.trim() === 'alerts' ? true : undefined;
}

/** One incident as this request sees it: its JSON, with `"alerts":[…]` as the last member when expanded. */
function renderIncident(env: EmulatorContext, r: StoredAlert, fullEnums: boolean, expand: boolean): Buffer[] {
  const json = fullEnums || !r.variant ? r.json : r.variant;
  if (!expand) return [json];
  const alerts = env.store.alertsOfIncident(r.id);
  const parts: Buffer[] = [json.subarray(0, json.length - 1), Buffer.from(',"alerts":[')];
  alerts.forEach((alert, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(renderGraphAlert(alert, fullEnums));
  });
  parts.push(Buffer.from(']}'));
  return parts;
}

/** `GET /v1.0/security/incidents`. */
export function listGraphIncidents(ctx: RequestContext, env: EmulatorContext): Reply {
  const auth = guard(ctx, env, ROLES.incidentsRead, 'graph-incidents');
  if (!auth.ok) return auth.reply;
  const bad = (message: string): Reply => graphErrorReply(ctx, 400, 'BadRequest', message);

  for (const key of ctx.query.keys()) {
    if (key.startsWith('$') && !ALLOWED_OPTIONS.has(key)) return bad(`Query option '${key}' is not supported.`);
  }
  const expand = expandsAlerts(ctx);
  if (expand === undefined) return bad(`Could not find a property named '${ctx.query.get('$expand')}' to expand.`);
  const filterText = ctx.query.get('$filter');
  let filter: FilterNode | undefined;
  if (filterText !== null) {
    try {
      filter = parseFilter(filterText, ALERT_SHAPES.incidents.filter);
    } catch (err) {
      if (err instanceof FilterError) return bad(err.message);
      throw err;
    }
  }
  const orderText = ctx.query.get('$orderby');
  // "The most recent incidents are displayed at the top of the list."
  let order: ListOrder = { by: 'time', desc: true };
  if (orderText !== null) {
    const m = /^\s*lastUpdateDateTime(?:\s+(asc|desc))?\s*$/.exec(orderText);
    if (!m) return bad(`The $orderby '${orderText}' is not supported.`);
    order = { by: 'time', desc: m[1] === 'desc' };
  }
  const top = intOption(ctx.query, '$top');
  if (Number.isNaN(top) || top === 0) return bad(`Invalid value for $top: '${ctx.query.get('$top')}'.`);
  if (top !== undefined && top > INCIDENTS_MAX_TOP) {
    return graphErrorReply(
      ctx,
      400,
      'BadRequest',
      `The query specified in the URI is not valid. The limit of '${INCIDENTS_MAX_TOP}' for Top query has been ` +
        `exceeded. The value from the incoming request is '${top}'.`,
    );
  }
  const pageSize = top ?? env.settings.incidentsPageSize;
  const skip = intOption(ctx.query, '$skip');
  if (Number.isNaN(skip)) return bad(`Invalid value for $skip: '${ctx.query.get('$skip')}'.`);
  let offset = skip ?? 0;
  const skipToken = ctx.query.get('$skiptoken');
  if (skipToken !== null) {
    const decoded = decodeSkipToken(skipToken);
    if (decoded === undefined) return bad('The $skiptoken is not valid.');
    offset = decoded;
  }
  const countRaw = ctx.query.get('$count');
  if (countRaw !== null && countRaw !== 'true' && countRaw !== 'false')
    return bad(`Invalid value for $count: '${countRaw}'.`);

  const table = env.store.table('incidents');
  const list = runQuery(table, 'lastUpdateDateTime', filter, filterText ?? '', order, false);
  const page = list.slice(offset, offset + pageSize);
  const fullEnums = wantsUnknownEnumMembers(ctx);

  let nextLink: string | undefined;
  if (offset + page.length < list.length) {
    const params = [...ctx.query].filter(([k]) => k !== '$skip' && k !== '$skiptoken');
    if (!ctx.query.has('$top')) params.push(['$top', String(pageSize)]);
    params.push(['$skiptoken', encodeSkipToken(offset + page.length)]);
    nextLink = `${ctx.baseUrl}/v1.0/security/incidents?${buildQuery(params)}`;
  }
  let prefix = `{"@odata.context":${JSON.stringify(`${ctx.baseUrl}/v1.0/$metadata#security/incidents`)},`;
  if (countRaw === 'true') prefix += `"@odata.count":${list.length},`;
  if (nextLink) prefix += `"@odata.nextLink":${JSON.stringify(nextLink)},`;
  prefix += '"value":[';
  // The alerts of each incident as they are now, fixed for this response.
  const rendered = page.map((r) => ({
    parts: renderIncident(env, r, fullEnums, expand),
    alerts: expand ? env.store.alertsOfIncident(r.id) : [],
  }));
  return {
    status: 200,
    headers: graphHeaders(ctx, fullEnums),
    body: (function* () {
      yield Buffer.from(prefix);
      for (let i = 0; i < rendered.length; i++) {
        if (i > 0) yield COMMA;
        yield* rendered[i]!.parts;
      }
      yield Buffer.from(']}');
    })(),
    onDelivered: () => {
      table.recordServed(page);
      env.store.recordIncidentAlertsServed(rendered.flatMap((r) => r.alerts));
    },
  };
}

function entity(
  ctx: RequestContext,
  env: EmulatorContext,
  r: StoredAlert,
  fullEnums: boolean,
  expand: boolean,
): Buffer {
  const context = `{"@odata.context":${JSON.stringify(`${ctx.baseUrl}/v1.0/$metadata#security/incidents/$entity`)},`;
  const body = Buffer.concat(renderIncident(env, r, fullEnums, expand));
  return Buffer.concat([Buffer.from(context), body.subarray(1)]);
}

function findIncident(env: EmulatorContext, id: string): StoredAlert | undefined {
  const r = env.store.table('incidents').get(id);
  return r && !r.hidden ? r : undefined;
}

/** `GET /v1.0/security/incidents/{id}` (`$expand=alerts` allowed). */
export function getGraphIncident(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.incidentsRead, 'graph-incidents');
  if (!auth.ok) return auth.reply;
  const expand = expandsAlerts(ctx);
  if (expand === undefined) return graphErrorReply(ctx, 400, 'BadRequest', 'Only alerts can be expanded.');
  const r = findIncident(env, id);
  if (!r) return graphErrorReply(ctx, 404, 'NotFound', `Incident '${id}' was not found.`);
  const fullEnums = wantsUnknownEnumMembers(ctx);
  return { status: 200, headers: graphHeaders(ctx, fullEnums), body: entity(ctx, env, r, fullEnums, expand) };
}

/** The update-incident page's values (the resource page's `inProgress` and `awaitingAction` too). */
const STATUS = ['active', 'resolved', 'inProgress', 'redirected', 'awaitingAction'];
const SEVERITY = ['unknown', 'informational', 'low', 'medium', 'high'];
const ENUMS: Record<string, string[]> = {
  status: STATUS,
  classification: CLASSIFICATION,
  determination: DETERMINATION,
  severity: SEVERITY,
};
const TEXT = new Set(['assignedTo', 'displayName', 'description', 'summary']);

/** `PATCH /v1.0/security/incidents/{id}`: a new version (new lastUpdateDateTime), 200 with the incident. */
export function patchGraphIncident(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.incidentsWrite, 'graph-incidents');
  if (!auth.ok) return auth.reply;
  const bad = (message: string): Reply => graphErrorReply(ctx, 400, 'BadRequest', message);
  const body = parseJsonBody(ctx);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('The request body must be a JSON object.');
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === '@odata.type') continue;
    if (TEXT.has(key)) {
      if (value !== null && typeof value !== 'string') return bad(`Invalid value for '${key}': a string or null.`);
      patch[key] = value;
      continue;
    }
    if (key === 'customTags') {
      if (!Array.isArray(value) || value.some((tag) => typeof tag !== 'string'))
        return bad("Invalid value for 'customTags': an array of strings.");
      patch[key] = value;
      continue;
    }
    const allowed = ENUMS[key];
    if (!allowed)
      return bad(
        `The property '${key}' does not exist or cannot be updated on type 'microsoft.graph.security.incident'.`,
      );
    if (typeof value !== 'string' || !allowed.includes(value)) {
      return bad(`Requested value '${String(value)}' was not found for '${key}'. Allowed: ${allowed.join(', ')}.`);
    }
    patch[key] = value;
  }
  if (Object.keys(patch).length === 0) return bad('The request body holds no property to update.');
  const r = findIncident(env, id);
  if (!r) return graphErrorReply(ctx, 404, 'NotFound', `Incident '${id}' was not found.`);
  env.store.updateAlert('incidents', id, patch);
  const fullEnums = wantsUnknownEnumMembers(ctx);
  return {
    status: 200,
    headers: graphHeaders(ctx, fullEnums),
    body: entity(ctx, env, findIncident(env, id)!, fullEnums, false),
  };
}

/** `POST /v1.0/security/incidents/{id}/comments`: 200 with every comment of the incident. */
export function addIncidentComment(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.incidentsWrite, 'graph-incidents');
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
  const r = findIncident(env, id);
  if (!r) return graphErrorReply(ctx, 404, 'NotFound', `Incident '${id}' was not found.`);
  const item = env.store.get('incidents', id)!;
  const time = env.store.nextTimeText(r.time);
  const comments = [
    ...(Array.isArray(item.comments) ? item.comments : []),
    {
      comment: body.comment,
      createdByDisplayName: auth.token.clientId,
      createdDateTime: time,
    },
  ];
  env.store.updateAlert('incidents', id, { comments }, time);
  return jsonReply(
    200,
    {
      '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#security/incidents('${id}')/comments`,
      value: comments,
    },
    { 'request-id': ctx.requestId },
  );
}
