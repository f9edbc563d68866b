/**
 * Exactly-once accounting of defender_stream across 30 SIGKILL rounds with publishing in between (built launcher,
 * test Event Hubs broker): every record published is written at least once; a record is written again only by the
 * run right after a killed one (the tail the killed run wrote after its last checkpoint save), never by a run that
 * follows a SIGTERM; no run writes a record twice.
 */
import { expect } from 'chai';
import {
  idsOf,
  newCheckpointDir,
  publishRecords,
  runStream,
  sasParams,
  startStreamE2e,
  type StreamE2e,
} from './stream-context.js';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('defender_stream under SIGKILL (built app, test Event Hubs broker)', function () {
  this.timeout(600_000);
  let e2e: StreamE2e;
  before(async () => {
    e2e = await startStreamE2e();
  });
  after(() => e2e?.close());

  it('loses nothing across 30 SIGKILL rounds, and repeats records only after a kill', async () => {
    const next = random(12);
    const checkpointDir = newCheckpointDir();
    const published: string[] = [];
    const writtenBy = new Map<string, number[]>();
    const runs: { killed: boolean; ids: string[] }[] = [];
    const record = (ids: string[], killed: boolean) => {
      const index = runs.length;
      runs.push({ killed, ids });
      for (const id of ids) writtenBy.set(id, [...(writtenBy.get(id) ?? []), index]);
    };

    for (let round = 0; round < 30; round++) {
      const fresh = publishRecords(e2e.broker, `k${round}`, {
        partitions: ['0', '1', '2', '3'].filter(() => next() < 0.8),
        messages: 1 + Math.floor(next() * 3),
        perMessage: 1 + Math.floor(next() * 40),
      });
      published.push(...fresh);
      // At least `fresh.length` unread records exist, so a kill after that many events always comes.
      const afterEvents = fresh.length === 0 ? 1 : 1 + Math.floor(next() * fresh.length);
      if (fresh.length === 0)
        published.push(...publishRecords(e2e.broker, `k${round}x`, { partitions: ['0'], messages: 1, perMessage: 1 }));
      const run = await runStream(e2e, {
        name: 'kills',
        checkpointDir,
        params: sasParams(e2e),
        kill: { signal: 'SIGKILL', afterEvents },
      });
      expect(run.signal, run.stderrLines.join('\n')).to.equal('SIGKILL');
      record(idsOf(run.events), true);
    }
    // Drain with SIGTERM until every published record was written.
    for (let drain = 0; drain < 5; drain++) {
      const unseen = published.filter((id) => !writtenBy.has(id));
      if (unseen.length === 0) break;
      const run = await runStream(e2e, {
        name: 'kills',
        checkpointDir,
        params: sasParams(e2e),
        kill: { signal: 'SIGTERM', afterEvents: unseen.length },
      });
      expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
      expect(run.closed).to.equal(true);
      record(idsOf(run.events), false);
    }
    // A run after a SIGTERM writes nothing old: publish a little, read it, and nothing else.
    const last = publishRecords(e2e.broker, 'final', { partitions: ['1', '2'], messages: 1, perMessage: 3 });
    published.push(...last);
    const final = await runStream(e2e, {
      name: 'kills',
      checkpointDir,
      params: sasParams(e2e),
      kill: { signal: 'SIGTERM', afterEvents: last.length },
    });
    expect(final.exitCode).to.equal(0);
    expect(idsOf(final.events).sort()).to.deep.equal([...last].sort());
    record(idsOf(final.events), false);

    // Every record published was written at least once.
    expect(published.filter((id) => !writtenBy.has(id))).to.deep.equal([]);
    // No run wrote a record twice; a record written again was written again by the run right after a killed run.
    let repeats = 0;
    for (const [id, indexes] of writtenBy) {
      expect(new Set(indexes).size, `${id} twice in one run`).to.equal(indexes.length);
      for (const index of indexes.slice(1)) {
        repeats++;
        expect(runs[index - 1]!.killed, `${id} repeated by run ${index}, which did not follow a kill`).to.equal(true);
      }
    }
    // The kills did cut runs short (the test exercised something).
    expect(runs.filter((r) => r.killed).length).to.equal(30);
    console.log(`      ${published.length} records, ${runs.length} runs, ${repeats} repeats after kills`);
  });
});
