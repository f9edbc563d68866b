/**
 * The protocol runner in a real process behind the real launcher: a tiny entry (bundled here with esbuild, as
 * build.mjs does) with stand-in handlers, run through the splunkd harness. This is where Node's asynchronous stdout
 * pipe can lose a tail or a stray stderr line can break splunkd's conventions; the unit tests use in-memory streams.
 */
import { expect } from 'chai';
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/built-app.js';
import { buildInputXml, buildValidationXml } from './input-xml.js';
import { runInput, runScript } from './splunkd-harness.js';

const ENTRY = (src: string) => `
import { createLogger } from ${JSON.stringify(join(src, 'modinput', 'logger.ts'))};
import { runModularInput } from ${JSON.stringify(join(src, 'modinput', 'script.ts'))};
const log = createLogger(process.stderr, { level: 'INFO' });
const handlers = {
  scheme: () => ({ title: 'Stand-in', description: 'test', useExternalValidation: true, useSingleInstance: false, streamingMode: 'xml' as const, args: [] }),
  validate: async (def: any) => (def.item.params.tenant_id === 'bad' ? 'tenant_id: use a GUID or a verified domain name.' : undefined),
  stream: async (def: any, sink: any, log: any) => {
    let total = 0;
    for (const stanza of def.stanzas) {
      const count = Number(stanza.params.count ?? 0);
      for (let n = 0; n < count; n++) {
        const pending = sink.write({ stanza: stanza.name, time: '1714557600.000', sourcetype: 'test', data: JSON.stringify({ n, pad: 'x'.repeat(200) }) });
        if (pending) await pending;
      }
      total += count;
    }
    log.info('Run finished', { action: 'events_ingested', n_events: total, session: def.sessionKey });
    return 0;
  },
};
runModularInput(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, handlers, { log }).then((code) => {
  process.exitCode = code;
});
`;

const META = {
  serverUri: 'https://127.0.0.1:8089',
  sessionKey: 'Sess10nKey^secret',
  checkpointDir: '/opt/splunk/var/lib/splunk/modinputs/defender_alerts',
};
const input = (count: number, stanzas = 1) =>
  buildInputXml({
    ...META,
    stanzas: Array.from({ length: stanzas }, (_, i) => ({
      name: `defender_alerts://s${i}`,
      params: { count: String(count) },
    })),
  });

describe('modinput runner in a real process (launcher + bundle + harness)', function () {
  this.timeout(60_000);
  let appDir: string;
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'modinput-process-'));
    appDir = join(root, 'TA-microsoft-defender');
    mkdirSync(join(appDir, 'bin', 'lib'), { recursive: true });
    const entry = join(root, 'entry.ts');
    writeFileSync(entry, ENTRY(join(REPO_ROOT, 'src')));
    await build({
      entryPoints: [entry],
      outfile: join(appDir, 'bin', 'lib', 'defender_alerts.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'error',
      absWorkingDir: REPO_ROOT,
    });
    copyFileSync(join(REPO_ROOT, 'bin', 'defender_alerts.sh'), join(appDir, 'bin', 'defender_alerts.sh'));
    chmodSync(join(appDir, 'bin', 'defender_alerts.sh'), 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('delivers every event and the closing </stream> through the stdout pipe before exiting', async () => {
    const result = await runInput({ appDir, stdin: input(25_000, 2) });
    expect(result).to.deep.include({ exitCode: 0, signal: null, closed: true });
    expect(result.events).to.have.length(50_000);
    expect(result.events[49_999]).to.deep.include({ stanza: 'defender_alerts://s1', unbroken: true, done: true });
    expect(JSON.parse(result.events[49_999]!.data).n).to.equal(24_999);
    expect(result.stderrLines).to.deep.equal(['INFO Run finished action=events_ingested n_events=50000 session=***']);
  });

  it('leaves complete events and no </stream> when SIGKILLed mid-run', async () => {
    const result = await runInput({ appDir, stdin: input(1_000_000), kill: { signal: 'SIGKILL', afterEvents: 1000 } });
    expect(result.signal).to.equal('SIGKILL');
    expect(result.closed).to.equal(false);
    expect(result.events.length).to.be.at.least(1000).and.below(1_000_000);
    expect(result.events.every((event, n) => JSON.parse(event.data).n === n)).to.equal(true);
  });

  it('writes nothing and exits 0 for an empty configuration', async () => {
    const result = await runInput({ appDir, stdin: buildInputXml({ ...META, stanzas: [] }) });
    expect(result).to.deep.include({ exitCode: 0, closed: true, events: [] });
    expect(result.stdout.length).to.equal(0);
  });

  it('exits 1 with one ERROR line when stdin closes without any XML', async () => {
    const result = await runInput({ appDir, stdin: '' });
    expect(result.exitCode).to.equal(1);
    expect(result.stdout.length).to.equal(0);
    expect(result.stderrLines).to.have.length(1);
    expect(result.stderrLines[0]).to.match(
      /^ERROR Cannot read the input definition from splunkd: The input definition is empty: nothing arrived on stdin/,
    );
  });

  it('prints the scheme for --scheme', async () => {
    const result = await runScript(appDir, 'defender_alerts', { args: ['--scheme'], stdin: '' });
    expect(result.exitCode).to.equal(0);
    expect(result.stdout.toString()).to.match(/^<scheme>\n {2}<title>Stand-in<\/title>/);
  });

  it('answers --validate-arguments with silence or an error document', async () => {
    const request = (tenant: string) =>
      buildValidationXml({ ...META, item: { name: 'prod', params: { tenant_id: tenant } } });
    const ok = await runScript(appDir, 'defender_alerts', {
      args: ['--validate-arguments'],
      stdin: request('contoso.onmicrosoft.com'),
    });
    expect(ok).to.deep.include({ exitCode: 0, stderrLines: [] });
    expect(ok.stdout.length).to.equal(0);
    const bad = await runScript(appDir, 'defender_alerts', { args: ['--validate-arguments'], stdin: request('bad') });
    expect(bad.exitCode).to.equal(1);
    expect(bad.stdout.toString()).to.equal(
      '<error><message>tenant_id: use a GUID or a verified domain name.</message></error>',
    );
  });

  it('exits 2 on an unknown argument with one ERROR line', async () => {
    const result = await runScript(appDir, 'defender_alerts', { args: ['--execute'], stdin: '' });
    expect(result.exitCode).to.equal(2);
    expect(result.stderrLines).to.have.length(1);
    expect(result.stderrLines[0]).to.match(
      /^ERROR Unknown arguments: --execute; accepted: --scheme, --validate-arguments/,
    );
  });
});
