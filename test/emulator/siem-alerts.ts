/**
 * The legacy SIEM alert exporter: `GET /api/alerts` with `sinceTimeUtc`, `untilTimeUtc`, `ago`,
 * `limit` and device-group filters, answering a top-level JSON array of detections, streamed (it can be 50 MB+),
 * filtered on `LastProcessedTimeUtc`. No parameters → the last 2 hours. Both bounds are inclusive (assumed).
 */
import { fromEpochMs, parseApiTime, type ApiTime } from '../../src/defender/api-time.js';
import { mdeErrorReply } from './api-errors.js';
import { guard } from './auth.js';
import type { EmulatorContext } from './context.js';
import type { Reply, RequestContext } from './http-io.js';
import { intOption, jsonArrayParts } from './listing.js';

/**
 * Parses `2016-09-12T00:00:00.000`, `…Z`, `"2016-09-12 00:00:00"`: ISO with or without zone/fraction, maybe quoted,
 * UTC.
 */
export function parseSiemTime(raw: string): ApiTime | undefined {
  const unquoted = raw.trim().replace(/^(["'])(.*)\1$/, '$2');
  return parseApiTime(unquoted);
}

/** Milliseconds in an ISO-8601 duration such as `PT10M`, `P1DT2H`, `PT0.5S`; undefined if malformed. */
export function parseIsoDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, d = '0', h = '0', mi = '0', s = '0'] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(mi)) * 60_000 + Number(s) * 1000;
}

/** `GET /api/alerts` on the SIEM listener. */
export function listSiemAlerts(ctx: RequestContext, env: EmulatorContext): Reply {
  const auth = guard(ctx, env, [], 'siem');
  if (!auth.ok) return auth.reply;
  const bad = (message: string): Reply => mdeErrorReply(ctx, 400, 'InvalidInput', message);
  const now = fromEpochMs(env.now());
  const q = ctx.query;

  let since: ApiTime;
  let until: ApiTime = now;
  const sinceRaw = q.get('sinceTimeUtc');
  const untilRaw = q.get('untilTimeUtc');
  const agoRaw = q.get('ago');
  if (sinceRaw !== null) {
    const t = parseSiemTime(sinceRaw);
    if (t === undefined)
      return bad(`sinceTimeUtc '${sinceRaw}' is not a valid time. Use e.g. 2016-09-12T00:00:00.000.`);
    since = t;
  } else if (agoRaw !== null) {
    const ms = parseIsoDuration(agoRaw);
    if (ms === undefined) return bad(`ago '${agoRaw}' is not an ISO-8601 duration such as PT10M.`);
    since = now - fromEpochMs(ms);
  } else {
    since = now - fromEpochMs(env.settings.siemDefaultWindowMs);
  }
  if (untilRaw !== null) {
    const t = parseSiemTime(untilRaw);
    if (t === undefined) return bad(`untilTimeUtc '${untilRaw}' is not a valid time.`);
    until = t;
  }
  const limit = intOption(q, 'limit');
  if (Number.isNaN(limit)) return bad(`limit '${q.get('limit')}' is not a whole number.`);
  const groups = q.getAll('machinegroups');
  const deviceTag = q.get('DeviceCreatedMachineTags');
  const cloudTags = q.getAll('CloudCreatedMachineTags');

  const table = env.store.table('siem');
  let list = table.select(
    { lower: { t: since, inclusive: true }, upper: { t: until, inclusive: true }, exact: true },
    groups.length === 0 && deviceTag === null && cloudTags.length === 0
      ? undefined
      : (r) =>
          (groups.length === 0 || groups.includes(String(r.fields.MachineGroup ?? ''))) &&
          (deviceTag === null ||
            String(r.fields.DeviceCreatedMachineTags ?? '')
              .split(',')
              .includes(deviceTag)) &&
          (cloudTags.length === 0 ||
            cloudTags.some((t) =>
              String(r.fields.CloudCreatedMachineTags ?? '')
                .split(',')
                .includes(t),
            )),
  );
  // "Most recent alerts will be retrieved."
  if (limit !== undefined) list = list.slice(Math.max(0, list.length - limit));
  const page = list;
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: jsonArrayParts('[', page, (r) => r.json, ']'),
    onDelivered: () => table.recordServed(page),
  };
}
