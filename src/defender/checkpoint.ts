/**
 * One input's checkpoint document: the cursor (defender/cursor.ts), the replay state (defender/replay.ts) and, for
 * api incidents, the alert memory (defender/alert-memory.ts). Format version 2; a version 1 file (the cursor alone)
 * is read as version 2 with no replay applied and an empty alert memory.
 */
import { AlertMemory, type AlertMemoryJson } from './alert-memory.js';
import type { ApiTime } from './api-time.js';
import {
  checkpointCorrupt,
  fromCheckpointDocument,
  initialCursor,
  toCheckpointDocument,
  type CheckpointDocument,
  type Cursor,
} from './cursor.js';
import { NO_REPLAY, replayFromJson, replayToJson, type ReplayJson, type ReplayState } from './replay.js';

/** Everything a run of one stanza carries over to the next. */
export interface InputState {
  readonly cursor: Cursor;
  readonly replay: ReplayState;
  /** api incidents with include_alerts: the newest version of each alert written (mutable; copied when saved). */
  readonly alerts: AlertMemory;
}

/** The checkpoint file's JSON. */
export interface InputCheckpoint extends CheckpointDocument {
  /** Absent until a replay_from value was applied. */
  replay?: ReplayJson;
  /** Absent when empty (every api but incidents). */
  alert_memory?: AlertMemoryJson;
}

/** The state of an input that has no checkpoint yet: its first run starts at `start`. */
export function initialState(start: ApiTime): InputState {
  return { cursor: initialCursor(start), replay: NO_REPLAY, alerts: new AlertMemory() };
}

export function toInputCheckpoint(state: InputState, savedAtIso: string): InputCheckpoint {
  const doc: InputCheckpoint = toCheckpointDocument(state.cursor, savedAtIso);
  const replay = replayToJson(state.replay);
  if (replay !== undefined) doc.replay = replay;
  if (state.alerts.size > 0) doc.alert_memory = state.alerts.toJson();
  return doc;
}

/** Reads a checkpoint document of format 1 or 2; anything unusable is a CheckpointError naming `where`. */
export function fromInputCheckpoint(doc: unknown, where: string): InputState {
  const cursor = fromCheckpointDocument(doc, where);
  const d = doc as Partial<InputCheckpoint>;
  const fail = (why: string) => checkpointCorrupt(where, why);
  return {
    cursor,
    replay: replayFromJson(d.replay, fail),
    alerts: d.alert_memory === undefined ? new AlertMemory() : AlertMemory.fromJson(d.alert_memory, fail),
  };
}
