/**
 * scripts/node-runtime.mjs: the pinned runtime is integrity-checked, and the bundled node is what the launcher runs.
 * Tests never download: the ones that need the real runtime use the build's cache (.cache/node-runtime, filled by
 * `npm run build`) and are skipped when it is empty.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './lib/knowledge.js';

interface Runtime {
  pkg: string;
  version: string;
  integrity: string;
  member: string;
  target: string;
}
interface NodeRuntimeModule {
  NODE_RUNTIMES: Record<string, Runtime>;
  addNodeRuntime(appDir: string, platforms?: string[], cacheDir?: string): Promise<string[]>;
  stripBinary(path: string, expectedVersion: string): { before: number; after: number } | undefined;
}

const modulePath: string = join(repoRoot, 'scripts', 'node-runtime.mjs');
const { NODE_RUNTIMES, addNodeRuntime, stripBinary } = (await import(modulePath)) as NodeRuntimeModule;
const linux = NODE_RUNTIMES['linux-x64'] as Runtime;
const realCache = join(repoRoot, '.cache', 'node-runtime');
const cached = existsSync(join(realCache, `${linux.pkg}-${linux.version}.tgz`));

describe('bundled Node.js runtime (scripts/node-runtime.mjs)', function () {
  this.timeout(60_000);
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'ta-node-runtime-test-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('pins an LTS line (even major) at or above the engines floor, with a sha512 integrity, for linux and windows x64', () => {
    for (const [platform, runtime] of Object.entries(NODE_RUNTIMES)) {
      const major = Number(runtime.version.split('.')[0]);
      expect(major % 2, `${platform} ${runtime.version}`).to.equal(0);
      expect(major).to.be.at.least(20);
      expect(runtime.integrity).to.match(/^sha512-[A-Za-z0-9+/]{86}==$/);
    }
    expect(NODE_RUNTIMES['linux-x64']?.target).to.equal('linux_x86_64/bin/node');
    expect(NODE_RUNTIMES['win-x64']?.target).to.equal('windows_x86_64/bin/node.exe');
  });

  it('refuses a cached tarball whose sha512 does not match the pin, naming the file and the fix', async () => {
    const cacheDir = join(work, 'cache');
    mkdirSync(cacheDir);
    const tampered = join(cacheDir, `${linux.pkg}-${linux.version}.tgz`);
    mkdirSync(join(work, 'package', 'bin'), { recursive: true });
    writeFileSync(join(work, 'package', 'bin', 'node'), '#!/bin/sh\necho pwned\n');
    execFileSync('tar', ['-czf', tampered, '-C', work, 'package']);
    let error: Error | undefined;
    try {
      await addNodeRuntime(join(work, 'app'), ['linux-x64'], cacheDir);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message)
      .to.contain(tampered)
      .and.contain('does not match the pin')
      .and.contain('delete the file and rebuild');
    expect(existsSync(join(work, 'app', 'linux_x86_64', 'bin', 'node')), 'nothing copied').to.equal(false);
  });

  it('rejects an unknown platform', async () => {
    let error: Error | undefined;
    try {
      await addNodeRuntime(join(work, 'app'), ['linux-arm64'], join(work, 'cache'));
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.contain('unknown runtime platform "linux-arm64"');
  });

  describe('with the runtime from the build cache', () => {
    before(function () {
      if (!cached) this.skip();
    });

    it('is what the launcher runs, even with no node on PATH, and carries its licence', async () => {
      const appDir = join(work, 'TA-microsoft-defender');
      mkdirSync(join(appDir, 'bin', 'lib'), { recursive: true });
      cpSync(join(repoRoot, 'bin', 'defender_alerts.sh'), join(appDir, 'bin', 'defender_alerts.sh'));
      chmodSync(join(appDir, 'bin', 'defender_alerts.sh'), 0o755);
      writeFileSync(
        join(appDir, 'bin', 'lib', 'defender_alerts.cjs'),
        'process.stdout.write(process.version + " " + process.argv.slice(2).join(","))',
      );
      const written = await addNodeRuntime(appDir, ['linux-x64'], realCache);
      expect(written).to.deep.equal(['linux_x86_64/bin/node', 'licenses/nodejs-LICENSE.txt']);
      expect(statSync(join(appDir, 'linux_x86_64', 'bin', 'node')).mode & 0o777).to.equal(0o755);
      const result = spawnSync('/bin/sh', [join(appDir, 'bin', 'defender_alerts.sh'), '--scheme'], {
        env: { PATH: '/nonexistent', LD_LIBRARY_PATH: '/opt/splunk/lib' },
        encoding: 'utf8',
      });
      expect(result.stderr).to.equal('');
      expect(result.stdout).to.equal(`v${linux.version} --scheme`);
    });

    it('strips the linux node of symbols only: smaller, loaded sections unchanged, still runs; refuses a wrong version', async function () {
      const appDir = join(work, 'app');
      await addNodeRuntime(appDir, ['linux-x64'], realCache);
      const node = join(appDir, linux.target);
      const sizes = stripBinary(node, `v${linux.version}`);
      if (!sizes) this.skip();
      expect(sizes?.after).to.be.below((sizes?.before ?? 0) * 0.9);
      expect(statSync(node).size).to.equal(sizes?.after);
      expect(
        spawnSync(node, ['-e', 'process.stdout.write(String(require("zlib").gzipSync("x").length))'], {
          encoding: 'utf8',
        }).stdout,
      ).to.match(/^\d+$/);
      expect(() => stripBinary(node, 'v0.0.0')).to.throw('prints v' + linux.version + ', not v0.0.0');
    });
  });
});
