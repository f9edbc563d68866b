/**
 * The first-page URL of each alerts API for one time window `[from, to)` of last-update time. Pure.
 *
 * OData time literals go unquoted at full 7-digit precision (`lastUpdateTime ge 2024-05-01T10:00:00.1234567Z`). The
 * SIEM exporter takes `2016-09-12T00:00:00.000` (its documented form, UTC, millisecond precision): `from` is floored
 * and `to` ceiled, so the window can only grow; the caller de-duplicates what the extra fraction of a millisecond
 * brings back.
 *
 * Encoding: OData system options keep their literal `$` (`$filter`, as every Microsoft example writes them), values
 * are percent-encoded with spaces as `%20`, which Graph and MDE both accept (URLSearchParams would write `+`, which
 * only form decoders read as a space). `:` stays literal: RFC 3986 allows it in a query and the SIEM docs show it so.
 */
import { formatApiTime, TICKS_PER_MS, type ApiTime } from './api-time.js';
import type { TimeWindow } from '../ports.js';

/** Largest `$top` Graph alerts_v2 honours (larger values are clamped by the service). */
export const GRAPH_MAX_TOP = 1000;
/** Largest `$top` the MDE alerts API allows ("Maximum page size is 10,000"). */
export const MDE_MAX_TOP = 10_000;
/**
 * Largest `$top` Graph incidents accept: larger values are refused with 400 "The limit of '50' for Top query has been
 * exceeded" (Elastic's integration documents the same maximum batch size).
 */
export const INCIDENTS_MAX_TOP = 50;

/** Options of a Graph or MDE alerts query. */
export interface ODataQueryOptions {
  /** The user's extra `$filter` clause, ANDed with the time clause. */
  filter?: string;
  /** Page size; clamped to the API's maximum. */
  top: number;
}

/** Graph alerts_v2: time filter, ascending by last update, `$top` ≤ 1000. */
export function buildGraphAlertsUrl(alertsUrl: string, window: TimeWindow, options: ODataQueryOptions): string {
  return withQuery(alertsUrl, [
    ['$filter', timeFilter('lastUpdateDateTime', window, options.filter)],
    ['$orderby', 'lastUpdateDateTime asc'],
    ['$top', String(clampTop(options.top, GRAPH_MAX_TOP))],
  ]);
}

/**
 * Graph incidents with their alerts: time filter, `$expand=alerts`, `$top` ≤ 50. No `$orderby`: the list-incidents
 * page does not document it, and collection does not depend on any order.
 */
export function buildGraphIncidentsUrl(incidentsUrl: string, window: TimeWindow, options: ODataQueryOptions): string {
  return withQuery(incidentsUrl, [
    ['$filter', timeFilter('lastUpdateDateTime', window, options.filter)],
    ['$expand', 'alerts'],
    ['$top', String(clampTop(options.top, INCIDENTS_MAX_TOP))],
  ]);
}

/** MDE /api/alerts: time filter, evidence expanded, `$top` ≤ 10000, `$skip` when past the first page. */
export function buildMdeAlertsUrl(
  alertsUrl: string,
  window: TimeWindow,
  options: ODataQueryOptions & { skip?: number },
): string {
  const params: [string, string][] = [
    ['$filter', timeFilter('lastUpdateTime', window, options.filter)],
    ['$expand', 'evidence'],
    ['$top', String(clampTop(options.top, MDE_MAX_TOP))],
  ];
  const skip = options.skip ?? 0;
  if (!Number.isSafeInteger(skip) || skip < 0) throw new RangeError(`$skip must be a whole number ≥ 0, not ${skip}`);
  if (skip > 0) params.push(['$skip', String(skip)]);
  return withQuery(alertsUrl, params);
}

/** SIEM exporter: `sinceTimeUtc` (floored to the ms) and, for a closed window, `untilTimeUtc` (ceiled to the ms). */
export function buildSiemAlertsUrl(alertsUrl: string, window: TimeWindow): string {
  const params: [string, string][] = [['sinceTimeUtc', formatSiemTime(window.from, 'floor')]];
  if (window.to !== undefined) params.push(['untilTimeUtc', formatSiemTime(window.to, 'ceil')]);
  return withQuery(alertsUrl, params);
}

/** `2016-09-12T00:00:00.000`: the SIEM exporter's documented form (UTC, no zone suffix, milliseconds). */
export function formatSiemTime(t: ApiTime, rounding: 'floor' | 'ceil'): string {
  const rounded = rounding === 'ceil' ? t + TICKS_PER_MS - 1n : t;
  return formatApiTime(rounded).slice(0, 23);
}

function timeFilter(field: string, window: TimeWindow, userFilter: string | undefined): string {
  let filter = `${field} ge ${formatApiTime(window.from)}`;
  if (window.to !== undefined) filter += ` and ${field} lt ${formatApiTime(window.to)}`;
  // Parentheses keep the user's `or` from escaping the time clause.
  if (userFilter !== undefined && userFilter.trim() !== '') filter += ` and (${userFilter.trim()})`;
  return filter;
}

function clampTop(top: number, max: number): number {
  if (!Number.isSafeInteger(top) || top < 1) throw new RangeError(`$top must be a whole number ≥ 1, not ${top}`);
  return Math.min(top, max);
}

function encodeValue(value: string): string {
  return encodeURIComponent(value).replace(/%3A/g, ':');
}

function withQuery(base: string, params: [string, string][]): string {
  const query = params.map(([key, value]) => `${key}=${encodeValue(value)}`).join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}
