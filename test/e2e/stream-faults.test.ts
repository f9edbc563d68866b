/**
 * defender_stream under hub changes and outages (built launcher, test Event Hubs broker): a partition added while it
 * runs is read from its beginning; a broker restart with publishing while it is down loses and repeats nothing,
 * logs one ERROR for the outage and one INFO when the hub answers again; the per-partition status lines.
 */
import { expect } from 'chai';
import {
  HUB,
  idsOf,
  newCheckpointDir,
  publishRecords,
  runStream,
  sasParams,
  startStreamE2e,
  type StreamE2e,
} from './stream-context.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('defender_stream: partitions added, broker restarts, status lines (built app, test broker)', function () {
  this.timeout(180_000);
  let e2e: StreamE2e;
  beforeEach(async () => {
    e2e = await startStreamE2e();
  });
  afterEach(() => e2e?.close());

  it('reads a partition added mid-run from its beginning, and keeps the other partitions where they were', async () => {
    const before = publishRecords(e2e.broker, 'p', { partitions: ['0', '1', '2', '3'], messages: 2, perMessage: 4 });
    const checkpointDir = newCheckpointDir();
    let added: string[] = [];
    const adding = (async () => {
      await sleep(2500);
      const id = e2e.broker.faults.addPartition(HUB);
      added = publishRecords(e2e.broker, 'new', { partitions: [id], messages: 3, perMessage: 5 });
    })();
    const run = await runStream(e2e, {
      name: 'grow',
      checkpointDir,
      // latest would skip what is in the hub; a partition that appears later must still be read from its beginning.
      params: sasParams(e2e, { start_position: 'latest' }),
      kill: { signal: 'SIGTERM', afterEvents: 15 },
    });
    await adding;
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(0);
    expect(before.length).to.equal(32);
    // start_position=latest: nothing of what was in the hub at the first start; all of the new partition.
    expect(idsOf(run.events).sort()).to.deep.equal([...added].sort());
    expect(stderr).to.match(/action=partition_added .*partition=4/);
  });

  it('survives a broker restart with events published while it is down: nothing lost or repeated, one ERROR, then INFO', async () => {
    const first = publishRecords(e2e.broker, 'r1', { partitions: ['0', '1', '2', '3'], messages: 2, perMessage: 5 });
    const checkpointDir = newCheckpointDir();
    let during: string[] = [];
    const outage = (async () => {
      await sleep(3000);
      await e2e.broker.stop();
      during = publishRecords(e2e.broker, 'r2', { partitions: ['0', '1', '2', '3'], messages: 1, perMessage: 5 });
      await sleep(12_000);
      await e2e.broker.start();
    })();
    const run = await runStream(e2e, {
      name: 'restart',
      checkpointDir,
      params: sasParams(e2e),
      // Long enough for one round of status lines (every 30 s).
      kill: { signal: 'SIGTERM', afterMs: 34_000 },
      timeoutMs: 60_000,
    });
    await outage;
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(0);
    const ids = idsOf(run.events);
    expect(ids.sort()).to.deep.equal([...first, ...during].sort());
    const errors = run.stderrLines.filter((l) => l.startsWith('ERROR'));
    expect(errors, stderr).to.have.length(1);
    expect(errors[0]).to.match(/action=stream_error .*error=stream_/);
    expect(
      run.stderrLines.filter((l) => l.includes('action=stream_recovered')),
      stderr,
    ).to.have.length(1);
    // Status lines: every partition, caught up.
    const status = run.stderrLines.filter((l) => l.includes('action=partition_status'));
    for (const partition of ['0', '1', '2', '3']) {
      const line = status.find((l) => l.includes(` partition=${partition} `));
      expect(line, stderr).to.match(/^INFO /);
      expect(line).to.include('namespace=localhost').and.include(`hub=${HUB}`).and.include('lag_events=0');
      expect(line).to.match(/checkpoint_sequence=2 last_enqueued_sequence=2 /);
      expect(line).to.match(/n_records=15$/);
    }
  });
});
