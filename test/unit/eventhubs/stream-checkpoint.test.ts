import { expect } from 'chai';
import {
  applyReplay,
  initialCheckpoint,
  readPosition,
  readStreamCheckpoint,
  withFlushed,
  type PartitionEnd,
} from '../../../src/eventhubs/stream-checkpoint.js';
import { CheckpointError } from '../../../src/errors.js';

const SOURCE = 'contoso.servicebus.windows.net/defender/$Default';
const NOW = Date.UTC(2026, 11, 4, 12);
const resolve = (time: { kind: 'relative'; seconds: number } | { kind: 'absolute'; time: bigint }, now: number) =>
  time.kind === 'relative' ? now - time.seconds * 1000 : Number(time.time / 10_000n);

function ends(entries: Record<string, Partial<PartitionEnd>>): Map<string, PartitionEnd> {
  return new Map(
    Object.entries(entries).map(([id, e]) => [
      id,
      { lastSequenceNumber: -1, lastOffset: '-1', lastEnqueuedTimeMs: 0, isEmpty: true, ...e },
    ]),
  );
}

describe('eventhubs/stream-checkpoint: positions, merges, replay', () => {
  it('earliest: no entries, every partition from its beginning', () => {
    const doc = initialCheckpoint(SOURCE, ends({ '0': {}, '1': {} }), { kind: 'earliest' }, NOW, resolve);
    expect(doc.partitions).to.deep.equal({});
    expect(readPosition(doc, '0')).to.deep.equal({ kind: 'earliest' });
  });

  it('latest: after the current last event of each partition; an empty one from its beginning', () => {
    const doc = initialCheckpoint(
      SOURCE,
      ends({ '0': { lastSequenceNumber: 41, lastOffset: '9000', lastEnqueuedTimeMs: 5, isEmpty: false }, '1': {} }),
      { kind: 'latest' },
      NOW,
      resolve,
    );
    expect(readPosition(doc, '0')).to.deep.equal({ kind: 'afterSequence', sequenceNumber: 41 });
    expect(readPosition(doc, '1')).to.deep.equal({ kind: 'earliest' });
    // A partition the hub adds later is not named: from its beginning, never at "latest".
    expect(readPosition(doc, '7')).to.deep.equal({ kind: 'earliest' });
  });

  it('a time: the enqueued time, resolved once at the first run', () => {
    const doc = initialCheckpoint(
      SOURCE,
      ends({ '0': {} }),
      { kind: 'time', time: { kind: 'relative', seconds: 86_400 } },
      NOW,
      resolve,
    );
    expect(readPosition(doc, '0')).to.deep.equal({ kind: 'enqueuedOn', timeMs: NOW - 86_400_000 });
  });

  it('a flush moves one partition and leaves the others alone', () => {
    const doc = initialCheckpoint(SOURCE, ends({ '0': {}, '1': {} }), { kind: 'earliest' }, NOW, resolve);
    const a = withFlushed(doc, '0', { sequenceNumber: 3, offset: '300', enqueuedTimeMs: 10 });
    const b = withFlushed(a, '1', { sequenceNumber: 9, offset: '900', enqueuedTimeMs: 11 });
    expect(readPosition(b, '0')).to.deep.equal({ kind: 'afterSequence', sequenceNumber: 3 });
    expect(readPosition(b, '1')).to.deep.equal({ kind: 'afterSequence', sequenceNumber: 9 });
    expect(readPosition(doc, '0')).to.deep.equal({ kind: 'earliest' });
  });

  it('replay rewinds partitions ahead of it, never forward, once per value', () => {
    let doc = initialCheckpoint(SOURCE, ends({}), { kind: 'earliest' }, NOW, resolve);
    doc = withFlushed(doc, '0', { sequenceNumber: 3, offset: '300', enqueuedTimeMs: 1000 });
    doc = withFlushed(doc, '1', { sequenceNumber: 9, offset: '900', enqueuedTimeMs: 5000 });
    const replayed = applyReplay(doc, { text: '-1h', timeMs: 2000 }, ['0', '1', '2']);
    expect(readPosition(replayed, '0')).to.deep.equal({ kind: 'afterSequence', sequenceNumber: 3 });
    expect(readPosition(replayed, '1')).to.deep.equal({ kind: 'enqueuedOn', timeMs: 2000 });
    expect(readPosition(replayed, '2')).to.deep.equal({ kind: 'earliest' });
    expect(replayed.replayApplied).to.equal('-1h');
    expect(applyReplay(replayed, { text: '-1h', timeMs: 9000 }, ['0'])).to.equal(replayed);
    expect(applyReplay(replayed, undefined, ['0'])).to.equal(replayed);
  });

  it('reads back what it wrote; another hub is no checkpoint; a broken document is an error, never a reset', () => {
    const doc = withFlushed(initialCheckpoint(SOURCE, ends({}), { kind: 'earliest' }, NOW, resolve), '0', {
      sequenceNumber: 1,
      offset: '1',
      enqueuedTimeMs: 1,
    });
    expect(readStreamCheckpoint(JSON.parse(JSON.stringify(doc)), SOURCE, 'k')).to.deep.equal(doc);
    expect(readStreamCheckpoint(doc, 'other/hub/$Default', 'k')).to.equal(undefined);
    expect(readStreamCheckpoint(undefined, SOURCE, 'k')).to.equal(undefined);
    expect(() => readStreamCheckpoint({ version: 9 }, SOURCE, 'k')).to.throw(CheckpointError);
    expect(() =>
      readStreamCheckpoint({ version: 1, source: SOURCE, partitions: { '0': { sequenceNumber: 'x' } } }, SOURCE, 'k'),
    ).to.throw(CheckpointError);
  });
});
