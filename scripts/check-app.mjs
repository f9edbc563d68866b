// Packaging self-check (npm run check): the Splunk packaging rules AppInspect enforces that can be checked offline,
// run on the built package exactly as an admin would upload it.
//   node scripts/check-app.mjs [PACKAGE.tgz | APP_FOLDER ...]
// Without arguments it checks every dist/TA-microsoft-defender-<version>*.tgz. Prints one line per broken rule,
// `FAIL <package>: <rule>: <what and where>`, and exits 1 if any; review-only findings print as `WARN` lines.
//
// Strictness of the JavaScript scans (AppInspect's manual checks, i.e. a human reviews every hit):
// - `eval(` / `.globalEval(` calls FAIL: nothing in the add-on needs them, and a dependency that starts using them
//   should be looked at before release.
// - The insecure-HTTP regex `(http|request|axios|superagent|fly|got).(get|post)(` FAILS only when the call's
//   arguments hold a literal `http://` URL (real clear-text HTTP). Other hits are WARN: in a minified bundle the whole
//   file is one line, so AppInspect's "no https:// on the same line" test says nothing, and the known hits are
//   splunk-sdk's `this.http.get(this.urlify(...))` calls to splunkd's management port (https).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Conf files Splunk itself defines; any other default/*.conf is custom and needs a reload trigger and a spec. */
const SPLUNK_CONFS = new Set([
  'alert_actions',
  'app',
  'authorize',
  'collections',
  'commands',
  'datamodels',
  'distsearch',
  'eventtypes',
  'fields',
  'indexes',
  'inputs',
  'limits',
  'macros',
  'outputs',
  'passwords',
  'props',
  'restmap',
  'savedsearches',
  'searchbnf',
  'server',
  'tags',
  'times',
  'transforms',
  'ui-prefs',
  'ui-tour',
  'web',
  'workflow_actions',
  'visualizations',
  'data',
  'health',
  'checklist',
]);

/** Keys splunkd gives every input stanza: a spec need not declare them. */
const SPLUNK_INPUT_KEYS = new Set([
  'interval',
  'index',
  'sourcetype',
  'source',
  'host',
  'disabled',
  'start_by_shell',
  'run_introspection',
  'python.version',
  'python.required',
  'passAuth',
  'queue',
  '_TCP_ROUTING',
  '_SYSLOG_ROUTING',
  '_INDEX_AND_FORWARD_ROUTING',
  '_meta',
  '_rcvbuf',
  'persistentQueueSize',
  'queueSize',
  'send_index_as_argument_for_path',
]);

/** Folders where execute bits are allowed: bin/ and the per-architecture runtime folders. */
const EXECUTABLE_DIRS = /^(bin|(linux|darwin|windows)_x86(_64)?\/bin)\//;

const INSECURE_HTTP = /(http|request|axios|superagent|fly|got)\.(get|post)\(/g;
const EVAL_CALL = /(?<![\w$])eval\s*\(|\.globalEval\s*\(/g;

const targets = process.argv.slice(2);
const packages = targets.length > 0 ? targets.map((t) => resolve(t)) : defaultPackages();
let failures = 0;
for (const target of packages) {
  const { appDir, cleanup, problems: unpackProblems } = open(target);
  try {
    const findings = [...unpackProblems.map((p) => ({ level: 'FAIL', text: p })), ...(appDir ? checkApp(appDir) : [])];
    for (const f of findings) console.log(`${f.level} ${basename(target)}: ${f.text}`);
    const failed = findings.filter((f) => f.level === 'FAIL').length;
    failures += failed;
    if (failed === 0) console.log(`ok ${basename(target)}`);
  } finally {
    cleanup();
  }
}
process.exitCode = failures > 0 || packages.length === 0 ? 1 : 0;

function defaultPackages() {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dist = join(root, 'dist');
  const found = existsSync(dist)
    ? readdirSync(dist)
        .filter((f) => f.startsWith(`TA-microsoft-defender-${version}`) && f.endsWith('.tgz'))
        .map((f) => join(dist, f))
    : [];
  if (found.length === 0)
    console.log(`FAIL no package: dist/TA-microsoft-defender-${version}*.tgz not found; run npm run build first`);
  return found;
}

/** A folder is checked in place; a .tgz is listed (for names) and extracted to a temp folder. */
function open(target) {
  if (!existsSync(target))
    return { appDir: undefined, cleanup: () => {}, problems: [`package: ${target} does not exist`] };
  if (statSync(target).isDirectory()) return { appDir: target, cleanup: () => {}, problems: [] };
  const problems = [];
  const entries = execFileSync('tar', ['-tzf', target], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .filter(Boolean);
  const tops = [...new Set(entries.map((e) => e.replace(/^\.\//, '').split('/')[0]).filter(Boolean))];
  if (tops.length !== 1)
    problems.push(`layout: the package must hold exactly one top-level folder (the app); found ${tops.join(', ')}`);
  const work = mkdtempSync(join(tmpdir(), 'ta-check-app-'));
  execFileSync('tar', ['-xzpf', target, '-C', work]);
  return {
    appDir: tops.length === 1 ? join(work, tops[0]) : undefined,
    cleanup: () => rmSync(work, { recursive: true, force: true }),
    problems,
  };
}

/** Every rule, on one extracted app folder. Returns findings `{level: 'FAIL'|'WARN', text}`. */
function checkApp(appDir) {
  const findings = [];
  const fail = (rule, text) => findings.push({ level: 'FAIL', text: `${rule}: ${text}` });
  const warn = (rule, text) => findings.push({ level: 'WARN', text: `${rule}: ${text}` });
  const folder = basename(appDir);
  const files = walk(appDir);

  // Prohibited content (check_that_extracted_splunk_app_does_not_contain_prohibited_directories_or_files,
  // check_that_local_does_not_exist).
  for (const f of files) {
    const parts = f.path.split('/');
    if (parts.some((p) => p.startsWith('.')))
      fail('prohibited-files', `${f.path}: dotfiles and dot-folders are not allowed`);
    if (parts.includes('__MACOSX')) fail('prohibited-files', `${f.path}: __MACOSX is not allowed`);
    if (parts.includes('node_modules'))
      fail('prohibited-files', `${f.path}: node_modules is not allowed (bundle with esbuild)`);
    if (parts[0] === 'local')
      fail('prohibited-files', `${f.path}: local/ must not ship (admins' own settings go there)`);
    if (f.path === 'metadata/local.meta') fail('prohibited-files', 'metadata/local.meta must not ship');
    if (f.isLink) fail('prohibited-files', `${f.path}: symbolic links are not allowed`);
  }

  // app.conf.
  const app = readConf(join(appDir, 'default', 'app.conf'));
  if (!app) fail('app.conf', 'default/app.conf is missing');
  else {
    const get = (s, k) => app.get(s)?.get(k);
    if (!/^[1-9]\d*$/.test(get('install', 'build') ?? ''))
      fail('app.conf', `[install] build must be a positive integer (got "${get('install', 'build') ?? ''}")`);
    if (!/^(0|1|true|false)$/i.test(get('install', 'is_configured') ?? ''))
      fail('app.conf', '[install] is_configured must be set (0, 1, true or false)');
    if (!/^(enabled|disabled)$/.test(get('install', 'state') ?? ''))
      fail('app.conf', '[install] state must be enabled or disabled');
    const version = get('launcher', 'version') ?? '';
    if (!/^\d+\.\d+\.\d+[a-z0-9.-]*$/i.test(version))
      fail('app.conf', `[launcher] version must be Major.Minor.Revision (got "${version}")`);
    const description = get('launcher', 'description') ?? '';
    if (description === '' || description.length > 200)
      fail('app.conf', `[launcher] description must be 1 to 200 characters (has ${description.length})`);
    if (!get('launcher', 'author')) fail('app.conf', '[launcher] author must be set');
    if (get('package', 'id') !== folder)
      fail('app.conf', `[package] id must equal the folder name "${folder}" (got "${get('package', 'id') ?? ''}")`);
    if (!/^(0|1|true|false)$/i.test(get('ui', 'is_visible') ?? ''))
      fail('app.conf', '[ui] is_visible must be set (true or false)');
    if (!get('ui', 'label')) fail('app.conf', '[ui] label must be set');
    for (const conf of customConfs(appDir)) {
      if (!get('triggers', `reload.${conf}`))
        fail('app.conf', `[triggers] reload.${conf} is missing for the custom conf default/${conf}.conf`);
    }

    // app.manifest.
    const manifestPath = join(appDir, 'app.manifest');
    if (!existsSync(manifestPath)) fail('app.manifest', 'app.manifest is missing');
    else {
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      } catch (error) {
        fail('app.manifest', `not valid JSON: ${error.message}`);
      }
      if (manifest) {
        if (manifest.schemaVersion !== '2.0.0')
          fail('app.manifest', `schemaVersion must be "2.0.0" (got ${JSON.stringify(manifest.schemaVersion)})`);
        if (manifest.info?.id?.name !== folder)
          fail('app.manifest', `info.id.name must equal the folder name "${folder}"`);
        if (manifest.info?.id?.version !== version)
          fail('app.manifest', `info.id.version must equal app.conf [launcher] version "${version}"`);
      }
    }
  }

  // metadata/default.meta with explicit exports (check_for_explicit_exports_in_default_meta).
  const meta = readConf(join(appDir, 'metadata', 'default.meta'));
  if (!meta) fail('default.meta', 'metadata/default.meta is missing');
  else if (![...meta.values()].some((keys) => keys.has('export')))
    fail('default.meta', 'no stanza sets export (system or none)');

  // Launchers for every modular input scheme (check_modular_inputs_scripts_exist), LF endings, execute bits. The .cmd
  // (Windows) launchers belong only in the package that bundles the Windows runtime: elsewhere they are dead files that
  // app vetting still asks about.
  const windows = files.some((f) => f.path.startsWith('windows_x86_64/'));
  for (const spec of readdirSafe(join(appDir, 'README')).filter((f) => f.endsWith('.conf.spec'))) {
    for (const stanza of readSpec(join(appDir, 'README', spec)).keys()) {
      const scheme = /^([^:]+):\/\//.exec(stanza)?.[1];
      if (!scheme) continue;
      for (const ext of windows ? ['sh', 'cmd'] : ['sh']) {
        if (!existsSync(join(appDir, 'bin', `${scheme}.${ext}`)))
          fail('launchers', `bin/${scheme}.${ext} is missing for [${stanza}] in README/${spec}`);
      }
    }
  }
  if (!windows) {
    for (const f of files.filter((x) => /^bin\/[^/]+\.cmd$/.test(x.path)))
      fail(
        'launchers',
        `${f.path} ships in a package without the Windows runtime (windows_x86_64/); only the -windows-x64 package carries .cmd launchers`,
      );
  }
  for (const f of files.filter((x) => /^bin\/[^/]+\.sh$/.test(x.path))) {
    const text = readFileSync(join(appDir, f.path), 'latin1');
    if (text.includes('\r'))
      fail('launchers', `${f.path} has CR line endings; splunkd then fails with error 127 (use LF only)`);
    if (!text.startsWith('#!')) fail('launchers', `${f.path} has no #! line`);
    if ((f.mode & 0o111) === 0) fail('launchers', `${f.path} is not executable (mode ${octal(f.mode)}; want 755)`);
  }
  for (const f of files) {
    if (f.isDir || f.isLink) continue;
    if ((f.mode & 0o111) !== 0 && !EXECUTABLE_DIRS.test(f.path))
      fail('file-modes', `${f.path} is executable (mode ${octal(f.mode)}) outside bin/; want 644`);
    if ((f.mode & 0o022) !== 0) fail('file-modes', `${f.path} is group- or world-writable (mode ${octal(f.mode)})`);
  }

  // Bundled binaries are declared in README.txt (check_for_binary_files_without_source_code).
  const readme = existsSync(join(appDir, 'README.txt')) ? readFileSync(join(appDir, 'README.txt'), 'utf8') : '';
  for (const f of files.filter((x) => /^(linux|darwin|windows)_x86(_64)?\/bin\/[^/]+$/.test(x.path))) {
    if (!readme.includes('# Binary File Declaration'))
      fail('binary-declaration', `${f.path} ships but README.txt has no "# Binary File Declaration" section`);
    else if (!readme.includes(f.path))
      fail('binary-declaration', `${f.path} is not named in README.txt's Binary File Declaration`);
  }

  // Every key a default/<conf>.conf sets is declared in README/<conf>.conf.spec, when the app ships that spec.
  for (const spec of readdirSafe(join(appDir, 'README')).filter((f) => f.endsWith('.conf.spec'))) {
    const confName = spec.slice(0, -'.conf.spec'.length);
    const conf = readConf(join(appDir, 'default', `${confName}.conf`));
    if (!conf) continue;
    for (const problem of undeclaredKeys(confName, conf, readSpec(join(appDir, 'README', spec))))
      fail('spec-keys', problem);
  }
  for (const conf of customConfs(appDir)) {
    if (!existsSync(join(appDir, 'README', `${conf}.conf.spec`)))
      fail('spec-keys', `default/${conf}.conf is a custom conf without README/${conf}.conf.spec`);
  }

  // alert_actions.conf: icon files and payload format (check_alert_icon_exists_for_custom_alerts, check_for_payload_format).
  const actions = readConf(join(appDir, 'default', 'alert_actions.conf'));
  for (const [name, keys] of actions ?? []) {
    if (name === 'default' || keys.size === 0) continue;
    const icon = keys.get('icon_path');
    if (!icon) fail('alert-actions', `[${name}] icon_path is not set`);
    else if (!existsSync(join(appDir, 'appserver', 'static', icon)))
      fail('alert-actions', `[${name}] icon_path appserver/static/${icon} does not exist`);
    if (!/^(json|xml)$/.test(keys.get('payload_format') ?? ''))
      fail('alert-actions', `[${name}] payload_format must be json or xml`);
  }

  // JavaScript scans over every .js/.cjs/.mjs file in the app (AppInspect's manual checks).
  for (const f of files.filter((x) => /\.(c|m)?js$/.test(x.path) && !x.isDir)) {
    const text = readFileSync(join(appDir, f.path), 'utf8');
    for (const m of text.matchAll(EVAL_CALL)) fail('js-eval', `${f.path}: ${snippet(text, m.index, m[0].length)}`);
    for (const m of text.matchAll(INSECURE_HTTP)) {
      const args = text.slice(m.index + m[0].length, m.index + m[0].length + 200).split(')')[0];
      if (/["'`]http:\/\//.test(args))
        fail('js-insecure-http', `${f.path}: clear-text http:// URL: ${snippet(text, m.index, m[0].length)}`);
      else
        warn('js-insecure-http', `${f.path}: review (no literal http:// URL): ${snippet(text, m.index, m[0].length)}`);
    }
  }
  return findings;
}

/** Keys of conf that README's spec does not declare. Splunk's own confs are checked only where the spec extends them. */
function undeclaredKeys(confName, conf, spec) {
  const problems = [];
  const where = (stanza, key) =>
    `default/${confName}.conf [${stanza}] ${key} is not declared in README/${confName}.conf.spec`;
  const global = spec.get('default') ?? [];
  const matchers = (stanza) => [...global, ...(findSpecStanza(spec, stanza) ?? [])];
  const declared = (patterns, key) => patterns.some((p) => p.test(key));
  for (const [stanza, keys] of conf) {
    for (const key of keys.keys()) {
      if (!SPLUNK_CONFS.has(confName)) {
        if (!declared(matchers(stanza), key)) problems.push(where(stanza, key));
      } else if (confName === 'inputs') {
        // [scheme] gives defaults to [scheme://name]: both are checked against the spec's [scheme://<name>].
        const specStanza = findSpecStanza(spec, stanza) ?? findSpecStanza(spec, `${stanza}://x`);
        if (specStanza && !SPLUNK_INPUT_KEYS.has(key) && !declared([...global, ...specStanza], key))
          problems.push(where(stanza, key));
      } else if (confName === 'alert_actions') {
        if (key.startsWith('param.') && findSpecStanza(spec, stanza) && !declared(matchers(stanza), key))
          problems.push(where(stanza, key));
      } else if (confName === 'savedsearches') {
        const action = /^action\.([^.]+)\.param\./.exec(key)?.[1];
        const specDeclaresAction =
          action && [...spec.values()].flat().some((p) => p.source.startsWith(`^action\\.${action}\\.`));
        if (specDeclaresAction && !declared(matchers(stanza), key)) problems.push(where(stanza, key));
      }
    }
  }
  return problems;
}

function findSpecStanza(spec, stanza) {
  for (const [name, patterns] of spec) {
    if (name === stanza || placeholderRegex(name).test(stanza)) return patterns;
  }
  return undefined;
}

/** `param.<name>` or `defender_alerts://<name>` as a regex: each <placeholder> or * matches any text. */
function placeholderRegex(text) {
  const escaped = text
    .split(/(<[^>]+>|\*)/)
    .map((part, i) => (i % 2 === 1 ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${escaped.join('')}$`);
}

/** .spec: stanza → key patterns. Lines starting with `*` or `#` are documentation. */
function readSpec(path) {
  const spec = new Map([['default', []]]);
  let current = spec.get('default');
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('*') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      if (!spec.has(header[1])) spec.set(header[1], []);
      current = spec.get(header[1]);
    } else if (line.includes('=')) {
      current.push(placeholderRegex(line.slice(0, line.indexOf('=')).trim()));
    }
  }
  return spec;
}

/** .conf: stanza → key → value (continuation lines joined), or undefined when the file is missing. */
function readConf(path) {
  if (!existsSync(path)) return undefined;
  const conf = new Map([['default', new Map()]]);
  let current = conf.get('default');
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)}\n${lines[++i]}`;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const header = /^\[(.*)\]$/.exec(trimmed);
    if (header) {
      if (!conf.has(header[1])) conf.set(header[1], new Map());
      current = conf.get(header[1]);
    } else if (line.includes('=')) {
      current.set(line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim());
    }
  }
  return conf;
}

function customConfs(appDir) {
  return readdirSafe(join(appDir, 'default'))
    .filter((f) => f.endsWith('.conf'))
    .map((f) => f.slice(0, -'.conf'.length))
    .filter((c) => !SPLUNK_CONFS.has(c));
}

function walk(appDir) {
  const out = [];
  const visit = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = lstatSync(full);
      const entry = {
        path: relative(appDir, full).split('\\').join('/'),
        mode: st.mode & 0o777,
        isDir: st.isDirectory(),
        isLink: st.isSymbolicLink(),
      };
      out.push(entry);
      if (entry.isDir) visit(full);
    }
  };
  visit(appDir);
  return out;
}

function readdirSafe(dir) {
  return existsSync(dir) ? readdirSync(dir) : [];
}

function snippet(text, index, length) {
  return JSON.stringify(text.slice(Math.max(0, index - 40), index + length + 60));
}

function octal(mode) {
  return mode.toString(8).padStart(3, '0');
}
