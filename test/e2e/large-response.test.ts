/**
 * A 50 MB SIEM response (the exporter has no paging: one window is one JSON array): the built input streams it, so
 * every detection comes through once and the process never holds the body.
 */
import { expect } from 'chai';
import type { RequestRecord } from '../emulator/emulator.js';
import { generateAlerts } from '../emulator/generator.js';
import {
  assertNoSecrets,
  emittedVersions,
  newCheckpointDir,
  runStanza,
  servedVersions,
  startE2e,
  type E2e,
} from './context.js';

describe('a 50 MB SIEM response (built app, emulator)', function () {
  this.timeout(120_000);
  let e2e: E2e;
  const bodies: { path: string; bytes: number }[] = [];
  before(async () => {
    const tapBody = (record: RequestRecord) => {
      if (record.service !== 'siem') return undefined;
      const body = { path: record.path, bytes: 0 };
      bodies.push(body);
      return (chunk: Buffer) => {
        body.bytes += chunk.length;
      };
    };
    e2e = await startE2e({ tapBody });
  });
  after(async () => e2e?.close());

  it('streams it: every detection once, one request, and a peak RSS far below what holding the body would take', async () => {
    const now = Date.now();
    const count = 20_000;
    e2e.emu.store.addAlerts(
      'siem',
      generateAlerts('siem', {
        count,
        seed: 50,
        from: now - 50 * 60_000,
        to: now - 1_000,
        approxBytes: 2_700,
        hostileEvery: 97,
      }),
    );
    const run = await runStanza(e2e, {
      name: 'siem_50mb',
      api: 'siem',
      checkpointDir: newCheckpointDir(),
      params: { start_time: '-1h' },
    });
    expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
    const listBodies = bodies.filter((b) => /\/alerts$/i.test(b.path));
    expect(listBodies, 'one window, one request: the exporter has no paging').to.have.length(1);
    expect(listBodies[0]!.bytes).to.be.greaterThan(50 * 1024 * 1024);
    const emitted = emittedVersions('siem', run.events);
    expect(emitted).to.have.length(count);
    expect(new Set(emitted)).to.deep.equal(servedVersions(e2e, 'siem'));
    // Holding the body would take its 50 MB twice over (bytes, then text) before any parsing; streaming stays at
    // the process's usual ~100 MB.
    process.stderr.write(
      `      body ${listBodies[0]!.bytes} bytes, peak RSS ${Math.round((run.peakRssKb ?? 0) / 1024)} MB\n`,
    );
    expect(run.peakRssKb, 'peak RSS (kB)')
      .to.be.a('number')
      .and.below(200 * 1024);
    assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
  });
});
