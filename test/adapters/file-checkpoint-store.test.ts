import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileCheckpointStore,
  toCheckpointFileName,
  toTempFileName,
} from '../../src/adapters/file-checkpoint-store.js';
import { CheckpointError } from '../../src/errors.js';

const KEY = 'defender_alerts://prod';

describe('file checkpoint store', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ta-defender-checkpoint-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('returns undefined for a key that was never saved (first run)', async () => {
    const store = createFileCheckpointStore(join(root, 'missing', 'dir'));
    expect(await store.load(KEY)).to.equal(undefined);
  });

  it('reads back exactly the document it saved, creating the directory on the way', async () => {
    const dir = join(root, 'modinputs', 'defender_alerts');
    const store = createFileCheckpointStore(dir);
    const doc = { v: 1, lastUpdateTime: '2024-05-01T10:00:00.1234567Z', seen: ['a@1', 'b@2'], note: 'ünïcödé <&>' };
    await store.save(KEY, doc);
    expect(await store.load(KEY)).to.deep.equal(doc);
    expect(await createFileCheckpointStore(dir).load(KEY), 'a new store (next run) sees it too').to.deep.equal(doc);
  });

  it('replaces the previous document and leaves no temp file behind', async () => {
    const store = createFileCheckpointStore(root);
    await store.save(KEY, { n: 1 });
    await store.save(KEY, { n: 2 });
    expect(await store.load(KEY)).to.deep.equal({ n: 2 });
    expect(readdirSync(root)).to.deep.equal([toCheckpointFileName(KEY)]);
  });

  it('keeps the old checkpoint when a crash left a half-written temp file beside it', async () => {
    const store = createFileCheckpointStore(root);
    await store.save(KEY, { n: 1 });
    // What a kill between write and rename leaves: a partial temp file next to the intact checkpoint.
    const file = join(root, toCheckpointFileName(KEY));
    writeFileSync(toTempFileName(file, '0a1b2c3d', 2), '{"n": 2, "trunc');
    expect(await createFileCheckpointStore(root).load(KEY)).to.deep.equal({ n: 1 });
  });

  it('treats a leftover temp file without any checkpoint as a first run, not as the checkpoint', async () => {
    writeFileSync(toTempFileName(join(root, toCheckpointFileName(KEY)), '0a1b2c3d', 1), '{"n": 7}\n');
    expect(await createFileCheckpointStore(root).load(KEY)).to.equal(undefined);
  });

  it('rejects a corrupt checkpoint naming the file and the fix, instead of starting over', async () => {
    const store = createFileCheckpointStore(root);
    const file = join(root, toCheckpointFileName(KEY));
    for (const broken of ['{"n": 1', '', 'not json']) {
      writeFileSync(file, broken);
      const error = await store.load(KEY).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(broken)).to.be.instanceOf(CheckpointError);
      expect((error as CheckpointError).code).to.equal('checkpoint_corrupt');
      expect((error as Error).message)
        .to.include(file)
        .and.include('move it aside')
        .and.include('start_time')
        .and.include('restore');
    }
  });

  it('rejects an unreadable checkpoint (a directory where the file should be) naming the file', async () => {
    const file = join(root, toCheckpointFileName(KEY));
    mkdirSync(file);
    const error = await createFileCheckpointStore(root)
      .load(KEY)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(CheckpointError);
    expect((error as CheckpointError).code).to.equal('checkpoint_unreadable');
    expect((error as Error).message).to.include(file);
  });

  it('rejects a save it cannot complete (a directory where the file goes, refused even to root), naming the directory', async () => {
    mkdirSync(join(root, toCheckpointFileName(KEY), 'occupied'), { recursive: true });
    const error = await createFileCheckpointStore(root)
      .save(KEY, { n: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(CheckpointError);
    expect((error as CheckpointError).code).to.equal('checkpoint_unwritable');
    expect((error as Error).message)
      .to.include(root)
      .and.include('permission')
      .and.include('splunk');
    expect(readdirSync(root), 'the temp file is removed').to.deep.equal([toCheckpointFileName(KEY)]);
  });

  it('rejects a save into a directory that cannot be created (its parent is a regular file)', async () => {
    const parent = join(root, 'a-file');
    writeFileSync(parent, 'x');
    const dir = join(parent, 'checkpoints');
    const error = await createFileCheckpointStore(dir)
      .save(KEY, { n: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(CheckpointError);
    expect((error as Error).message).to.include(dir);
    expect(readFileSync(parent, 'utf8')).to.equal('x');
  });

  it('maps odd stanza names to distinct, safe, readable file names', async () => {
    const keys = [
      'defender_alerts://prod',
      'defender_alerts://Prod',
      'defender_alerts://a/b',
      'defender_alerts://a:b',
      'defender_alerts://a\\b',
      'defender_alerts://a?b*c"d<e>f|g',
      'defender_alerts://CON',
      'defender_alerts://..',
      'defender_alerts://ünïcödé 日本',
      'defender_alerts://trailing. ',
      `defender_alerts://${'x'.repeat(500)}`,
      '',
    ];
    const names = keys.map(toCheckpointFileName);
    expect(new Set(names).size, 'distinct').to.equal(keys.length);
    for (const name of names) {
      expect(name).to.match(/^[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{16}\.json$/);
      expect(name.length).to.be.below(120);
    }
    expect(toCheckpointFileName('defender_alerts://prod')).to.match(/^defender_alerts_prod-/);

    const store = createFileCheckpointStore(root);
    await Promise.all(keys.map((key, i) => store.save(key, { i })));
    expect(readdirSync(root)).to.have.length(keys.length);
    for (const [i, key] of keys.entries()) expect(await store.load(key)).to.deep.equal({ i });
  });
});

/**
 * A directory the test process cannot write into; chmod does not stop root, so then use a path under a regular file.
 */
