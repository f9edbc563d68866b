/**
 * Graph security alerts_v2 reads: `GET /v1.0/security/alerts_v2` with `$filter`,
 * `$orderby`, `$top` (clamped), `$skip`, `$count`, absolute `@odata.nextLink` paging by an opaque `$skiptoken`, and
 * the Prefer header for evolvable enum members; `GET …/alerts_v2/{id}`.
 *
 * The skiptoken is an offset into the live filtered list, recomputed per request: an alert inserted or updated
 * between two pages shifts what later pages hold, as it would on a service that pages by position.
 */
import { ALERT_SHAPES } from './alert-shapes.js';
import { graphErrorReply } from './api-errors.js';
import { guard, ROLES } from './auth.js';
import type { EmulatorContext } from './context.js';
import type { Reply, RequestContext } from './http-io.js';
import { buildQuery, intOption, jsonArrayParts, runQuery, type ListOrder } from './listing.js';
import { FilterError, parseFilter, type FilterNode } from './odata-filter.js';
import type { StoredAlert } from './store.js';

const ALLOWED_OPTIONS = new Set(['$filter', '$orderby', '$top', '$skip', '$skiptoken', '$count']);
const PREFER_UNKNOWN_ENUMS = 'include-unknown-enum-members';

/** Graph's JSON content type. */
export const GRAPH_JSON =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Whether the request asked for evolvable enum members. */
export function wantsUnknownEnumMembers(ctx: RequestContext): boolean {
  const prefer = ctx.headers.prefer;
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
  return values.some((v) => v.split(',').some((p) => p.trim().toLowerCase() === PREFER_UNKNOWN_ENUMS));
}

/** The item as this request should see it. */
export function renderGraphAlert(r: StoredAlert, fullEnums: boolean): Buffer {
  return fullEnums || !r.variant ? r.json : r.variant;
}

/** Standard Graph response headers. */
export function graphHeaders(ctx: RequestContext, fullEnums: boolean): Record<string, string> {
  const clientRequestId =
    typeof ctx.headers['client-request-id'] === 'string' ? ctx.headers['client-request-id'] : ctx.requestId;
  return {
    'content-type': GRAPH_JSON,
    'request-id': ctx.requestId,
    'client-request-id': clientRequestId,
    'odata-version': '4.0',
    ...(fullEnums ? { 'preference-applied': PREFER_UNKNOWN_ENUMS } : {}),
  };
}

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

function parseOrderBy(text: string | null): ListOrder | string {
  if (text === null) return { by: 'time', desc: true }; // "The most recent alerts are displayed at the top of the list"
  const m = /^\s*(lastUpdateDateTime|createdDateTime)(?:\s+(asc|desc))?\s*$/.exec(text);
  if (!m) return `The $orderby '${text}' is not supported. Use lastUpdateDateTime or createdDateTime, asc or desc.`;
  const desc = m[2] === 'desc';
  return m[1] === 'lastUpdateDateTime' ? { by: 'time', desc } : { by: 'field', field: 'createdDateTime', desc };
}

/** `GET /v1.0/security/alerts_v2`. */
export function listGraphAlerts(ctx: RequestContext, env: EmulatorContext): Reply {
  const auth = guard(ctx, env, ROLES.graphRead, 'graph-alerts');
  if (!auth.ok) return auth.reply;
  const bad = (message: string): Reply => graphErrorReply(ctx, 400, 'BadRequest', message);

  for (const key of ctx.query.keys()) {
    if (key.startsWith('$') && !ALLOWED_OPTIONS.has(key))
      return bad(`Query option '${key}' is not supported by this emulator.`);
  }
  const filterText = ctx.query.get('$filter');
  let filter: FilterNode | undefined;
  if (filterText !== null) {
    try {
      filter = parseFilter(filterText, ALERT_SHAPES.graph.filter);
    } catch (err) {
      if (err instanceof FilterError) return bad(err.message);
      throw err;
    }
  }
  const order = parseOrderBy(ctx.query.get('$orderby'));
  if (typeof order === 'string') return bad(order);
  const top = intOption(ctx.query, '$top');
  if (Number.isNaN(top) || top === 0)
    return bad(`Invalid value for $top: '${ctx.query.get('$top')}'. It must be a whole number ≥ 1.`);
  const pageSize = Math.min(top ?? env.settings.graphPageSize, env.settings.graphMaxTop);
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

  const table = env.store.table('graph');
  const list = runQuery(table, 'lastUpdateDateTime', filter, filterText ?? '', order, false);
  const page = list.slice(offset, offset + pageSize);
  const fullEnums = wantsUnknownEnumMembers(ctx);

  let nextLink: string | undefined;
  if (offset + page.length < list.length) {
    const params = [...ctx.query].filter(([k]) => k !== '$skip' && k !== '$skiptoken');
    if (!ctx.query.has('$top')) params.push(['$top', String(pageSize)]);
    params.push(['$skiptoken', encodeSkipToken(offset + page.length)]);
    nextLink = `${ctx.baseUrl}/v1.0/security/alerts_v2?${buildQuery(params)}`;
  }
  const linkMember = nextLink ? `"@odata.nextLink":${JSON.stringify(nextLink)}` : undefined;
  let prefix = `{"@odata.context":${JSON.stringify(`${ctx.baseUrl}/v1.0/$metadata#security/alerts_v2`)},`;
  if (countRaw === 'true') prefix += `"@odata.count":${list.length},`;
  const before = env.settings.graphNextLinkPosition === 'before';
  if (linkMember && before) prefix += `${linkMember},`;
  prefix += '"value":[';
  const suffix = linkMember && !before ? `],${linkMember}}` : ']}';
  return {
    status: 200,
    headers: graphHeaders(ctx, fullEnums),
    body: jsonArrayParts(prefix, page, (r) => renderGraphAlert(r, fullEnums), suffix),
    onDelivered: () => table.recordServed(page),
  };
}

/** Wraps one alert with its entity context, as Graph answers a single-entity GET or PATCH. */
export function graphEntityBody(ctx: RequestContext, json: Buffer): Buffer {
  const context = `{"@odata.context":${JSON.stringify(`${ctx.baseUrl}/v1.0/$metadata#security/alerts_v2/$entity`)},`;
  return Buffer.concat([Buffer.from(context), json.subarray(1)]);
}

/** `GET /v1.0/security/alerts_v2/{id}`. */
export function getGraphAlert(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.graphRead, 'graph-alerts');
  if (!auth.ok) return auth.reply;
  const r = env.store.table('graph').get(id);
  if (!r || r.hidden) return graphErrorReply(ctx, 404, 'NotFound', `Alert '${id}' was not found.`);
  const fullEnums = wantsUnknownEnumMembers(ctx);
  return {
    status: 200,
    headers: graphHeaders(ctx, fullEnums),
    body: graphEntityBody(ctx, renderGraphAlert(r, fullEnums)),
  };
}
