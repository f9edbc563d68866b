import { expect } from 'chai';
import {
  completeWindow,
  fromCheckpointDocument,
  initialCursor,
  partialWindow,
  readFrom,
  toCheckpointDocument,
  VersionSet,
} from '../../../src/defender/cursor.js';
import { parseApiTime, TICKS_PER_SECOND, type ApiTime } from '../../../src/defender/api-time.js';
import { CheckpointError } from '../../../src/errors.js';

const t = (s: string): ApiTime => parseApiTime(s)!;
const overlap = 300n * TICKS_PER_SECOND;

describe('cursor', () => {
  it('starts the first run at start_time itself and later runs at watermark minus overlap, down to the millisecond', () => {
    const c0 = initialCursor(t('2024-05-01T00:00:00Z'));
    expect(readFrom(c0, overlap)).to.equal(t('2024-05-01T00:00:00Z'));
    const seen = new VersionSet();
    seen.add({ id: 'a', time: t('2024-05-01T10:00:00.1234567Z') });
    const c1 = completeWindow(c0, seen, overlap, { maxTimeRead: t('2024-05-01T10:00:00.1234567Z') });
    expect(readFrom(c1, overlap)).to.equal(t('2024-05-01T09:55:00.123Z'));
  });

  it('keeps in seen the versions in the sub-millisecond gap below watermark minus overlap, which the next run reads again', () => {
    // A at a whole millisecond; B (the new watermark) 300 s + 50 µs later: A is 50 µs below watermark − overlap but
    // inside the millisecond the next run starts reading at. Forgetting A would emit it again on every run.
    const a = { id: 'a', time: t('2024-05-01T10:00:00.123Z') };
    const b = { id: 'b', time: t('2024-05-01T10:05:00.1230500Z') };
    const emitted = new VersionSet();
    emitted.add(a);
    emitted.add(b);
    const c1 = completeWindow({ ...initialCursor(t('2024-05-01T09:00:00Z')), firstRun: false }, emitted, overlap, {
      maxTimeRead: b.time,
    });
    expect(readFrom(c1, overlap)).to.equal(t('2024-05-01T10:00:00.123Z'));
    expect(new VersionSet(c1.seen).has(a)).to.equal(true);
    const partial = partialWindow(c1, new VersionSet(c1.seen), overlap);
    expect(new VersionSet(partial.seen).has(a)).to.equal(true);
  });

  it('tells versions apart at 100-ns precision (same id, times 100 ns apart are two versions)', () => {
    const set = new VersionSet();
    expect(set.add({ id: 'x', time: t('2024-05-01T10:00:00.1234567Z') })).to.equal(true);
    expect(set.add({ id: 'x', time: t('2024-05-01T10:00:00.1234568Z') })).to.equal(true);
    expect(set.add({ id: 'x', time: t('2024-05-01T10:00:00.12345670Z') })).to.equal(false);
    // 2 digits vs 7 digits of the same instant are the same version
    expect(set.has({ id: 'y', time: t('2024-05-01T10:00:00.2Z') })).to.equal(false);
    set.add({ id: 'y', time: t('2024-05-01T10:00:00.2Z') });
    expect(set.has({ id: 'y', time: t('2024-05-01T10:00:00.2000000Z') })).to.equal(true);
  });

  it('holds one, two and three versions of an id alike: counted, found, pruned and dropped by time', () => {
    const set = new VersionSet();
    const at = (s: string) => t(`2024-05-01T10:00:0${s}Z`);
    set.add({ id: 'one', time: at('1') });
    for (const s of ['1', '2']) set.add({ id: 'two', time: at(s) });
    for (const s of ['1', '2', '3']) set.add({ id: 'three', time: at(s) });
    expect(set.size).to.equal(6);
    expect(set.add({ id: 'two', time: at('2') })).to.equal(false);
    expect(set.has({ id: 'three', time: at('3') })).to.equal(true);
    expect(set.has({ id: 'one', time: at('2') })).to.equal(false);
    const pruned = set.prunedTo(at('2'), at('3'));
    expect([...pruned].map(([id, times]) => [id, times.size])).to.deep.equal([
      ['two', 1],
      ['three', 1],
    ]);
    set.dropBefore(at('2'));
    expect(set.size).to.equal(3);
    expect(set.has({ id: 'one', time: at('1') })).to.equal(false);
    expect(set.has({ id: 'two', time: at('2') })).to.equal(true);
    expect(set.add({ id: 'one', time: at('1') }), 'forgotten, so new again').to.equal(true);
  });

  it('keeps every emitted version within the overlap so a tie at the boundary is not emitted twice', () => {
    const boundary = t('2024-05-01T10:00:00.5Z');
    const seen = new VersionSet();
    seen.add({ id: 'old', time: t('2024-05-01T09:00:00Z') });
    seen.add({ id: 'a', time: boundary });
    const c = completeWindow(initialCursor(t('2024-05-01T00:00:00Z')), seen, overlap, { maxTimeRead: boundary });
    expect(c.watermark).to.equal(boundary);
    expect([...c.seen.keys()]).to.deep.equal(['a']);
    const next = new VersionSet(c.seen);
    expect(next.has({ id: 'a', time: boundary })).to.equal(true);
    expect(next.has({ id: 'b', time: boundary })).to.equal(false); // a late tie is still new
  });

  it('advances to the end of a closed window even when it served nothing', () => {
    const c = completeWindow(initialCursor(t('2024-05-01T00:00:00Z')), new VersionSet(), overlap, {
      to: t('2024-05-02T00:00:00Z'),
    });
    expect(c.watermark).to.equal(t('2024-05-02T00:00:00Z'));
  });

  it('never moves the watermark back', () => {
    const c0 = completeWindow(initialCursor(t('2024-05-01T00:00:00Z')), new VersionSet(), overlap, {
      to: t('2024-05-02T00:00:00Z'),
    });
    const c1 = completeWindow(c0, new VersionSet(), overlap, { maxTimeRead: t('2024-05-01T23:58:00Z') });
    expect(c1.watermark).to.equal(t('2024-05-02T00:00:00Z'));
  });

  it('keeps the watermark after a partial window but remembers what was flushed', () => {
    const c0 = fromCheckpointDocument(
      { v: 1, watermark: '2024-05-01T10:00:00Z', seen: {}, saved_at: '', n_seen: 0 },
      'f',
    );
    const flushed = new VersionSet(c0.seen);
    flushed.add({ id: 'late', time: t('2024-05-01T12:00:00Z') });
    const c1 = partialWindow(c0, flushed, overlap);
    expect(c1.watermark).to.equal(c0.watermark);
    expect(c1.seen.get('late')?.has(t('2024-05-01T12:00:00Z'))).to.equal(true);
  });

  it('round-trips through the versioned checkpoint document at full precision', () => {
    const seen = new VersionSet();
    seen.add({ id: 'a', time: t('2024-05-01T10:00:00.1234567Z') });
    seen.add({ id: 'b', time: t('2024-05-01T10:00:00.1234567Z') });
    seen.add({ id: 'a', time: t('2024-05-01T10:01:00Z') });
    const c = completeWindow(initialCursor(t('2024-05-01T00:00:00Z')), seen, overlap, {
      maxTimeRead: t('2024-05-01T10:01:00Z'),
    });
    const doc = JSON.parse(JSON.stringify(toCheckpointDocument(c, '2024-05-01T10:02:00Z')));
    expect(doc.v).to.equal(2);
    expect(doc.watermark).to.equal('2024-05-01T10:01:00.0000000Z');
    expect(doc.seen).to.deep.equal({
      '2024-05-01T10:00:00.1234567Z': ['a', 'b'],
      '2024-05-01T10:01:00.0000000Z': ['a'],
    });
    const back = fromCheckpointDocument(doc, 'f');
    expect(back.watermark).to.equal(c.watermark);
    expect(new VersionSet(back.seen).size).to.equal(3);
  });

  for (const [label, doc] of [
    ['a non-object', '[]'],
    ['an unknown format version', { v: 9, watermark: '2024-05-01T10:00:00Z', seen: {} }],
    ['a missing watermark', { v: 1, seen: {} }],
    ['a bad seen entry', { v: 1, watermark: '2024-05-01T10:00:00Z', seen: { nope: ['a'] } }],
  ] as const) {
    it(`refuses ${label} with an error that says how to recover`, () => {
      expect(() => fromCheckpointDocument(doc, '/x/cp.json')).to.throw(CheckpointError, /\/x\/cp\.json.*move it aside/);
    });
  }
});
