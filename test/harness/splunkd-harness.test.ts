/**
 * The harness and the launcher, tested with a tiny fake app: bin/defender_alerts.sh copied from the repo and a
 * hand-written bin/lib/defender_alerts.cjs whose behaviour the stanza's `mode` param selects. No dependency on the
 * real entry point.
 */
import { expect } from 'chai';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/built-app.js';
import { buildInputXml } from './input-xml.js';
import { HOSTILE_DOTENV, runInput, runScript } from './splunkd-harness.js';

const FAKE_BUNDLE = String.raw`'use strict';
const fs = require('fs');
const args = process.argv.slice(2);
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ev = (data) => '<event stanza="defender_alerts://fake" unbroken="1"><time>1714557600.000</time><data>' + esc(data) + '</data><done/></event>';
if (args[0] === '--scheme') {
  process.stdout.write('<scheme><title>fake</title></scheme>\n');
} else {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { input += chunk; });
  process.stdin.on('end', () => {
    const mode = (/<param name="mode">([^<]*)<\/param>/.exec(input) || [])[1] || 'echo';
    if (mode === 'echo') {
      const info = { argv: args, cwd: process.cwd(), dotenvPresent: fs.existsSync('.env'), env: process.env, stdinBytes: Buffer.byteLength(input) };
      process.stdout.write('<stream>' + ev(JSON.stringify(info)) + '</stream>');
      process.stderr.write('INFO fake run finished events=1\n');
    } else if (mode === 'endless') {
      let n = 0;
      process.stdout.write('<stream>');
      const timer = setInterval(() => process.stdout.write(ev('{"n":' + n++ + '}')), 2);
      process.once('SIGTERM', () => {
        clearInterval(timer);
        process.stdout.write('</stream>');
        process.stderr.write('INFO stop requested signal=SIGTERM\n');
      });
    } else if (mode === 'no-level') {
      process.stderr.write('something went wrong\n');
    } else if (mode === 'bad-xml') {
      process.stdout.write('<stream>' + ev('a') + '<event stanza="x"><data>\u0001</data></event></stream>');
    } else if (mode === 'hang') {
      setInterval(() => {}, 1000);
    }
  });
}
`;

/** A fresh fake app folder under `parent` (created), with the repo's launcher and the fake bundle. */
function makeFakeApp(parent = mkdtempSync(join(tmpdir(), 'fake-app-'))): string {
  const appDir = join(parent, 'TA-microsoft-defender');
  mkdirSync(join(appDir, 'bin', 'lib'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'bin', 'defender_alerts.sh'), join(appDir, 'bin', 'defender_alerts.sh'));
  chmodSync(join(appDir, 'bin', 'defender_alerts.sh'), 0o755);
  writeFileSync(join(appDir, 'bin', 'lib', 'defender_alerts.cjs'), FAKE_BUNDLE);
  return appDir;
}

const inputXml = (mode: string) =>
  buildInputXml({
    serverUri: 'https://127.0.0.1:8089',
    sessionKey: 'session-key-1',
    checkpointDir: '/opt/splunk/var/lib/splunk/modinputs/defender_alerts',
    stanzas: [{ name: 'defender_alerts://fake', params: { mode } }],
  });

interface EchoInfo {
  argv: string[];
  cwd: string;
  dotenvPresent: boolean;
  env: Record<string, string>;
  stdinBytes: number;
}

describe('test harness: splunkd-harness with a fake app', function () {
  this.timeout(30_000);
  let appDir: string;
  before(() => {
    appDir = makeFakeApp();
  });
  after(() => rmSync(join(appDir, '..'), { recursive: true, force: true }));

  it('runs the launcher with the input XML on stdin and reads the events strictly', async () => {
    const stdin = inputXml('echo');
    const result = await runInput({ appDir, stdin });
    expect(result).to.deep.include({ exitCode: 0, signal: null, closed: true });
    expect(result.events).to.have.length(1);
    expect(result.events[0]).to.deep.include({
      stanza: 'defender_alerts://fake',
      unbroken: true,
      done: true,
      time: '1714557600.000',
    });
    expect(result.stderrLines).to.deep.equal(['INFO fake run finished events=1']);
    const info = JSON.parse(result.events[0]!.data) as EchoInfo;
    expect(info.stdinBytes).to.equal(Buffer.byteLength(stdin));
    expect(result.durationMs).to.be.a('number');
    expect(existsSync(result.dirs.root), 'temporary folders removed').to.equal(false);
  });

  it('gives the script a clean minimal environment and a foreign working directory holding a hostile .env', async () => {
    const result = await runInput({
      appDir,
      stdin: inputXml('echo'),
      env: { LD_LIBRARY_PATH: '/opt/splunk/lib' },
      keepDirs: true,
    });
    const info = JSON.parse(result.events[0]!.data) as EchoInfo;
    expect(readFileSync(join(result.dirs.cwd, '.env'), 'utf8')).to.equal(HOSTILE_DOTENV);
    rmSync(result.dirs.root, { recursive: true, force: true });
    expect(info.cwd).to.equal(result.dirs.cwd);
    expect(info.dotenvPresent).to.equal(true);
    expect(info.env.SPLUNK_HOME).to.equal(result.dirs.splunkHome);
    expect(info.env.HOME).to.equal(result.dirs.home);
    expect(info.env).to.not.have.any.keys(
      'NODE_OPTIONS',
      'HTTPS_PROXY',
      'HTTP_PROXY',
      'MOCHA_COLORS',
      'npm_lifecycle_event',
    );
    // The launcher drops splunkd's LD_LIBRARY_PATH before it runs a node that is not Splunk's.
    expect(info.env).to.not.have.property('LD_LIBRARY_PATH');
  });

  it('kills after N complete events with SIGKILL: the stream is not closed and the complete events count', async () => {
    const result = await runInput({ appDir, stdin: inputXml('endless'), kill: { signal: 'SIGKILL', afterEvents: 3 } });
    expect(result.signal).to.equal('SIGKILL');
    expect(result.exitCode).to.equal(null);
    expect(result.closed).to.equal(false);
    expect(result.events.length).to.be.at.least(3);
    expect(result.events.map((e) => e.data).slice(0, 3)).to.deep.equal(['{"n":0}', '{"n":1}', '{"n":2}']);
  });

  it('delivers SIGTERM to node itself (the launcher execs), so the script can close its stream', async () => {
    const result = await runInput({ appDir, stdin: inputXml('endless'), kill: { signal: 'SIGTERM', afterEvents: 5 } });
    expect(result).to.deep.include({ exitCode: 0, signal: null, closed: true });
    expect(result.events.length).to.be.at.least(5);
    expect(result.stderrLines).to.deep.equal(['INFO stop requested signal=SIGTERM']);
    if (process.platform === 'linux') expect(result.peakRssKb).to.be.greaterThan(1000);
  });

  it('can stop a run after a delay', async () => {
    const result = await runInput({ appDir, stdin: inputXml('hang'), kill: { signal: 'SIGKILL', afterMs: 300 } });
    expect(result).to.deep.include({ signal: 'SIGKILL', closed: true, events: [] });
  });

  it('rejects a stderr line without a level word, as splunkd would log it at ERROR', async () => {
    const error = await runInput({ appDir, stdin: inputXml('no-level') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/stderr line without a level word.*"something went wrong"/);
  });

  it('rejects output that is not a valid event stream, with its position', async () => {
    const error = await runInput({ appDir, stdin: inputXml('bad-xml') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/^Event stream, 1:\d+: disallowed character/);
  });

  it('rejects a run that outlives its time limit', async () => {
    const error = await runInput({ appDir, stdin: inputXml('hang'), timeoutMs: 500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/did not exit within 500 ms/);
  });
});

describe('launcher bin/defender_alerts.sh', function () {
  this.timeout(30_000);
  let appDir: string;
  before(() => {
    appDir = makeFakeApp();
  });
  after(() => rmSync(join(appDir, '..'), { recursive: true, force: true }));

  it('passes "$@" through intact: --scheme reaches the bundle', async () => {
    const result = await runScript(appDir, 'defender_alerts', { args: ['--scheme'], stdin: '' });
    expect(result.exitCode).to.equal(0);
    expect(result.stdout.toString()).to.equal('<scheme><title>fake</title></scheme>\n');
  });

  it('keeps arguments with spaces as single arguments', async () => {
    const result = await runInput({ appDir, args: ['two words', ''], stdin: inputXml('echo') });
    expect((JSON.parse(result.events[0]!.data) as EchoInfo).argv).to.deep.equal(['two words', '']);
  });

  it('works from an app path that contains spaces', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'fake app '));
    const result = await runInput({
      appDir: makeFakeApp(join(parent, 'Program Files', 'Splunk apps')),
      stdin: inputXml('echo'),
    });
    rmSync(parent, { recursive: true, force: true });
    expect(result.exitCode).to.equal(0);
    expect(result.events).to.have.length(1);
  });

  it('exits 1 with one ERROR line when no node is found', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'empty-path-'));
    const result = await runScript(appDir, 'defender_alerts', { stdin: inputXml('echo'), env: { PATH: emptyDir } });
    expect(result.exitCode).to.equal(1);
    expect(result.stdout.length).to.equal(0);
    expect(result.stderrLines).to.have.length(1);
    expect(result.stderrLines[0]).to.match(
      /^ERROR message="No suitable Node\.js runtime found; install Node >= 20 or the bundled runtime"/,
    );
  });

  it('refuses a node on PATH that is too old', async () => {
    const oldNodeDir = mkdtempSync(join(tmpdir(), 'old-node-'));
    // Stands in for Splunk 8's node 8.17, which answers the launcher's version probe; it must never run the bundle.
    writeFileSync(
      join(oldNodeDir, 'node'),
      '#!/bin/sh\n[ "$1" = --version ] && { echo v8.17.0; exit 0; }\necho ran-the-bundle; exit 0\n',
      { mode: 0o755 },
    );
    const result = await runScript(appDir, 'defender_alerts', { stdin: inputXml('echo'), env: { PATH: oldNodeDir } });
    expect(result.exitCode).to.equal(1);
    expect(result.stdout.toString()).to.equal('');
    expect(result.stderrLines[0]).to.match(/^ERROR message="No suitable Node\.js runtime found/);
  });

  it('falls back to $SPLUNK_HOME/bin/node when PATH has none', async () => {
    const splunkHome = mkdtempSync(join(tmpdir(), 'splunk-home-'));
    mkdirSync(join(splunkHome, 'bin'));
    symlinkSync(process.execPath, join(splunkHome, 'bin', 'node'));
    const emptyDir = mkdtempSync(join(tmpdir(), 'empty-path-'));
    const result = await runInput({
      appDir,
      stdin: inputXml('echo'),
      env: { PATH: emptyDir, SPLUNK_HOME: splunkHome },
    });
    expect(result.exitCode).to.equal(0);
    expect(result.events).to.have.length(1);
  });
});
