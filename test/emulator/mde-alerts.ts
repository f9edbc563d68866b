/**
 * Defender for Endpoint alert reads: `GET /api/alerts` (and `/api/v1.0/alerts`) with
 * `$filter`, `$top` ≤ 10,000 (400 above), `$skip`, `$expand=evidence` (without it items carry `"evidence":[]`),
 * `$orderby`; no `@odata.nextLink` and no defined order unless the switches say otherwise; `GET /api/alerts/{id}`.
 */
import { ALERT_SHAPES } from './alert-shapes.js';
import { mdeErrorReply } from './api-errors.js';
import { guard, ROLES } from './auth.js';
import type { EmulatorContext } from './context.js';
import type { Reply, RequestContext } from './http-io.js';
import { buildQuery, intOption, jsonArrayParts, runQuery, type ListOrder } from './listing.js';
import { FilterError, parseFilter, type FilterNode } from './odata-filter.js';

const ALLOWED_OPTIONS = new Set(['$filter', '$top', '$skip', '$expand', '$orderby', '$count']);

/** MDE's JSON content type. */
export const MDE_JSON = 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8';

function parseOrderBy(text: string | null, fallback: EmulatorContext['settings']['mdeOrder']): ListOrder | string {
  if (text === null) return fallback === 'unordered' ? { by: 'rank' } : { by: 'time', desc: fallback === 'desc' };
  const m = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(text);
  const props = ALERT_SHAPES.mde.filter.properties;
  const name = m ? Object.keys(props).find((k) => k.toLowerCase() === m[1]!.toLowerCase()) : undefined;
  if (!m || name === undefined) return `Invalid $orderby '${text}'. Sortable: ${Object.keys(props).join(', ')}.`;
  const desc = m[2]?.toLowerCase() === 'desc';
  if (name === 'lastUpdateTime') return { by: 'time', desc };
  return { by: 'field', field: props[name]!.field ?? name, desc };
}

/** `GET /api/alerts`. */
export function listMdeAlerts(ctx: RequestContext, env: EmulatorContext): Reply {
  const auth = guard(ctx, env, ROLES.mdeRead, 'mde-alerts');
  if (!auth.ok) return auth.reply;
  const bad = (message: string): Reply => mdeErrorReply(ctx, 400, 'ODataError', message);

  for (const key of ctx.query.keys()) {
    if (key.startsWith('$') && !ALLOWED_OPTIONS.has(key)) return bad(`The query parameter '${key}' is not supported.`);
  }
  const filterText = ctx.query.get('$filter');
  let filter: FilterNode | undefined;
  if (filterText !== null) {
    try {
      filter = parseFilter(filterText, ALERT_SHAPES.mde.filter);
    } catch (err) {
      if (err instanceof FilterError) return bad(err.message);
      throw err;
    }
  }
  const expand = ctx.query.get('$expand');
  if (expand !== null && expand.trim().toLowerCase() !== 'evidence')
    return bad(`Invalid $expand '${expand}'. Only 'evidence' can be expanded.`);
  const top = intOption(ctx.query, '$top');
  if (Number.isNaN(top)) return bad(`Invalid $top '${ctx.query.get('$top')}'.`);
  if (top !== undefined && top > env.settings.mdeMaxTop) {
    return bad(
      `The limit of '${env.settings.mdeMaxTop}' for Top query has been exceeded. The value from the incoming request is '${top}'.`,
    );
  }
  const skip = intOption(ctx.query, '$skip');
  if (Number.isNaN(skip)) return bad(`Invalid $skip '${ctx.query.get('$skip')}'.`);
  const order = parseOrderBy(ctx.query.get('$orderby'), env.settings.mdeOrder);
  if (typeof order === 'string') return bad(order);

  const table = env.store.table('mde');
  const list = runQuery(table, 'lastUpdateTime', filter, filterText ?? '', order, true);
  const offset = skip ?? 0;
  const pageSize = top ?? env.settings.mdePageSize;
  const page = list.slice(offset, offset + pageSize);
  const withEvidence = expand !== null;

  let suffix = ']}';
  if (env.settings.mdeNextLink && offset + page.length < list.length) {
    const params = [...ctx.query].filter(([k]) => k !== '$skip');
    params.push(['$skip', String(offset + page.length)]);
    suffix = `],"@odata.nextLink":${JSON.stringify(`${ctx.baseUrl}${ctx.path}?${buildQuery(params)}`)}}`;
  }
  const prefix = `{"@odata.context":${JSON.stringify(`${ctx.baseUrl}/api/$metadata#Alerts`)},"value":[`;
  return {
    status: 200,
    headers: { 'content-type': MDE_JSON, 'odata-version': '4.0' },
    body: jsonArrayParts(prefix, page, (r) => (withEvidence || !r.variant ? r.json : r.variant), suffix),
    onDelivered: () => table.recordServed(page),
  };
}

/** `GET /api/alerts/{id}`: the alert with its evidence. */
export function getMdeAlert(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.mdeRead, 'mde-alerts');
  if (!auth.ok) return auth.reply;
  const r = env.store.table('mde').get(id);
  if (!r || r.hidden) return mdeErrorReply(ctx, 404, 'ResourceNotFound', `Alert ${id} was not found`);
  const context = `{"@odata.context":${JSON.stringify(`${ctx.baseUrl}/api/$metadata#Alerts/$entity`)},`;
  return {
    status: 200,
    headers: { 'content-type': MDE_JSON, 'odata-version': '4.0' },
    body: Buffer.concat([Buffer.from(context), r.json.subarray(1)]),
  };
}
