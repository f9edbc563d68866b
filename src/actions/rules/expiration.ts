/**
 * An indicator's expiration: an ISO-8601 time with a zone (`2030-12-12T00:00:00Z`, `2030-12-12` meaning midnight UTC)
 * or a time relative to now, Splunk style: `+30d`, `+12h`, `+90m` (minutes, as in Splunk), `+2w`.
 */
import type { Parsed } from './params.js';

const RELATIVE = /^\+(\d{1,6})\s*([mhdw])$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_TIME_NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;

/** Parses an expiration into `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds); it must lie after `nowMs`. */
export function parseExpiration(text: string, nowMs: number, field = 'expiration'): Parsed<string> {
  const value = text.trim();
  let ms: number;
  const relative = RELATIVE.exec(value);
  if (relative) {
    ms = nowMs + Number(relative[1]) * UNIT_MS[relative[2]!.toLowerCase()]!;
  } else if (ISO_DATE.test(value) || ISO_TIME.test(value)) {
    // Date.parse reads a date-only string as UTC midnight; fractions beyond milliseconds are cut for it.
    ms = Date.parse(ISO_DATE.test(value) ? `${value}T00:00:00Z` : value.replace(/(\.\d{3})\d+/, '$1'));
    if (Number.isNaN(ms))
      return {
        ok: false,
        problem: `${field} ${JSON.stringify(text)} is not a real date: use e.g. 2030-12-31T00:00:00Z or +30d.`,
      };
  } else if (ISO_TIME_NO_ZONE.test(value)) {
    return { ok: false, problem: `${field} ${JSON.stringify(text)} has no time zone: add Z for UTC (e.g. ${value}Z).` };
  } else {
    return {
      ok: false,
      problem: `${field} ${JSON.stringify(text)} is neither an ISO-8601 time nor relative: use e.g. 2030-12-31T00:00:00Z, +30d, +12h or +90m.`,
    };
  }
  if (ms <= nowMs) return { ok: false, problem: `${field} ${JSON.stringify(text)} is in the past: give a later time.` };
  return { ok: true, value: new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
