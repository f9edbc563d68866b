/**
 * defender_stream's options through the BUILT launcher and the test broker: --validate-arguments (the namespace
 * answers, the credentials are accepted, each refusal names the field and the fix), categories, replay_from and
 * start_position by time.
 */
import { expect } from 'chai';
import { buildValidationXml } from '../harness/input-xml.js';
import { runScript } from '../harness/splunkd-harness.js';
import {
  HUB,
  SESSION_KEY,
  idsOf,
  newCheckpointDir,
  publishRecords,
  record,
  runStream,
  sasParams,
  startStreamE2e,
  type StreamE2e,
} from './stream-context.js';

describe('defender_stream options (built app, test Event Hubs broker)', function () {
  this.timeout(120_000);
  let e2e: StreamE2e;
  before(async () => {
    e2e = await startStreamE2e();
  });
  after(() => e2e?.close());

  function validate(params: Record<string, string>) {
    return runScript(e2e.appDir, 'defender_stream', {
      args: ['--validate-arguments'],
      stdin: buildValidationXml({
        serverUri: e2e.splunkd.uri,
        sessionKey: SESSION_KEY,
        checkpointDir: newCheckpointDir(),
        item: { name: 'check', params },
      }),
      timeoutMs: 30_000,
    });
  }

  it('--validate-arguments accepts working settings and names the field and the fix for refused ones', async () => {
    const ok = await validate(sasParams(e2e));
    expect(ok.exitCode, ok.stdout.toString()).to.equal(0);
    expect(ok.stdout.toString()).to.equal('');

    const wrongKey = e2e.broker.connectionString(HUB, { keyName: 'ListenRule', key: 'not-the-key' });
    const refused = await validate(sasParams(e2e, { connection_string: wrongKey }));
    expect(refused.exitCode).to.equal(1);
    expect(refused.stdout.toString()).to.match(
      /^<error><message>The Event Hubs namespace localhost refused the credentials .*check connection_string/,
    );
    expect(refused.stdout.toString()).to.not.include('not-the-key');

    const noHub = await validate(
      sasParams(e2e, { event_hub_name: 'nohub', connection_string: e2e.broker.connectionString('nohub') }),
    );
    expect(noHub.exitCode).to.equal(1);
    expect(noHub.stdout.toString()).to.include('event_hub_name');

    const down = await validate(
      sasParams(e2e, { connection_string: e2e.broker.connectionString(HUB).replace(/localhost:\d+/, 'localhost:1') }),
    );
    expect(down.exitCode).to.equal(1);
    expect(down.stdout.toString()).to.include('event_hub_namespace');

    const shape = await validate({ event_hub_name: HUB, connection_string: 'nonsense' });
    expect(shape.exitCode).to.equal(1);
    expect(shape.stdout.toString())
      .to.include('event_hub_namespace is required')
      .and.include('connection_string is not');
  });

  it('keeps only the listed categories, but never drops a record without one or a non-record message', async () => {
    const checkpointDir = newCheckpointDir();
    const hub = HUB;
    e2e.broker.publish(hub, '0', {
      records: [
        record('keep-1', 'AdvancedHunting-AlertInfo'),
        record('drop-1', 'AdvancedHunting-DeviceProcessEvents'),
        { properties: { ReportId: 'no-category' } },
        record('keep-2', 'advancedhunting-alertinfo'),
      ],
    });
    e2e.broker.publish(hub, '1', '{"not":"records"}');
    const run = await runStream(e2e, {
      name: 'filtered',
      checkpointDir,
      params: sasParams(e2e, { categories: 'AdvancedHunting-AlertInfo' }),
      kill: { signal: 'SIGTERM', afterEvents: 4 },
    });
    expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
    expect(idsOf(run.events).sort()).to.deep.equal(['(no id: {"not":"records"})', 'keep-1', 'keep-2', 'no-category']);
    expect(run.stderrLines.find((l) => l.includes('action=run_end'))).to.include('n_filtered=1');
  });

  it('replay_from rewinds once per value; start_position by time skips what came before it', async () => {
    const e2eLocal = await startStreamE2e({ hubs: [{ name: HUB, partitionCount: 2 }] });
    try {
      const old = Date.now() - 3 * 3_600_000;
      for (let i = 0; i < 4; i++)
        e2eLocal.broker.publish(HUB, String(i % 2), { records: [record(`old-${i}`)] }, { enqueuedTime: old + i });
      const recent = publishRecords(e2eLocal.broker, 'recent', { partitions: ['0', '1'], messages: 1, perMessage: 2 });
      const checkpointDir = newCheckpointDir();
      const first = await runStream(e2eLocal, {
        name: 'timed',
        checkpointDir,
        params: sasParams(e2eLocal, { start_position: '-1h' }),
        kill: { signal: 'SIGTERM', afterEvents: recent.length },
      });
      expect(idsOf(first.events).sort()).to.deep.equal([...recent].sort());
      const replay = await runStream(e2eLocal, {
        name: 'timed',
        checkpointDir,
        params: sasParams(e2eLocal, { start_position: '-1h', replay_from: '-4h', connection_string: '<encrypted>' }),
        kill: { signal: 'SIGTERM', afterEvents: recent.length + 4 },
      });
      expect(replay.exitCode, replay.stderrLines.join('\n')).to.equal(0);
      expect(idsOf(replay.events).sort()).to.deep.equal([...recent, 'old-0', 'old-1', 'old-2', 'old-3'].sort());
      // The same value again replays nothing.
      const more = publishRecords(e2eLocal.broker, 'after', { partitions: ['1'], messages: 1, perMessage: 1 });
      const same = await runStream(e2eLocal, {
        name: 'timed',
        checkpointDir,
        params: sasParams(e2eLocal, { start_position: '-1h', replay_from: '-4h', connection_string: '<encrypted>' }),
        kill: { signal: 'SIGTERM', afterEvents: 1 },
      });
      expect(idsOf(same.events)).to.deep.equal(more);
    } finally {
      await e2eLocal.close();
    }
  });
});
