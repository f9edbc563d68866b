/**
 * defender_stream through the BUILT launcher against the test Event Hubs broker: the scheme, one event per record
 * with the contract's data, time, source and sourcetype, unknown categories kept, a non-record message written whole
 * with one WARN, the connection string moved to storage/passwords, SIGTERM (exit 0, </stream>, checkpoint = what was
 * flushed) and a second run that continues from the checkpoint.
 */
import { expect } from 'chai';
import { runScript } from '../harness/splunkd-harness.js';
import {
  HUB,
  SESSION_KEY,
  idsOf,
  newCheckpointDir,
  publishRecords,
  readCheckpointDocs,
  record,
  runStream,
  sasParams,
  startStreamE2e,
  type StreamE2e,
} from './stream-context.js';

describe('defender_stream end to end (built app, test Event Hubs broker)', function () {
  this.timeout(120_000);
  let e2e: StreamE2e;
  before(async () => {
    e2e = await startStreamE2e();
  });
  after(() => e2e?.close());

  it('prints its scheme with the contract arguments', async () => {
    const run = await runScript(e2e.appDir, 'defender_stream', { args: ['--scheme'], stdin: '' });
    expect(run.exitCode).to.equal(0);
    const xml = run.stdout.toString('utf8');
    for (const arg of [
      'event_hub_namespace',
      'event_hub_name',
      'consumer_group',
      'connection_string',
      'tenant_id',
      'client_id',
      'client_secret',
      'account',
      'region',
      'start_position',
      'categories',
      'endpoint_url',
      'login_url',
      'proxy_url',
      'replay_from',
    ])
      expect(xml).to.include(`<arg name="${arg}">`);
    expect(xml).to.include('<use_external_validation>true</use_external_validation>');
  });

  it('writes one event per record, unknown categories and non-record messages included, and stops cleanly on SIGTERM', async () => {
    const ids = publishRecords(e2e.broker, 'a', { partitions: ['0', '1', '2', '3'], messages: 3, perMessage: 5 });
    const unknown = record('u-1', 'AdvancedHunting-SomethingNew');
    e2e.broker.publish(HUB, '2', { records: [unknown, record('no-ts', 'AdvancedHunting-DeviceInfo', null)] });
    e2e.broker.publish(HUB, '1', 'plain text, not JSON');
    const bigInt =
      '{"records":[{"category":"AdvancedHunting-DeviceEvents","properties":{"ReportId":"big","Big":12345678901234567890123}}]}';
    e2e.broker.publish(HUB, '3', bigInt);
    const expected = ids.length + 2 + 1 + 1;
    const checkpointDir = newCheckpointDir();
    const run = await runStream(e2e, {
      name: 'basic',
      checkpointDir,
      params: sasParams(e2e),
      kill: { signal: 'SIGTERM', afterEvents: expected },
    });
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(0);
    expect(run.closed).to.equal(true);
    expect(run.events).to.have.length(expected);
    const seen = idsOf(run.events);
    for (const id of [...ids, 'u-1', 'no-ts', 'big'])
      expect(
        seen.filter((s) => s === id),
        id,
      ).to.have.length(1);
    const first = run.events.find((e) => e.data.includes('"a-0-0-0"'))!;
    expect(first.sourcetype).to.equal('ms:defender:eventhub');
    expect(first.source).to.equal('eventhub://localhost/defender/0');
    expect(first.time).to.equal('1796378400.1234567');
    expect(JSON.parse(first.data)).to.deep.equal(record('a-0-0-0'));
    // properties.Timestamp absent: the record's time.
    expect(run.events.find((e) => e.data.includes('"no-ts"'))!.time).to.equal('1796378405.0000000');
    // The record's exact text: an integer beyond 2^53 is not rounded.
    expect(run.events.find((e) => e.data.includes('"big"'))!.data).to.include('12345678901234567890123');
    const plain = run.events.find((e) => e.data === 'plain text, not JSON');
    expect(plain, 'the non-record message, whole').to.not.equal(undefined);
    expect(plain!.source).to.equal('eventhub://localhost/defender/1');
    expect(
      run.stderrLines.filter((l) => l.startsWith('WARN') && l.includes('action=non_record_message')),
    ).to.have.length(1);
    const runEnd = run.stderrLines.find((l) => l.includes('action=run_end'));
    expect(runEnd, stderr).to.match(/^INFO .*status=stopped/);
    expect(runEnd).to.include(`n_events=${expected}`);
    // The connection string went to storage/passwords and the stanza holds the mask; the key is never logged.
    expect(e2e.splunkd.inputUpdates.some((u) => u.params.connection_string === '<encrypted>')).to.equal(true);
    expect(stderr).to.not.include('broker-test-key');
    expect(stderr).to.not.include(SESSION_KEY);
    // The checkpoint covers exactly what was flushed: every partition at its last sequence number.
    const [doc] = readCheckpointDocs(checkpointDir) as [{ partitions: Record<string, { sequenceNumber: number }> }];
    expect(doc.partitions['0']!.sequenceNumber).to.equal(2);
    expect(doc.partitions['1']!.sequenceNumber).to.equal(3);
    expect(doc.partitions['2']!.sequenceNumber).to.equal(3);
    expect(doc.partitions['3']!.sequenceNumber).to.equal(3);

    // A second run reads only what was published since (the masked stanza reads its secret back from splunkd).
    const more = publishRecords(e2e.broker, 'b', { partitions: ['0', '3'], messages: 2, perMessage: 3 });
    const again = await runStream(e2e, {
      name: 'basic',
      checkpointDir,
      params: sasParams(e2e, { connection_string: '<encrypted>' }),
      kill: { signal: 'SIGTERM', afterEvents: more.length },
    });
    expect(again.exitCode, again.stderrLines.join('\n')).to.equal(0);
    expect(idsOf(again.events).sort()).to.deep.equal([...more].sort());
  });
});
