/**
 * Microsoft's timestamps carry 0 to 7 fractional digits (`…59.2Z`, `…57.7220239Z`). A JS Date keeps milliseconds
 * only, and raw strings of different fraction lengths do not sort lexically, so every comparison in the add-on uses
 * ApiTime: an exact count of 100-nanosecond ticks since the Unix epoch, as a bigint.
 */
export type ApiTime = bigint;

export const TICKS_PER_MS = 10_000n;
export const TICKS_PER_SECOND = 10_000_000n;

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses an ISO-8601 UTC timestamp; a missing zone means UTC (the SIEM exporter's style). undefined if invalid. */
export function parseApiTime(text: string): ApiTime | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d),
    hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined; // e.g. Feb 30
  // Digits beyond the 7th are below tick resolution: truncate, as .NET does.
  const ticksFrac = BigInt((frac + '0000000').slice(0, 7));
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  return BigInt(ms - offsetMinutes * 60_000) * TICKS_PER_MS + ticksFrac;
}

/** `2024-05-01T10:00:00.1234567Z`: the OData literal form at full precision, also the checkpoint's form. */
export function formatApiTime(t: ApiTime): string {
  const secondsPart = new Date(Number(floorDiv(t, TICKS_PER_SECOND)) * 1000).toISOString().slice(0, 19);
  const frac = mod(t, TICKS_PER_SECOND).toString().padStart(7, '0');
  return `${secondsPart}.${frac}Z`;
}

/** Epoch seconds as decimal text with 7 decimals, exact (for `<time>`; no float rounding). */
export function toEpochSecondsText(t: ApiTime): string {
  const seconds = floorDiv(t, TICKS_PER_SECOND);
  const frac = mod(t, TICKS_PER_SECOND).toString().padStart(7, '0');
  return `${seconds}.${frac}`;
}

export function fromEpochMs(ms: number): ApiTime {
  return BigInt(Math.floor(ms)) * TICKS_PER_MS;
}

export function toEpochMs(t: ApiTime): number {
  return Number(floorDiv(t, TICKS_PER_MS));
}

export function fromSeconds(seconds: number): ApiTime {
  return BigInt(Math.round(seconds * 1000)) * TICKS_PER_MS;
}

/** Rounds down to a whole millisecond (window bounds are whole ms so APIs with ms precision see the same bound). */
export function floorToMs(t: ApiTime): ApiTime {
  return floorDiv(t, TICKS_PER_MS) * TICKS_PER_MS;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function mod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r < 0n ? r + b : r;
}
