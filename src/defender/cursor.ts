/**
 * The checkpointed cursor: a watermark plus the alert versions already emitted near it.
 *
 * Peers lose alerts that share the boundary timestamp (strict `gt` on the max time) or skip unread pages after a crash
 * (a common failure of other collectors). Here, each run re-reads from `watermark − overlap` and emits only versions it
 * has not emitted yet, so
 * ties, late arrivals within the overlap and updates (a new last-update time = a new version) all come through once.
 *
 * Invariants:
 * - Every emitted version with a time at or after the next run's read floor (watermark − overlap, down to the whole
 *   millisecond) is in `seen` (pruning keeps exactly those).
 * - The watermark only moves past a time range once every page of that range was read and its events flushed:
 *   after a completed window [from, to) it becomes `to`; after the open-ended last window, the greatest time read.
 * - A run that stops early (error, SIGTERM, page cap) keeps the watermark and only adds what it flushed to `seen`.
 */
import { CheckpointError } from '../errors.js';
import { floorToMs, formatApiTime, parseApiTime, type ApiTime } from './api-time.js';
import { countVersions, versionsFromJson, versionsToJson } from './versions-json.js';

/**
 * The checkpoint format this add-on writes. 2 added the replay state and (api incidents) the alert memory beside the
 * cursor (defender/checkpoint.ts); a version 1 file is read as a version 2 without them.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;
/** Every format version this add-on reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

export interface Cursor {
  /** Versions at or after `watermark − overlap` are re-read each run; the first run starts at `watermark` itself. */
  readonly watermark: ApiTime;
  /** True until the first run saved a checkpoint: that run reads from `watermark` without the overlap. */
  readonly firstRun: boolean;
  /** Emitted versions: id → last-update times. */
  readonly seen: ReadonlyMap<string, ReadonlySet<ApiTime>>;
}

/** One alert version: its id and last-update time. */
export interface AlertVersion {
  id: string;
  time: ApiTime;
}

/** The checkpoint file's JSON (versioned so a future format can migrate it). */
export interface CheckpointDocument {
  v: number;
  /** Watermark at full 7-digit precision, e.g. `2024-05-01T10:00:00.1234567Z`. */
  watermark: string;
  /** Emitted versions near the watermark, grouped by time: `{"<time>": ["<id>", …]}`. */
  seen: Record<string, string[]>;
  /** When this checkpoint was written (for humans). */
  saved_at: string;
  /** Number of versions in `seen` (for humans). */
  n_seen: number;
}

export function initialCursor(start: ApiTime): Cursor {
  return { watermark: start, firstRun: true, seen: new Map() };
}

/**
 * The inclusive lower bound of this run's reads, in whole milliseconds (the SIEM exporter takes no finer time, and
 * every window starts on a millisecond). `seen` is pruned at the same floor: pruning at the exact `watermark −
 * overlap` would forget versions in the sub-millisecond gap below it that the next run still reads, and emit them
 * again.
 */
export function readFrom(cursor: Cursor, overlap: ApiTime): ApiTime {
  return cursor.firstRun ? floorToMs(cursor.watermark) : overlapFloor(cursor.watermark, overlap);
}

/** Where a run that reads with the overlap starts: `watermark − overlap`, down to the whole millisecond. */
function overlapFloor(watermark: ApiTime, overlap: ApiTime): ApiTime {
  return floorToMs(watermark - overlap);
}

/** A mutable set of versions, used during a run (kept per run so the persisted cursor stays immutable). */
export class VersionSet {
  // Most ids have one version in a set: that one is kept as it is, and a Set made only for a second. A backfill
  // holds tens of thousands of versions per window being read, and a Set of one costs about 130 bytes more.
  private readonly byId = new Map<string, ApiTime | Set<ApiTime>>();
  private count = 0;

  constructor(from?: ReadonlyMap<string, ReadonlySet<ApiTime>>) {
    if (from) for (const [id, times] of from) for (const t of times) this.add({ id, time: t });
  }

  has(v: AlertVersion): boolean {
    const times = this.byId.get(v.id);
    return times === undefined ? false : typeof times === 'bigint' ? times === v.time : times.has(v.time);
  }

  /** Adds the version; false if it was already there. */
  add(v: AlertVersion): boolean {
    const times = this.byId.get(v.id);
    if (times === undefined) this.byId.set(v.id, v.time);
    else if (typeof times === 'bigint') {
      if (times === v.time) return false;
      this.byId.set(v.id, new Set([times, v.time]));
    } else {
      if (times.has(v.time)) return false;
      times.add(v.time);
    }
    this.count++;
    return true;
  }

  get size(): number {
    return this.count;
  }

  /** A copy holding only versions at or after `min` (and before `below`, when given). */
  prunedTo(min: ApiTime, below?: ApiTime): Map<string, Set<ApiTime>> {
    const out = new Map<string, Set<ApiTime>>();
    const keep = (t: ApiTime) => t >= min && (below === undefined || t < below);
    for (const [id, times] of this.byId) {
      const kept = typeof times === 'bigint' ? (keep(times) ? [times] : []) : [...times].filter(keep);
      if (kept.length) out.set(id, new Set(kept));
    }
    return out;
  }

  /** Forgets, in place, every version before `min` (a run's set, once the watermark moved past them). */
  dropBefore(min: ApiTime): void {
    for (const [id, times] of this.byId) {
      if (typeof times === 'bigint') {
        if (times < min) {
          this.byId.delete(id);
          this.count--;
        }
        continue;
      }
      for (const t of times) {
        if (t < min) {
          times.delete(t);
          this.count--;
        }
      }
      if (times.size === 0) this.byId.delete(id);
    }
  }
}

/**
 * The cursor after a window was fully read and every event of it flushed.
 * `windowTo` is the window's exclusive upper bound, or undefined for the open last window, in which case
 * `maxTimeRead` (the greatest last-update time served in it, emitted or not) moves the watermark.
 */
export function completeWindow(
  cursor: Cursor,
  emitted: VersionSet,
  overlap: ApiTime,
  window: { to?: ApiTime; maxTimeRead?: ApiTime },
): Cursor {
  let watermark = cursor.watermark;
  const reached = window.to ?? window.maxTimeRead;
  if (reached !== undefined && reached > watermark) watermark = reached;
  const moved = watermark !== cursor.watermark;
  return {
    watermark,
    // Once the watermark moved past the start, later runs read with the overlap.
    firstRun: cursor.firstRun && !moved,
    // Keep every version a run reading with the overlap sees again (while firstRun, that keeps a few extra entries).
    seen: emitted.prunedTo(overlapFloor(watermark, overlap)),
  };
}

/** The cursor after a run stopped inside a window: the watermark stays; what was flushed is remembered. */
export function partialWindow(cursor: Cursor, emitted: VersionSet, overlap: ApiTime): Cursor {
  return { watermark: cursor.watermark, firstRun: cursor.firstRun, seen: emitted.prunedTo(readFrom(cursor, overlap)) };
}

export function toCheckpointDocument(cursor: Cursor, savedAtIso: string): CheckpointDocument {
  return {
    v: CHECKPOINT_FORMAT_VERSION,
    watermark: formatApiTime(cursor.watermark),
    seen: versionsToJson(cursor.seen),
    saved_at: savedAtIso,
    n_seen: countVersions(cursor.seen),
  };
}

/** The error for a checkpoint document that cannot be used, naming the file and what to do. */
export function checkpointCorrupt(where: string, why: string): CheckpointError {
  return new CheckpointError(
    'checkpoint_corrupt',
    `The checkpoint ${where} is not usable (${why}). Restore it from a backup, or move it aside to start again from ` +
      'start_time (alerts since then will be collected again).',
  );
}

/**
 * Reads a checkpoint document. A document we cannot understand is an error for the admin to act on, never a silent
 * reset to start_time (that would re-ingest or skip alerts without anyone noticing).
 */
export function fromCheckpointDocument(doc: unknown, where: string): Cursor {
  const fail = (why: string) => checkpointCorrupt(where, why);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('not a JSON object');
  const d = doc as Partial<CheckpointDocument>;
  if (typeof d.v !== 'number' || !READABLE_FORMAT_VERSIONS.includes(d.v)) {
    const readable = READABLE_FORMAT_VERSIONS.join(' and ');
    throw fail(`format version ${JSON.stringify(d.v)}; this add-on reads versions ${readable}`);
  }
  const watermark = typeof d.watermark === 'string' ? parseApiTime(d.watermark) : undefined;
  if (watermark === undefined) throw fail('watermark is missing or not a timestamp');
  return { watermark, firstRun: false, seen: versionsFromJson(d.seen, 'seen', fail) };
}
