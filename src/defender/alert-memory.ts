/**
 * api incidents: the alert versions already written, so each alert version found inside the incidents is written
 * once, however often its incident changes around it. An incident is served again whenever anything in it changes
 * (a comment, an owner, a new alert), with every alert it holds; peers re-emit them all each time. The cursor's own
 * `seen` set cannot tell, because it forgets what is older than the overlap, while an incident can be updated months
 * after its alerts last changed.
 *
 * What is kept, per alert id: the newest last-update time written, and the day it was last served inside an
 * incident. An alert version is written when its time is later than the newest written for its id (or the id is
 * new). A version older than one already written is a stale copy and is not written. An alert moved to another
 * incident by a merge keeps its id and, unless Microsoft updates it, its time: it is not written again.
 *
 * The bound: an alert not served inside any incident for {@link RETENTION_DAYS} days (counted back from the
 * cursor's watermark, on the incidents' own last-update times, not the clock) is forgotten; Microsoft deletes
 * incidents and alerts after that long by default (https://learn.microsoft.com/defender-xdr/data-privacy). Whatever
 * the tenant does, at most {@link MAX_ALERTS} alerts are kept, the least recently served forgotten first. A forgotten
 * alert that comes back is written once more. So the memory holds the alerts of the incidents updated in the last
 * 180 days: for 100,000 such incidents with 3 alerts each, 41 MB of heap and a 19.6 MB checkpoint
 * (bench/incidents-memory.ts).
 */
import { parseApiTime, TICKS_PER_SECOND, type ApiTime } from './api-time.js';

/** Days an alert is remembered after the last incident that held it was served. */
export const RETENTION_DAYS = 180;
/** The most alerts remembered at once. */
export const MAX_ALERTS = 1_000_000;

const TICKS_PER_DAY = 86_400n * TICKS_PER_SECOND;

/** One remembered alert. */
interface Entry {
  /**
   * The newest last-update time written for this alert, in the canonical form (`2024-05-01T10:00:00.1234567Z`): such
   * texts sort as their times do, and a flat string costs nothing to save, where formatting hundreds of thousands of
   * times at every save did.
   */
  text: string;
  /** The day (since the Unix epoch, UTC) of the newest incident last-update time it was served in. */
  day: number;
}

/**
 * The checkpoint's `alert_memory`: `{"<YYYY-MM-DD last served>": ["<alert id>", "<newest time written>", …]}`, id and
 * time pairs in one flat array per day (arrays of strings build and parse several times faster than objects with
 * hundreds of thousands of keys).
 */
export type AlertMemoryJson = Record<string, string[]>;

/** An alert version found inside an incident. */
export interface NestedVersion {
  id: string;
  time: ApiTime;
}

export function dayOf(t: ApiTime): number {
  return Number((t >= 0n ? t : t - TICKS_PER_DAY + 1n) / TICKS_PER_DAY);
}

function dayText(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

const CANONICAL = /^\d{4}-\d{2}-\d{2}T[0-2]\d:[0-5]\d:[0-5]\d\.\d{7}Z$/;
const dayPrefixes = new Map<number, string>();

/** The canonical text of a time (the checkpoint's form), as one flat string. */
export function canonicalTime(t: ApiTime): string {
  const day = dayOf(t);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size > 4096) dayPrefixes.clear();
    dayPrefixes.set(day, (prefix = `${dayText(day)}T`));
  }
  const inDay = t - BigInt(day) * TICKS_PER_DAY;
  const seconds = Number(inDay / TICKS_PER_SECOND);
  return [
    prefix,
    String(Math.floor(seconds / 3600)).padStart(2, '0'),
    ':',
    String(Math.floor(seconds / 60) % 60).padStart(2, '0'),
    ':',
    String(seconds % 60).padStart(2, '0'),
    '.',
    String(inDay % TICKS_PER_SECOND).padStart(7, '0'),
    'Z',
  ].join('');
}

export class AlertMemory {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  /** Whether this version is newer than every version of the alert written so far. */
  isNew(version: NestedVersion): boolean {
    const entry = this.entries.get(version.id);
    return entry === undefined || canonicalTime(version.time) > entry.text;
  }

  /**
   * Notes that the alert was served inside an incident last updated at `servedIn`, and, when `written`, that this
   * version was written.
   */
  note(version: NestedVersion, servedIn: ApiTime, written: boolean): void {
    const day = dayOf(servedIn);
    const entry = this.entries.get(version.id);
    if (entry === undefined) {
      if (written) this.entries.set(version.id, { text: canonicalTime(version.time), day });
      return;
    }
    if (written) {
      const text = canonicalTime(version.time);
      if (text > entry.text) entry.text = text;
    }
    if (day > entry.day) entry.day = day;
  }

  /**
   * Forgets alerts last served more than RETENTION_DAYS before `watermark`, then the least recently served ones
   * beyond `max`. Returns how many were forgotten.
   */
  prune(watermark: ApiTime, max = MAX_ALERTS): number {
    const before = this.entries.size;
    const oldest = dayOf(watermark) - RETENTION_DAYS;
    for (const [id, entry] of this.entries) if (entry.day < oldest) this.entries.delete(id);
    if (this.entries.size > max) {
      const byDay = [...this.entries].sort((a, b) => a[1].day - b[1].day);
      for (const [id] of byDay.slice(0, this.entries.size - max)) this.entries.delete(id);
    }
    return before - this.entries.size;
  }

  /** Days in ascending order; within a day, alerts in the order they were first remembered (stable across saves). */
  toJson(): AlertMemoryJson {
    const byDay = new Map<number, string[]>();
    for (const [id, entry] of this.entries) {
      let pairs = byDay.get(entry.day);
      if (!pairs) byDay.set(entry.day, (pairs = []));
      pairs.push(id, entry.text);
    }
    const out: AlertMemoryJson = {};
    for (const day of [...byDay.keys()].sort((a, b) => a - b)) out[dayText(day)] = byDay.get(day)!;
    return out;
  }

  static fromJson(json: unknown, fail: (why: string) => Error): AlertMemory {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('alert_memory is not an object');
    const memory = new AlertMemory();
    for (const [dayKey, pairs] of Object.entries(json)) {
      const dayStart = /^\d{4}-\d{2}-\d{2}$/.test(dayKey) ? parseApiTime(`${dayKey}T00:00:00Z`) : undefined;
      if (dayStart === undefined || !Array.isArray(pairs) || pairs.length % 2 !== 0) {
        throw fail(`alert_memory entry ${JSON.stringify(dayKey).slice(0, 60)} is malformed`);
      }
      const day = dayOf(dayStart);
      for (let i = 0; i < pairs.length; i += 2) {
        const id: unknown = pairs[i];
        let text: unknown = pairs[i + 1];
        if (typeof text === 'string' && !CANONICAL.test(text)) {
          // Not as this add-on writes it (edited by hand?): any time it can read, in the canonical form.
          const time = parseApiTime(text);
          text = time === undefined ? undefined : canonicalTime(time);
        }
        if (typeof id !== 'string' || typeof text !== 'string') {
          throw fail(`alert_memory pair ${i / 2 + 1} of ${dayKey} is malformed`);
        }
        const entry = memory.entries.get(id);
        if (entry === undefined) memory.entries.set(id, { text, day });
        else {
          if (text > entry.text) entry.text = text;
          if (day > entry.day) entry.day = day;
        }
      }
    }
    return memory;
  }
}
