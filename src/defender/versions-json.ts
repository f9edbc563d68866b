/**
 * How the checkpoint writes a set of versions (id + time): grouped by time, `{"<time>": ["<id>", …]}`, times in
 * ascending order at full 7-digit precision and ids sorted, so the file is compact (many versions share a time) and
 * two saves of the same set are the same text.
 */
import { formatApiTime, parseApiTime, type ApiTime } from './api-time.js';

export type VersionsJson = Record<string, string[]>;

export function versionsToJson(versions: ReadonlyMap<string, ReadonlySet<ApiTime>>): VersionsJson {
  const byTime = new Map<ApiTime, string[]>();
  for (const [id, times] of versions) {
    for (const t of times) {
      const ids = byTime.get(t);
      if (ids) ids.push(id);
      else byTime.set(t, [id]);
    }
  }
  const out: VersionsJson = {};
  for (const t of [...byTime.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[formatApiTime(t)] = byTime.get(t)!.sort();
  }
  return out;
}

/** Reads a versions member; `name` says which one in the error that `fail` makes. */
export function versionsFromJson(json: unknown, name: string, fail: (why: string) => Error): Map<string, Set<ApiTime>> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail(`${name} is not an object`);
  const versions = new Map<string, Set<ApiTime>>();
  for (const [timeText, ids] of Object.entries(json)) {
    const t = parseApiTime(timeText);
    if (t === undefined || !Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw fail(`${name} entry ${JSON.stringify(timeText).slice(0, 60)} is malformed`);
    }
    for (const id of ids as string[]) {
      let times = versions.get(id);
      if (!times) versions.set(id, (times = new Set()));
      times.add(t);
    }
  }
  return versions;
}

/** The number of versions in a set. */
export function countVersions(versions: ReadonlyMap<string, ReadonlySet<ApiTime>>): number {
  let n = 0;
  for (const times of versions.values()) n += times.size;
  return n;
}
