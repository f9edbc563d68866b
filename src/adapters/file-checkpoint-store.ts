/**
 * CheckpointStore on the local disk: one JSON file per stanza under the `checkpoint_dir` splunkd gives the input.
 * Writes are atomic (temp file, fsync, rename, fsync of the directory), so a kill at any instant leaves
 * the old or the new document. A checkpoint that cannot be read or parsed is an error, never a silent reset: a reset
 * would re-ingest everything since start_time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { platform } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../errors.js';
import type { CheckpointStore } from '../ports.js';
import { errorInfo } from '../toolkit/error-info.js';

/** Longest readable prefix kept from a key; the hash keeps longer keys distinct and the name far below 255 bytes. */
const MAX_PREFIX = 80;

/**
 * The file name (without directory) that holds the checkpoint of `key`: a readable, filesystem-safe prefix plus a
 * short hash of the exact key. The prefix keeps only `[A-Za-z0-9._-]`, so slashes, colons, unicode and the characters
 * Windows reserves never reach the file system; the hash keeps keys apart that sanitise alike (`a/b` vs `a:b`) and
 * case-insensitive file systems from merging `Prod` and `prod`. The hash suffix also means no name is ever exactly a
 * Windows device name (`CON`, `NUL`…) or ends with a dot or space.
 */
export function toCheckpointFileName(key: string): string {
  const prefix = key
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, MAX_PREFIX);
  const hash = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16);
  return `${prefix || 'checkpoint'}-${hash}.json`;
}

/**
 * A CheckpointStore that keeps each key's document in `<dir>/<toCheckpointFileName(key)>`; `dir` is created on first
 * save.
 */
export function createFileCheckpointStore(dir: string): CheckpointStore {
  // A random tag per store keeps two writers (two runs of one stanza, a stuck one and its successor) off each other's
  // temp file without this adapter reading the process id. The counter separates saves within one store.
  const tag = randomBytes(4).toString('hex');
  let saves = 0;

  return {
    async load(key) {
      const file = join(dir, toCheckpointFileName(key));
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if (errorInfo(error).code === 'ENOENT') return undefined;
        throw new CheckpointError(
          'checkpoint_unreadable',
          `Cannot read the checkpoint of input ${key} from ${file} (${errorInfo(error).code ?? 'unknown error'}): check that the user splunkd runs as (usually splunk) may read it and its directory.`,
          { cause: error },
        );
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new CheckpointError(
          'checkpoint_corrupt',
          `The checkpoint of input ${key} in ${file} is not valid JSON (${errorInfo(error).message}): move it aside to restart from start_time, or restore it from a backup.`,
          { cause: error },
        );
      }
    },

    async save(key, value) {
      const file = join(dir, toCheckpointFileName(key));
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new CheckpointError(
          'checkpoint_invalid',
          `The checkpoint of input ${key} is not a JSON value; this is a bug, please report it.`,
        );
      }
      const tmp = toTempFileName(file, tag, ++saves);
      try {
        await mkdir(dir, { recursive: true });
        await writeDurably(tmp, text + '\n');
        await rename(tmp, file);
        await syncDirectory(dir);
      } catch (error) {
        await unlink(tmp).catch(() => undefined);
        throw new CheckpointError(
          'checkpoint_unwritable',
          `Cannot write the checkpoint of input ${key} in ${dir} (${errorInfo(error).code ?? 'unknown error'}): check that the directory exists or can be created and that the user splunkd runs as (usually splunk) has write permission on it${errorInfo(error).code === 'ENOSPC' ? ', and free disk space' : ''}.`,
          { cause: error },
        );
      }
    },
  };
}

/** Where a save writes before the rename makes it the checkpoint: `<file>.<tag>-<n>.tmp`, never read by load(). */
export function toTempFileName(file: string, tag: string, save: number): string {
  return `${file}.${tag}-${save}.tmp`;
}

/** Writes the whole file and flushes it to the disk before the rename makes it the checkpoint. */
async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes the rename itself durable (POSIX). Windows cannot open a directory for fsync, and some file systems refuse it.
 */
async function syncDirectory(dir: string): Promise<void> {
  if (platform() === 'win32') return;
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP', 'EBADF'].includes(errorInfo(error).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}
