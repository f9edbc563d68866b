/**
 * The checkpoint document of one `defender_stream` stanza: per partition, the last event whose records were flushed
 * to splunkd (sequence number, offset, enqueued time), or where a partition not read yet must start. Versioned and
 * pure: the adapter (adapters/file-checkpoint-store.ts) saves it atomically.
 *
 * Rules it keeps: a partition the document does not name starts from its beginning once the document exists (a
 * partition added to the hub later), never from start_position; a change in the set of partitions never touches the
 * entries of the others; replay_from rewinds each partition once per new value, never forward.
 */
import { CheckpointError } from '../errors.js';
import type { StartPosition } from '../config/stream-config.js';

export const STREAM_CHECKPOINT_VERSION = 1;

/** Where one partition stands. */
export type PartitionEntry =
  /** The last event flushed: the next read starts after its sequence number. */
  | { sequenceNumber: number; offset: string; enqueuedTimeMs: number }
  /** Not read yet: start at the first event enqueued at or after this time (start_position or replay_from). */
  | { startAtMs: number };

export interface StreamCheckpoint {
  version: typeof STREAM_CHECKPOINT_VERSION;
  /** Namespace, hub and consumer group it belongs to: a stanza pointed elsewhere starts afresh. */
  source: string;
  partitions: Record<string, PartitionEntry>;
  /** The replay_from text last applied (applied once per new value). */
  replayApplied?: string;
}

/** What the reader needs for one partition: a position the SDK understands. */
export type ReadPosition =
  { kind: 'earliest' } | { kind: 'afterSequence'; sequenceNumber: number } | { kind: 'enqueuedOn'; timeMs: number };

/** The part of the hub's partition properties the first run needs for start_position=latest. */
export interface PartitionEnd {
  lastSequenceNumber: number;
  lastOffset: string;
  lastEnqueuedTimeMs: number;
  isEmpty: boolean;
}

export function checkpointKey(stanza: string, source: string): string {
  return `${stanza} ${source}`;
}

/** Reads a stored document; undefined when there is none or it belongs to another hub. Throws when it is corrupt. */
export function readStreamCheckpoint(value: unknown, source: string, key: string): StreamCheckpoint | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw notAStreamCheckpoint(key);
  const doc: Partial<StreamCheckpoint> = value;
  if (doc.version !== STREAM_CHECKPOINT_VERSION || typeof doc.partitions !== 'object' || doc.partitions === null) {
    throw notAStreamCheckpoint(key);
  }
  if (doc.source !== source) return undefined;
  for (const [id, entry] of Object.entries(doc.partitions)) {
    if (!isEntry(entry))
      throw new CheckpointError(
        'checkpoint_invalid',
        `The checkpoint of input ${key} has an unreadable entry for partition ${id}: move the file aside or restore it from a backup.`,
      );
  }
  return doc as StreamCheckpoint;
}

function notAStreamCheckpoint(key: string): CheckpointError {
  return new CheckpointError(
    'checkpoint_invalid',
    `The checkpoint of input ${key} is not a version ${STREAM_CHECKPOINT_VERSION} stream checkpoint: move the file aside to start from start_position, or restore it from a backup.`,
  );
}

function isEntry(entry: unknown): entry is PartitionEntry {
  if (entry === null || typeof entry !== 'object') return false;
  const e = entry as Record<string, unknown>;
  if (typeof e.startAtMs === 'number') return true;
  return typeof e.sequenceNumber === 'number' && typeof e.offset === 'string' && typeof e.enqueuedTimeMs === 'number';
}

/**
 * The document a run starts with. No document yet: every partition the hub has now starts at start_position
 * (latest becomes "after the current last event", so that a partition the hub adds later is not caught by it).
 */
export function initialCheckpoint(
  source: string,
  partitions: ReadonlyMap<string, PartitionEnd>,
  start: StartPosition,
  nowMs: number,
  resolveTime: (time: Extract<StartPosition, { kind: 'time' }>['time'], nowMs: number) => number,
): StreamCheckpoint {
  const entries: Record<string, PartitionEntry> = {};
  for (const [id, end] of partitions) {
    if (start.kind === 'latest' && !end.isEmpty) {
      entries[id] = {
        sequenceNumber: end.lastSequenceNumber,
        offset: end.lastOffset,
        enqueuedTimeMs: end.lastEnqueuedTimeMs,
      };
    } else if (start.kind === 'time') {
      entries[id] = { startAtMs: resolveTime(start.time, nowMs) };
    } else if (start.kind === 'latest') {
      // An empty partition: its beginning is its end.
      entries[id] = { startAtMs: 0 };
    }
    // earliest: no entry means "from the beginning".
  }
  return { version: STREAM_CHECKPOINT_VERSION, source, partitions: entries };
}

/**
 * Applies replay_from when its text is new: every partition (named or not) whose checkpoint lies after the replay
 * time is rewound to it; one that is behind it keeps its place (a replay never skips events). Returns the same
 * document when there is nothing to apply.
 */
export function applyReplay(
  doc: StreamCheckpoint,
  replay: { text: string; timeMs: number } | undefined,
  partitionIds: readonly string[],
): StreamCheckpoint {
  if (replay === undefined || replay.text === doc.replayApplied) return doc;
  const partitions: Record<string, PartitionEntry> = { ...doc.partitions };
  for (const id of new Set([...Object.keys(doc.partitions), ...partitionIds])) {
    const entry = partitions[id];
    if (entry === undefined) continue; // from the beginning already
    const at = 'startAtMs' in entry ? entry.startAtMs : entry.enqueuedTimeMs;
    if (at >= replay.timeMs) partitions[id] = { startAtMs: replay.timeMs };
  }
  return { ...doc, partitions, replayApplied: replay.text };
}

/** Where the reader of a partition starts: after its checkpoint, at its start time, or (unnamed) at its beginning. */
export function readPosition(doc: StreamCheckpoint, partitionId: string): ReadPosition {
  const entry = doc.partitions[partitionId];
  if (entry === undefined) return { kind: 'earliest' };
  if ('startAtMs' in entry)
    return entry.startAtMs <= 0 ? { kind: 'earliest' } : { kind: 'enqueuedOn', timeMs: entry.startAtMs };
  return { kind: 'afterSequence', sequenceNumber: entry.sequenceNumber };
}

/** The document with one partition's entry replaced by what was just flushed; the others untouched. */
export function withFlushed(
  doc: StreamCheckpoint,
  partitionId: string,
  flushed: { sequenceNumber: number; offset: string; enqueuedTimeMs: number },
): StreamCheckpoint {
  return { ...doc, partitions: { ...doc.partitions, [partitionId]: { ...flushed } } };
}

/** The sequence number of the last flushed event of a partition, or -1. */
export function checkpointSequence(doc: StreamCheckpoint, partitionId: string): number {
  const entry = doc.partitions[partitionId];
  return entry !== undefined && 'sequenceNumber' in entry ? entry.sequenceNumber : -1;
}
