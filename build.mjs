// Builds the Splunk app: clean slate → esbuild bundles (one per src/bin entry) → copy the app folders → stamp the
// version → pack the .tgz files. tsc only type-checks (npm run typecheck). Usage:
//   node build.mjs [--out DIR] [--slim] [--with-windows-runtime]     (TA_DIST_DIR=DIR works too; default ./dist)
// Packages (scripts/node-runtime.mjs pins the runtimes):
//   TA-microsoft-defender-<v>.tgz              the default: bundles Node.js for linux x64 (Splunk 10.2+ has none)
//   TA-microsoft-defender-<v>-slim.tgz         no runtime: for hosts that have Node >= 20 (--slim builds only this)
//   TA-microsoft-defender-<v>-windows-x64.tgz  bundles Node.js for Windows x64 (only with --with-windows-runtime)
// The folder <out>/TA-microsoft-defender/ ends up as the last package built (the default one unless --slim).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const distDir = resolve(outIndex >= 0 ? args[outIndex + 1] : process.env.TA_DIST_DIR || join(root, 'dist'));
const slim = args.includes('--slim');
const withWindows = args.includes('--with-windows-runtime');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const APP = 'TA-microsoft-defender';
const appDir = join(distDir, APP);

rmSync(appDir, { recursive: true, force: true });
for (const suffix of ['', '-slim', '-windows-x64'])
  rmSync(join(distDir, `${APP}-${pkg.version}${suffix}.tgz`), { force: true });
mkdirSync(join(appDir, 'bin', 'lib'), { recursive: true });

// 1. One CommonJS bundle per entry point, no node_modules in the app.
const entries = readdirSync(join(root, 'src', 'bin'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
const result = await build({
  entryPoints: entries.map((name) => join(root, 'src', 'bin', `${name}.ts`)),
  outdir: join(appDir, 'bin', 'lib'),
  // .cjs, not .js: node would load a .js as an ES module if any folder above the app had a package.json saying
  // "type": "module" (this repository does, around dist/).
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  define: { __ADDON_VERSION__: JSON.stringify(pkg.version) },
  alias: { dotenv: join(root, 'scripts', 'empty-dotenv.cjs') },
  // tsconfig's strict implies alwaysStrict, so esbuild would put "use strict" atop the whole CJS bundle, and bundled
  // CommonJS written for sloppy mode then throws at load (splunk-sdk's Class.extend reads arguments.callee). Our own
  // modules are ESM and tsc still checks them strictly; the other values are the ones tsconfig.json gives esbuild.
  tsconfigRaw: {
    compilerOptions: {
      alwaysStrict: false,
      useDefineForClassFields: true,
      verbatimModuleSyntax: false,
      esModuleInterop: true,
    },
  },
});
writeFileSync(join(distDir, 'meta.json'), JSON.stringify(result.metafile));

// 1b. The Configuration page's script, for the browser: one IIFE that appserver/templates/configuration.html loads.
// Plain DOM, no framework (README "Configuration page" gives the measured sizes behind that choice).
const page = await build({
  entryPoints: [join(root, 'src', 'web', 'configuration', 'main.ts')],
  outfile: join(appDir, 'appserver', 'static', 'configuration.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome109', 'edge109', 'firefox115', 'safari15.4'],
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  define: { __ADDON_VERSION__: JSON.stringify(pkg.version) },
});
writeFileSync(join(distDir, 'meta-web.json'), JSON.stringify(page.metafile));

// 2. The hand-written app folders. app/ holds the rest of the skeleton (metadata/, static/, app.manifest, README.txt).
for (const folder of ['bin', 'default', 'README']) {
  if (existsSync(join(root, folder))) cpSync(join(root, folder), join(appDir, folder), { recursive: true });
}
for (const entry of readdirSync(join(root, 'app'))) {
  // static/ and templates/ are Splunk Web's: appserver/static (files under /static/app/<app>/) and appserver/templates.
  const target = entry === 'static' || entry === 'templates' ? join(appDir, 'appserver', entry) : join(appDir, entry);
  cpSync(join(root, 'app', entry), target, { recursive: true });
}
if (existsSync(join(root, 'LICENSE'))) cpSync(join(root, 'LICENSE'), join(appDir, 'LICENSE'));

// 3. Every entry other than the input gets its own launcher: the launchers find their bundle from their own name.
// The .sh launchers go in every package; the .cmd ones only in the Windows package (windowsLaunchers below).
for (const name of entries) {
  const target = join(appDir, 'bin', `${name}.sh`);
  if (!existsSync(target)) cpSync(join(root, 'bin', 'defender_alerts.sh'), target);
}
windowsLaunchers(false);

// 4. Version stamp: app.conf [launcher]/[id] version and [install] build; app.manifest version.
stamp(join(appDir, 'default', 'app.conf'), (text) =>
  text
    .replace(/^version\s*=.*$/gm, `version = ${pkg.version}`)
    .replace(/^build\s*=.*$/m, `build = ${buildNumber(pkg.version)}`),
);
stamp(join(appDir, 'app.manifest'), (text) => {
  const manifest = JSON.parse(text);
  manifest.info.id.version = pkg.version;
  return JSON.stringify(manifest, null, 2) + '\n';
});

// 5. The packages: slim first, then each runtime added to the same folder (see scripts/node-runtime.mjs).
console.log(`built ${appDir}`);
pack('-slim');
if (!slim) {
  const { addNodeRuntime, NODE_RUNTIMES, stripBinary } = await import('./scripts/node-runtime.mjs');
  if (withWindows) {
    await addNodeRuntime(appDir, ['win-x64']);
    windowsLaunchers(true);
    pack('-windows-x64');
    windowsLaunchers(false);
    rmSync(join(appDir, 'windows_x86_64'), { recursive: true, force: true });
  }
  await addNodeRuntime(appDir, ['linux-x64']);
  const linuxNode = NODE_RUNTIMES['linux-x64'];
  const sizes = stripBinary(join(appDir, linuxNode.target), `v${linuxNode.version}`);
  if (sizes)
    console.log(
      `stripped ${linuxNode.target}: ${(sizes.before / 1e6).toFixed(1)} MB -> ${(sizes.after / 1e6).toFixed(1)} MB (loaded sections unchanged)`,
    );
  else console.log(`binutils (strip, objcopy) not found: ${linuxNode.target} ships unstripped`);
  pack('');
}

/** Adds (true) or removes (false) bin/<entry>.cmd for every entry: cmd.exe launchers only make sense next to node.exe. */
function windowsLaunchers(present) {
  for (const name of entries) {
    const target = join(appDir, 'bin', `${name}.cmd`);
    if (present) cpSync(join(root, 'bin', 'defender_alerts.cmd'), target);
    else rmSync(target, { force: true });
  }
}

/** Modes: directories 755, files 644, launchers and a bundled node 755; then tar without extended attributes. */
function pack(suffix) {
  normaliseModes(appDir);
  const tgz = join(distDir, `${APP}-${pkg.version}${suffix}.tgz`);
  execFileSync(
    'tar',
    ['--owner=0', '--group=0', '--numeric-owner', '--no-xattrs', '--sort=name', '-czf', tgz, '-C', distDir, APP],
    {
      env: { ...process.env, COPYFILE_DISABLE: '1' },
    },
  );
  console.log(`packed ${tgz} (${(statSync(tgz).size / 1e6).toFixed(1)} MB)`);
}

function stamp(file, edit) {
  if (existsSync(file)) writeFileSync(file, edit(readFileSync(file, 'utf8')));
}

/** [install] build must be a positive integer that grows with every release: MAJOR*1e6 + MINOR*1e3 + PATCH. */
function buildNumber(version) {
  const [major, minor, patch] = version.split(/[.-]/).map((n) => parseInt(n, 10) || 0);
  return major * 1_000_000 + minor * 1_000 + patch || 1;
}

function normaliseModes(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      chmodSync(path, 0o755);
      normaliseModes(path);
    } else {
      const executable = /\/bin\/[^/]+\.(sh|cmd)$/.test(path) || /\/bin\/node(\.exe)?$/.test(path);
      chmodSync(path, executable ? 0o755 : 0o644);
    }
  }
}
