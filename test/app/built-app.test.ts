/**
 * The app as build.mjs makes it (slim: the launcher finds this machine's node): it passes the packaging self-check,
 * and its launcher starts the bundle, which proves the bundle loads (a strict-mode bundle once threw at load).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAppDir, REPO_ROOT } from '../helpers/built-app.js';

describe('the built app', function () {
  this.timeout(120_000);

  it('passes npm run check', () => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'check-app.mjs'), builtAppDir()], {
      encoding: 'utf8',
    });
    expect(result.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).to.deep.equal([]);
    expect(result.status).to.equal(0);
  });

  it('answers --scheme through its launcher, from any working directory', () => {
    const result = spawnSync('/bin/sh', [join(builtAppDir(), 'bin', 'defender_alerts.sh'), '--scheme'], {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/^<scheme>[\s\S]*<\/scheme>\s*$/);
  });

  it('still loads its bundles as CommonJS under a folder whose package.json says "type": "module"', () => {
    // Node decides .js module types from the nearest package.json above; this repository's own dist/ is such a place.
    const parent = mkdtempSync(join(tmpdir(), 'esm-parent-'));
    writeFileSync(join(parent, 'package.json'), '{"type":"module"}\n');
    const appDir = join(parent, 'TA-microsoft-defender');
    cpSync(builtAppDir(), appDir, { recursive: true });
    const result = spawnSync('/bin/sh', [join(appDir, 'bin', 'defender_alerts.sh'), '--scheme'], {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    rmSync(parent, { recursive: true, force: true });
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/^<scheme>/);
  });
});
