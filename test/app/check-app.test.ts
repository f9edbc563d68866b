/**
 * scripts/check-app.mjs, run as `npm run check` runs it: on an app folder assembled from the repo's own app files
 * (the good case), then on one bad copy per rule, asserting that rule's line fires and the exit code is 1.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP = 'TA-microsoft-defender';

/** Lays the app out as build.mjs does, without esbuild: a stand-in bundle, the repo's conf, spec and skeleton files. */
function assembleApp(): string {
  const appDir = join(mkdtempSync(join(tmpdir(), 'ta-check-app-test-')), APP);
  mkdirSync(join(appDir, 'bin', 'lib'), { recursive: true });
  cpSync(join(repoRoot, 'default'), join(appDir, 'default'), { recursive: true });
  cpSync(join(repoRoot, 'README'), join(appDir, 'README'), { recursive: true });
  for (const entry of readdirSync(join(repoRoot, 'app'))) {
    cpSync(
      join(repoRoot, 'app', entry),
      entry === 'static' ? join(appDir, 'appserver', 'static') : join(appDir, entry),
      { recursive: true },
    );
  }
  cpSync(join(repoRoot, 'bin', 'defender_alerts.sh'), join(appDir, 'bin', 'defender_alerts.sh'));
  // build.mjs gives every other entry the same launcher under its own name.
  cpSync(join(repoRoot, 'bin', 'defender_alerts.sh'), join(appDir, 'bin', 'defender_stream.sh'));
  writeFileSync(
    join(appDir, 'bin', 'lib', 'defender_alerts.cjs'),
    '"use strict";module.exports=function(){return 1};\n',
  );
  // The scheme must be declared for the launcher rule to have something to check, whatever the spec's state in the
  // repo.
  if (!existsSync(join(appDir, 'README', 'inputs.conf.spec'))) {
    writeFileSync(
      join(appDir, 'README', 'inputs.conf.spec'),
      '[defender_alerts://<name>]\ntenant_id = <string>\n* Entra ID tenant.\n',
    );
  }
  normaliseModes(appDir);
  return appDir;
}

function normaliseModes(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      chmodSync(path, 0o755);
      normaliseModes(path);
    } else chmodSync(path, /\/bin\/[^/]+\.(sh|cmd)$/.test(path) ? 0o755 : 0o644);
  }
}

function runCheck(target: string): { status: number | null; lines: string[] } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'check-app.mjs'), target], {
    encoding: 'utf8',
  });
  return { status: result.status, lines: result.stdout.split('\n').filter(Boolean) };
}

function failLines(target: string): string[] {
  const { status, lines } = runCheck(target);
  const fails = lines.filter((l) => l.startsWith('FAIL '));
  expect(status, `exit status; output:\n${lines.join('\n')}`).to.equal(fails.length > 0 ? 1 : 0);
  return fails;
}

function setConfKey(file: string, stanza: string, key: string, value: string): void {
  const text = readFileSync(file, 'utf8');
  const re = new RegExp(`(\\[${stanza.replace(/[[\]]/g, '\\$&')}\\][^[]*?)^${key.replace(/\./g, '\\.')}\\s*=.*$`, 'm');
  expect(re.test(text), `${key} in [${stanza}]`).to.equal(true);
  writeFileSync(file, text.replace(re, `$1${key} = ${value}`));
}

describe('npm run check (scripts/check-app.mjs)', function () {
  this.timeout(60_000);
  let good: string;
  let bad: string;
  before(() => {
    good = assembleApp();
  });
  beforeEach(() => {
    bad = assembleApp();
  });
  afterEach(() => rmSync(dirname(bad), { recursive: true, force: true }));
  after(() => rmSync(dirname(good), { recursive: true, force: true }));

  it('passes the app assembled from the repo, as a folder and as a .tgz', () => {
    expect(failLines(good)).to.deep.equal([]);
    const tgz = join(dirname(good), `${APP}-test.tgz`);
    execFileSync('tar', ['-czf', tgz, '-C', dirname(good), APP]);
    const { status, lines } = runCheck(tgz);
    expect(status).to.equal(0);
    expect(lines).to.include(`ok ${APP}-test.tgz`);
  });

  it('rejects a package with more than one top-level folder', () => {
    mkdirSync(join(dirname(bad), 'stray'));
    writeFileSync(join(dirname(bad), 'stray', 'x.txt'), 'x');
    const tgz = join(dirname(bad), 'two.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', dirname(bad), APP, 'stray']);
    expect(failLines(tgz).join('\n')).to.contain('layout: the package must hold exactly one top-level folder');
  });

  describe('app.conf and app.manifest', () => {
    const cases: [string, (appDir: string) => void, string][] = [
      [
        'a build that is not a positive integer',
        (d) => setConfKey(join(d, 'default', 'app.conf'), 'install', 'build', '0'),
        '[install] build must be a positive integer',
      ],
      [
        'a missing is_configured',
        (d) => setConfKey(join(d, 'default', 'app.conf'), 'install', 'is_configured', ''),
        '[install] is_configured must be set',
      ],
      [
        'a version that is not Major.Minor.Revision',
        (d) => setConfKey(join(d, 'default', 'app.conf'), 'launcher', 'version', '1.0'),
        '[launcher] version must be Major.Minor.Revision',
      ],
      [
        'a description over 200 characters',
        (d) => setConfKey(join(d, 'default', 'app.conf'), 'launcher', 'description', 'x'.repeat(201)),
        '[launcher] description must be 1 to 200 characters (has 201)',
      ],
      [
        'a package id that is not the folder name',
        (d) => setConfKey(join(d, 'default', 'app.conf'), 'package', 'id', 'TA-other'),
        '[package] id must equal the folder name "TA-microsoft-defender"',
      ],
      [
        'a missing [ui] label',
        (d) => setConfKey(join(d, 'default', 'app.conf'), 'ui', 'label', ''),
        '[ui] label must be set',
      ],
      [
        'a custom conf without a reload trigger',
        (d) => writeFileSync(join(d, 'default', 'my_custom.conf'), '[x]\n'),
        '[triggers] reload.my_custom is missing',
      ],
      [
        'a manifest with another schema version',
        (d) => editManifest(d, (m) => (m.schemaVersion = '1.0.0')),
        'schemaVersion must be "2.0.0"',
      ],
      [
        'a manifest whose id is not the folder name',
        (d) => editManifest(d, (m) => (m.info.id.name = 'other')),
        'info.id.name must equal the folder name',
      ],
      [
        'a manifest version other than app.conf',
        (d) => editManifest(d, (m) => (m.info.id.version = '9.9.9')),
        'info.id.version must equal app.conf [launcher] version',
      ],
      [
        'a default.meta without exports',
        (d) => writeFileSync(join(d, 'metadata', 'default.meta'), '[]\naccess = read : [ * ]\n'),
        'default.meta: no stanza sets export',
      ],
    ];
    for (const [what, breakIt, expected] of cases) {
      it(`rejects ${what}`, () => {
        breakIt(bad);
        expect(failLines(bad).join('\n')).to.contain(expected);
      });
    }
  });

  describe('prohibited files', () => {
    const cases: [string, string][] = [
      ['local/inputs.conf', 'local/ must not ship'],
      ['metadata/local.meta', 'metadata/local.meta must not ship'],
      ['default/.DS_Store', 'dotfiles and dot-folders are not allowed'],
      ['.git/config', 'dotfiles and dot-folders are not allowed'],
      ['__MACOSX/x', '__MACOSX is not allowed'],
      ['bin/lib/node_modules/got/index.js', 'node_modules is not allowed'],
    ];
    for (const [path, expected] of cases) {
      it(`rejects ${path}`, () => {
        mkdirSync(dirname(join(bad, path)), { recursive: true });
        writeFileSync(join(bad, path), 'x');
        chmodSync(join(bad, path), 0o644);
        expect(failLines(bad).join('\n')).to.contain(`${path}`).and.contain(expected);
      });
    }
  });

  describe('launchers and file modes', () => {
    it('rejects a .cmd launcher in a package without the Windows runtime', () => {
      cpSync(join(repoRoot, 'bin', 'defender_alerts.cmd'), join(bad, 'bin', 'defender_alerts.cmd'));
      expect(failLines(bad).join('\n')).to.contain(
        'launchers: bin/defender_alerts.cmd ships in a package without the Windows runtime',
      );
    });

    it("rejects a Windows package without the scheme's .cmd launcher, and accepts it with one", () => {
      mkdirSync(join(bad, 'windows_x86_64', 'bin'), { recursive: true });
      writeFileSync(join(bad, 'windows_x86_64', 'bin', 'node.exe'), 'MZ');
      appendFileSync(join(bad, 'README.txt'), '\nwindows_x86_64/bin/node.exe\n');
      normaliseModes(bad);
      expect(failLines(bad).join('\n')).to.contain(
        'launchers: bin/defender_alerts.cmd is missing for [defender_alerts://<name>]',
      );
      cpSync(join(repoRoot, 'bin', 'defender_alerts.cmd'), join(bad, 'bin', 'defender_alerts.cmd'));
      cpSync(join(repoRoot, 'bin', 'defender_alerts.cmd'), join(bad, 'bin', 'defender_stream.cmd'));
      normaliseModes(bad);
      expect(failLines(bad).filter((l) => l.includes('launchers'))).to.deep.equal([]);
    });

    it('rejects a second scheme in a spec that has no launchers', () => {
      appendFileSync(join(bad, 'README', 'inputs.conf.spec'), '\n[other_input://<name>]\nx = <string>\n');
      expect(failLines(bad).join('\n')).to.contain('bin/other_input.sh is missing');
    });

    it('rejects a .sh launcher with CRLF line endings', () => {
      const sh = join(bad, 'bin', 'defender_alerts.sh');
      writeFileSync(sh, readFileSync(sh, 'utf8').replace(/\n/g, '\r\n'));
      expect(failLines(bad).join('\n')).to.contain('bin/defender_alerts.sh has CR line endings');
    });

    it('rejects a .sh launcher without execute bits', () => {
      chmodSync(join(bad, 'bin', 'defender_alerts.sh'), 0o644);
      expect(failLines(bad).join('\n')).to.contain('bin/defender_alerts.sh is not executable (mode 644');
    });

    it('rejects an executable file outside bin/ but allows the bundled runtime folder', () => {
      chmodSync(join(bad, 'default', 'props.conf'), 0o755);
      mkdirSync(join(bad, 'linux_x86_64', 'bin'), { recursive: true });
      writeFileSync(join(bad, 'linux_x86_64', 'bin', 'node'), 'x');
      chmodSync(join(bad, 'linux_x86_64', 'bin', 'node'), 0o755);
      const fails = failLines(bad);
      expect(fails.join('\n')).to.contain('file-modes: default/props.conf is executable (mode 755) outside bin/');
      expect(fails.filter((l) => l.includes('file-modes') && l.includes('linux_x86_64'))).to.deep.equal([]);
    });

    it('rejects group-writable files', () => {
      chmodSync(join(bad, 'default', 'props.conf'), 0o664);
      expect(failLines(bad).join('\n')).to.contain('default/props.conf is group- or world-writable');
    });

    it('rejects a bundled node that README.txt does not declare', () => {
      mkdirSync(join(bad, 'linux_x86_64', 'bin'), { recursive: true });
      writeFileSync(join(bad, 'linux_x86_64', 'bin', 'node'), 'x');
      chmodSync(join(bad, 'linux_x86_64', 'bin', 'node'), 0o755);
      writeFileSync(join(bad, 'README.txt'), 'no declaration here\n');
      expect(failLines(bad).join('\n')).to.contain(
        'binary-declaration: linux_x86_64/bin/node ships but README.txt has no "# Binary File Declaration"',
      );
    });
  });

  describe('spec keys', () => {
    it('rejects a key in our own conf that its spec does not declare', () => {
      appendFileSync(join(bad, 'default', 'ta_microsoft_defender_settings.conf'), '\n[http]\nverify_tls = false\n');
      expect(failLines(bad).join('\n')).to.contain(
        'spec-keys: default/ta_microsoft_defender_settings.conf [http] verify_tls is not declared in README/ta_microsoft_defender_settings.conf.spec',
      );
    });

    it('rejects a custom conf that has no spec', () => {
      writeFileSync(join(bad, 'default', 'extra_things.conf'), '[x]\na = 1\n');
      setConfKey(
        join(bad, 'default', 'app.conf'),
        'triggers',
        'reload.ta_microsoft_defender_settings',
        'simple\nreload.extra_things = simple',
      );
      expect(failLines(bad).join('\n')).to.contain(
        'default/extra_things.conf is a custom conf without README/extra_things.conf.spec',
      );
    });

    it("rejects an input default the inputs spec does not declare, but not splunkd's own input keys", () => {
      const conf = join(bad, 'default', 'inputs.conf');
      writeFileSync(
        conf,
        readFileSync(conf, 'utf8').replace('[defender_alerts]\n', '[defender_alerts]\npage_sise = 10\n'),
      );
      const fails = failLines(bad).join('\n');
      expect(fails).to.contain(
        'default/inputs.conf [defender_alerts] page_sise is not declared in README/inputs.conf.spec',
      );
      expect(fails).not.to.contain('] interval is not declared');
    });

    it('rejects an alert-action parameter its spec does not declare', () => {
      writeFileSync(join(bad, 'README', 'alert_actions.conf.spec'), '[my_action]\nparam.known = <string>\n');
      writeFileSync(join(bad, 'appserver', 'static', 'my_action.png'), 'png');
      chmodSync(join(bad, 'appserver', 'static', 'my_action.png'), 0o644);
      writeFileSync(
        join(bad, 'default', 'alert_actions.conf'),
        '[my_action]\nlabel = My action\nicon_path = my_action.png\npayload_format = json\nparam.known = 1\nparam.unknown = 2\n',
      );
      const fails = failLines(bad);
      expect(fails.join('\n')).to.contain('default/alert_actions.conf [my_action] param.unknown is not declared');
      expect(fails.join('\n')).not.to.contain('param.known');
      expect(fails.join('\n')).not.to.contain('] label is not declared');
    });
  });

  describe('alert actions', () => {
    it('rejects a missing icon and a payload format other than json or xml', () => {
      writeFileSync(
        join(bad, 'default', 'alert_actions.conf'),
        '[my_action]\nlabel = x\nicon_path = missing.png\npayload_format = csv\n',
      );
      const fails = failLines(bad).join('\n');
      expect(fails).to.contain('alert-actions: [my_action] icon_path appserver/static/missing.png does not exist');
      expect(fails).to.contain('alert-actions: [my_action] payload_format must be json or xml');
    });
  });

  describe('JavaScript scans', () => {
    it('fails on eval( and .globalEval( calls, with a snippet', () => {
      writeFileSync(join(bad, 'bin', 'lib', 'defender_alerts.cjs'), 'var a=1;var b=eval("a+1");$.globalEval(s);');
      const fails = failLines(bad).filter((l) => l.includes('js-eval'));
      expect(fails).to.have.length(2);
      expect(fails[0]).to.contain('bin/lib/defender_alerts.cjs').and.contain('eval(\\"a+1\\")');
    });

    it('does not take a method that merely ends in "eval" for eval', () => {
      writeFileSync(join(bad, 'bin', 'lib', 'defender_alerts.cjs'), 'x.retrieval(1);doEval(2);');
      expect(failLines(bad)).to.deep.equal([]);
    });

    it('fails on a clear-text http:// URL in a matched call, and only warns on other matches', () => {
      writeFileSync(
        join(bad, 'bin', 'lib', 'defender_alerts.cjs'),
        'got.get("http://example.com/api");this.http.get(this.urlify(s),h);',
      );
      const { status, lines } = runCheck(bad);
      expect(status).to.equal(1);
      expect(
        lines.filter(
          (l) =>
            l.startsWith('FAIL') && l.includes('js-insecure-http: bin/lib/defender_alerts.cjs: clear-text http:// URL'),
        ),
      ).to.have.length(1);
      expect(lines.filter((l) => l.startsWith('WARN') && l.includes('review (no literal http:// URL)'))).to.have.length(
        1,
      );
    });

    it('passes (exit 0) when the only findings are warnings', () => {
      writeFileSync(join(bad, 'bin', 'lib', 'defender_alerts.cjs'), 'request.post(url, body);');
      const { status, lines } = runCheck(bad);
      expect(status).to.equal(0);
      expect(lines.some((l) => l.startsWith('WARN'))).to.equal(true);
    });
  });
});

function editManifest(
  appDir: string,
  edit: (manifest: { schemaVersion: string; info: { id: { name: string; version: string } } }) => void,
): void {
  const file = join(appDir, 'app.manifest');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
}
