/**
 * The app as build.mjs makes it (slim: the launcher finds this machine's node): it passes the packaging self-check,
 * and its launcher starts the bundle, which proves the bundle loads (a strict-mode bundle once threw at load).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtAppDir, REPO_ROOT } from '../helpers/built-app.js';

describe('the built app', function () {
  this.timeout(120_000);

  it('passes npm run check', () => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'check-app.mjs'), builtAppDir()], { encoding: 'utf8' });
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
});
