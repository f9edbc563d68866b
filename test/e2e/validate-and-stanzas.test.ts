/**
 * Two promises of the BUILT input that only a real process shows: `--validate-arguments` through the launcher (what
 * Settings → Data inputs runs on Save), and one run with several stanzas where a failing stanza does not stop the
 * others.
 */
import { expect } from 'chai';
import { generateAlerts } from '../emulator/generator.js';
import { buildInputXml, buildValidationXml } from '../harness/input-xml.js';
import { runInput, runScript } from '../harness/splunkd-harness.js';
import { assertNoSecrets, newCheckpointDir, SECRET, SESSION_KEY, stanzaParams, startE2e, type E2e } from './context.js';

const WRONG_SECRET = 'Wr0ng~Secret-value.DoNotLog_0987654321';

describe('defender_alerts validation and multi-stanza runs (built app)', function () {
  this.timeout(120_000);
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e();
  });
  after(async () => e2e?.close());

  function validate(params: Record<string, string>) {
    const stdin = buildValidationXml({
      serverUri: e2e.splunkd.uri,
      sessionKey: SESSION_KEY,
      checkpointDir: newCheckpointDir(),
      item: { name: 'prod', params },
    });
    return runScript(e2e.appDir, 'defender_alerts', {
      args: ['--validate-arguments'],
      stdin,
      env: { NODE_EXTRA_CA_CERTS: e2e.emu.caFile },
    });
  }

  describe('--validate-arguments through the launcher', () => {
    it('accepts a stanza whose credentials Entra ID accepts: exit 0, nothing on stdout', async () => {
      const result = await validate(stanzaParams(e2e, 'graph'));
      expect(result.exitCode, result.stderrLines.join('\n')).to.equal(0);
      expect(result.stdout.toString()).to.equal('');
      expect(e2e.emu.requests.some((r) => r.service === 'login' && r.path.endsWith('/token'))).to.equal(true);
    });

    it('answers a refused secret with the admin sentence in <error>, never the secret', async () => {
      const result = await validate(stanzaParams(e2e, 'graph', { client_secret: WRONG_SECRET }));
      expect(result.exitCode).to.equal(1);
      const out = result.stdout.toString();
      expect(out).to.match(/^<error><message>.*client secret.*<\/message><\/error>$/s);
      for (const text of [out, result.stderrLines.join('\n')]) {
        expect(text).not.to.include(WRONG_SECRET);
        assertNoSecrets(text);
      }
    });

    it('lists every configuration problem in one message, naming each field, without calling Entra ID', async () => {
      const tokenCalls = () => e2e.emu.requests.filter((r) => r.service === 'login').length;
      const before = tokenCalls();
      const result = await validate(
        stanzaParams(e2e, 'graph', { tenant_id: 'not a tenant', api: 'graphs', overlap_seconds: '-5' }),
      );
      expect(result.exitCode).to.equal(1);
      const out = result.stdout.toString();
      for (const field of ['tenant_id', 'api ', 'overlap_seconds']) expect(out).to.include(field);
      expect(tokenCalls()).to.equal(before);
    });
  });

  it('runs every stanza of one run: a stanza that fails (refused secret, bad config) does not stop the others', async () => {
    e2e.emu.store.addAlerts(
      'graph',
      generateAlerts('graph', { count: 30, seed: 21, from: Date.now() - 3_600_000, to: Date.now() - 60_000 }),
    );
    const good = stanzaParams(e2e, 'graph');
    const stdin = buildInputXml({
      serverUri: e2e.splunkd.uri,
      sessionKey: SESSION_KEY,
      checkpointDir: newCheckpointDir(),
      stanzas: [
        { name: 'defender_alerts://refused', params: { ...good, client_secret: WRONG_SECRET } },
        { name: 'defender_alerts://broken', params: { ...good, region: 'mars' } },
        { name: 'defender_alerts://good', params: good },
      ],
    });
    const run = await runInput({
      appDir: e2e.appDir,
      stdin,
      env: { NODE_EXTRA_CA_CERTS: e2e.emu.caFile },
      timeoutMs: 60_000,
    });
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, 'a failed stanza makes the run fail').to.equal(1);
    expect(run.closed, '</stream> is written').to.equal(true);
    expect(run.events).to.have.length(30);
    expect(new Set(run.events.map((e) => e.stanza))).to.deep.equal(new Set(['defender_alerts://good']));
    const runEnds = run.stderrLines.filter((l) => l.includes('action=run_end'));
    expect(runEnds.find((l) => l.includes('input=defender_alerts://refused '))).to.match(
      /^ERROR .*status=error error=auth_bad_secret/,
    );
    expect(runEnds.find((l) => l.includes('input=defender_alerts://broken '))).to.match(
      /^ERROR region .*status=error error=config_invalid/,
    );
    expect(runEnds.find((l) => l.includes('input=defender_alerts://good '))).to.match(/^INFO .*status=ok n_events=30/);
    for (const secret of [WRONG_SECRET, SECRET]) expect(stderr).not.to.include(secret);
  });
});
