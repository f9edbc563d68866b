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
 * 180 days: for 100,000 such incidents with 3 alerts each, bench/incidents-memory.ts measures its size.
 */
import { formatApiTime, parseApiTime, TICKS_PER_SECOND, type ApiTime } from './api-time.js';

/** Days an alert is remembered after the last incident that held it was served. */
export const RETENTION_DAYS = 180;
/** The most alerts remembered at once. */
export const MAX_ALERTS = 1_000_000;

const TICKS_PER_DAY = 86_400n * TICKS_PER_SECOND;

/** One remembered alert. */
interface Entry {
  /** The newest last-update time written for this alert. */
  time: ApiTime;
  /** The day (since the Unix epoch, UTC) of the newest incident last-update time it was served in. */
  day: number;
}

/** The checkpoint's `alert_memory`: `{"<YYYY-MM-DD last served>": {"<alert id>": "<newest time written>"}}`. */
export type AlertMemoryJson = Record<string, Record<string, string>>;

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

export class AlertMemory {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  /** Whether this version is newer than every version of the alert written so far. */
  isNew(version: NestedVersion): boolean {
    const entry = this.entries.get(version.id);
    return entry === undefined || version.time > entry.time;
  }

  /**
   * Notes that the alert was served inside an incident last updated at `servedIn`, and, when `written`, that this
   * version was written.
   */
  note(version: NestedVersion, servedIn: ApiTime, written: boolean): void {
    const day = dayOf(servedIn);
    const entry = this.entries.get(version.id);
    if (entry === undefined) {
      if (written) this.entries.set(version.id, { time: version.time, day });
      return;
    }
    if (written && version.time > entry.time) entry.time = version.time;
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

  toJson(): AlertMemoryJson {
    const byDay = new Map<number, [string, ApiTime][]>();
    for (const [id, entry] of this.entries) {
      const list = byDay.get(entry.day);
      if (list) list.push([id, entry.time]);
      else byDay.set(entry.day, [[id, entry.time]]);
    }
    const out: AlertMemoryJson = {};
    for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
      const alerts: Record<string, string> = {};
      for (const [id, time] of byDay.get(day)!.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        alerts[id] = formatApiTime(time);
      }
      out[dayText(day)] = alerts;
    }
    return out;
  }

  static fromJson(json: unknown, fail: (why: string) => Error): AlertMemory {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('alert_memory is not an object');
    const memory = new AlertMemory();
    for (const [dayKey, alerts] of Object.entries(json)) {
      const dayStart = /^\d{4}-\d{2}-\d{2}$/.test(dayKey) ? parseApiTime(`${dayKey}T00:00:00Z`) : undefined;
      if (dayStart === undefined || typeof alerts !== 'object' || alerts === null || Array.isArray(alerts)) {
        throw fail(`alert_memory entry ${JSON.stringify(dayKey).slice(0, 60)} is malformed`);
      }
      const day = dayOf(dayStart);
      for (const [id, timeText] of Object.entries(alerts as Record<string, unknown>)) {
        const time = typeof timeText === 'string' ? parseApiTime(timeText) : undefined;
        if (time === undefined)
          throw fail(`alert_memory time of alert ${JSON.stringify(id).slice(0, 60)} is malformed`);
        const entry = memory.entries.get(id);
        if (entry === undefined) memory.entries.set(id, { time, day });
        else {
          if (time > entry.time) entry.time = time;
          if (day > entry.day) entry.day = day;
        }
      }
    }
    return memory;
  }
}
