/**
 * Replay (`replay_from`): a one-shot re-collection of `[replay_from, watermark]`, for an admin who lost indexed data
 * (an indexing outage, a deleted index) and wants it again without touching checkpoint files.
 *
 * The value the admin typed is the key: each new value replays once. Its progress lives in the checkpoint beside the
 * cursor, so a replay cut short (SIGKILL, SIGTERM, the page cap, an API failure) carries on at the next run from the
 * first window it had not finished, and the range is fixed when the replay starts (a relative value such as `-2d`
 * means two days before the run that first saw it, not before each later run).
 *
 * The replay keeps its own set of the versions it wrote in the window it is reading, not the cursor's: versions the
 * input wrote before are written again, once, however often pages are retried within the window.
 */
import type { ReplayFrom } from '../config/types.js';
import { floorToMs, fromSeconds, formatApiTime, parseApiTime, TICKS_PER_SECOND, type ApiTime } from './api-time.js';
import type { Cursor } from './cursor.js';
import { versionsFromJson, versionsToJson, type VersionsJson } from './versions-json.js';

/**
 * How long Microsoft keeps alerts and incidents: 180 days by default for Defender for Endpoint, Identity and Cloud
 * Apps, which Graph alerts and incidents serve (https://learn.microsoft.com/defender-xdr/data-privacy); Defender for
 * Endpoint's own API serves alerts "according to your configured retention period", 30 to 180 days
 * (https://learn.microsoft.com/defender-endpoint/api/get-alerts). A replay reaching further back gets one WARN.
 */
export const MICROSOFT_RETENTION_DAYS = 180;

/** A replay that has started and not finished. */
export interface ReplayProgress {
  /** The replay_from value being applied, as the admin wrote it. */
  readonly value: string;
  /** Inclusive start of the range. */
  readonly from: ApiTime;
  /**
   * Exclusive end of the range: just past the cursor's watermark when the replay began. Every version written before
   * has a time at or before the watermark, and the normal read goes on from there, so together they cover
   * `[replay_from, now)`.
   */
  readonly to: ApiTime;
  /** Start of the first window not yet read to its end. */
  readonly next: ApiTime;
  /** Versions the replay wrote in the window that starts at `next` (a window cut short by a stop or a failure). */
  readonly seen: ReadonlyMap<string, ReadonlySet<ApiTime>>;
  /** api incidents: alert versions the replay wrote (an alert is written once however many incidents hold it). */
  readonly alerts: ReadonlyMap<string, ReadonlySet<ApiTime>>;
}

/** What the checkpoint knows about replays. */
export interface ReplayState {
  /** The replay_from value applied last (finished, in progress, or found to have nothing to replay). */
  readonly applied: string | undefined;
  readonly active: ReplayProgress | undefined;
}

export const NO_REPLAY: ReplayState = Object.freeze({ applied: undefined, active: undefined });

/** What a run does about the stanza's replay_from. */
export type ReplayDecision =
  /** Nothing new: no value, or the value the checkpoint applied already. */
  | { kind: 'none' }
  /** A new value with nothing to replay (say why, once); it is recorded as applied. */
  | { kind: 'nothing'; state: ReplayState; reason: string }
  /** A new value: the replay to run, and whether it reaches back further than Microsoft keeps data. */
  | { kind: 'start'; state: ReplayState; progress: ReplayProgress; beyondRetention: boolean };

/**
 * Decides about `setting` at a run's start. `cursor` undefined means the input has no checkpoint yet: it has written
 * nothing, so there is nothing to write again (start_time says where the first run starts). A new value replaces a
 * replay still in progress.
 */
export function decideReplay(
  state: ReplayState,
  setting: ReplayFrom | undefined,
  cursor: Cursor | undefined,
  now: ApiTime,
): ReplayDecision {
  if (setting === undefined || setting.text === state.applied) return { kind: 'none' };
  const applied = { applied: setting.text, active: undefined };
  if (cursor === undefined) {
    return {
      kind: 'nothing',
      state: applied,
      reason:
        'the input has not written anything yet, so there is nothing to write again; start_time says where ' +
        'its first run starts',
    };
  }
  const from = setting.start.kind === 'relative' ? now - fromSeconds(setting.start.seconds) : setting.start.time;
  const to = cursor.watermark + 1n;
  if (from >= to) {
    return {
      kind: 'nothing',
      state: applied,
      reason:
        `replay_from (${formatApiTime(from)}) is after the checkpoint (${formatApiTime(cursor.watermark)}), which ` +
        'later runs read from anyway',
    };
  }
  const progress: ReplayProgress = {
    value: setting.text,
    from,
    to,
    next: floorToMs(from),
    seen: new Map(),
    alerts: new Map(),
  };
  const retention = BigInt(MICROSOFT_RETENTION_DAYS) * 86_400n * TICKS_PER_SECOND;
  return {
    kind: 'start',
    state: { applied: setting.text, active: progress },
    progress,
    beyondRetention: from < now - retention,
  };
}

/** Whether a version's time is inside the replay's range. */
export function inReplayRange(progress: ReplayProgress, time: ApiTime): boolean {
  return time >= progress.from && time < progress.to;
}

/** The checkpoint's `replay` member. */
export interface ReplayJson {
  applied: string;
  /** Present while a replay is in progress. */
  from?: string;
  to?: string;
  next?: string;
  seen?: VersionsJson;
  alerts?: VersionsJson;
}

export function replayToJson(state: ReplayState): ReplayJson | undefined {
  if (state.applied === undefined) return undefined;
  const active = state.active;
  if (active === undefined) return { applied: state.applied };
  return {
    applied: state.applied,
    from: formatApiTime(active.from),
    to: formatApiTime(active.to),
    next: formatApiTime(active.next),
    seen: versionsToJson(active.seen),
    alerts: versionsToJson(active.alerts),
  };
}

/** Reads the checkpoint's `replay` member; `fail` makes the error that names the checkpoint and what is wrong. */
export function replayFromJson(json: unknown, fail: (why: string) => Error): ReplayState {
  if (json === undefined) return NO_REPLAY;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('replay is not an object');
  const r = json as Partial<Record<keyof ReplayJson, unknown>>;
  if (typeof r.applied !== 'string') throw fail('replay.applied is not a string');
  if (r.from === undefined) return { applied: r.applied, active: undefined };
  const time = (name: 'from' | 'to' | 'next'): ApiTime => {
    const value = r[name];
    const parsed = typeof value === 'string' ? parseApiTime(value) : undefined;
    if (parsed === undefined) throw fail(`replay.${name} is missing or not a timestamp`);
    return parsed;
  };
  return {
    applied: r.applied,
    active: {
      value: r.applied,
      from: time('from'),
      to: time('to'),
      next: time('next'),
      seen: versionsFromJson(r.seen ?? {}, 'replay.seen', fail),
      alerts: versionsFromJson(r.alerts ?? {}, 'replay.alerts', fail),
    },
  };
}
