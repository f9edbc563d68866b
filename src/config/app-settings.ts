/**
 * App-wide settings (ta_microsoft_defender_settings.conf): Splunk's .conf text → typed AppSettings, with default/
 * then local/ precedence as splunkd applies it. Pure: the caller reads the files and passes their text.
 */
import { ConfigError } from '../errors.js';
import { LOG_LEVELS, parseLogLevel, type LogLevel } from '../toolkit/log-levels.js';
import { parseProxyUrl } from './proxy-url.js';

/** The conf file name, without `.conf`: also the name in app.conf `[triggers] reload.<name>`. */
export const SETTINGS_CONF = 'ta_microsoft_defender_settings';

/** Typed app-wide settings; README/ta_microsoft_defender_settings.conf.spec documents each key. */
export interface AppSettings {
  /** [logging] log_level. */
  logLevel: LogLevel;
  /** [proxy] proxy_url; undefined when empty. May hold a password: never log it. */
  proxyUrl: string | undefined;
  /**
   * [proxy] proxy_username; undefined when empty. Its password is in storage/passwords (realm TA-microsoft-defender,
   * user {@link PROXY_SECRET_USER}), written by the Configuration page; the caller adds both to proxyUrl.
   */
  proxyUsername: string | undefined;
  /** [http] request_timeout_s. */
  requestTimeoutSeconds: number;
  /** [http] max_retries. */
  maxRetries: number;
  /** [collection] max_pages_per_run. */
  maxPagesPerRun: number;
  /** [collection] page_size; 0 means each API's maximum (graph 1,000, mde 10,000). */
  pageSize: number;
  /** [collection] concurrent_windows; 0 means adaptive (defender/window-pool.ts). */
  concurrentWindows: number;
  /** [collection] max_requests_per_minute; 0 means each API's documented quota (defender/request-quota.ts). */
  maxRequestsPerMinute: number;
}

/** The values default/ta_microsoft_defender_settings.conf ships; used for keys no file sets. */
export const DEFAULT_APP_SETTINGS: Readonly<AppSettings> = Object.freeze({
  logLevel: 'INFO',
  proxyUrl: undefined,
  proxyUsername: undefined,
  requestTimeoutSeconds: 60,
  maxRetries: 5,
  maxPagesPerRun: 500,
  pageSize: 0,
  concurrentWindows: 0,
  maxRequestsPerMinute: 0,
});

/** One .conf file as text, with the path used in error messages (e.g. `local/ta_microsoft_defender_settings.conf`). */
export interface ConfSource {
  file: string;
  text: string;
}

/** A value and the file (and line) that set it, so errors can point at the line to fix. */
export interface ConfValue {
  value: string;
  file: string;
  line: number;
}

/** Parsed .conf: stanza name → key → value. Keys before the first stanza belong to `default`, as in splunkd. */
export type Conf = Map<string, Map<string, ConfValue>>;

/**
 * Parses .conf text the way splunkd reads it: `[stanza]` headers, `key = value` lines, `#` comment lines, and a
 * trailing backslash continuing a value onto the next line (the line break is kept, as in multi-line searches).
 * A repeated stanza merges; a repeated key keeps the last value. Throws ConfigError listing every malformed line.
 */
export function parseConf(source: ConfSource): Conf {
  const conf: Conf = new Map();
  const problems: string[] = [];
  const lines = source.text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let stanza = stanzaIn(conf, 'default');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i] ?? '';
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)}\n${lines[++i] ?? ''}`;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const header = /^\[(.*)\]$/.exec(trimmed);
    if (header) {
      stanza = stanzaIn(conf, (header[1] ?? '').trim());
      continue;
    }
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (key === '') {
      problems.push(
        `${source.file} line ${lineNo}: expected "[stanza]", "key = value" or a "#" comment; fix or remove the line.`,
      );
      continue;
    }
    stanza.set(key, { value: line.slice(eq + 1).trim(), file: source.file, line: lineNo });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return conf;
}

/** Layers parsed confs, later ones winning key by key (default first, then local), as splunkd merges them. */
export function mergeConfs(layers: readonly Conf[]): Conf {
  const merged: Conf = new Map();
  for (const layer of layers) {
    for (const [name, keys] of layer) {
      const target = stanzaIn(merged, name);
      for (const [key, value] of keys) target.set(key, value);
    }
  }
  return merged;
}

type Reader = (value: ConfValue, where: string, problems: string[]) => unknown;

/** What each stanza may hold, and how each key is read. */
const SCHEMA: Record<string, Record<string, { field: keyof AppSettings; read: Reader }>> = {
  logging: { log_level: { field: 'logLevel', read: readLogLevel } },
  proxy: {
    proxy_url: { field: 'proxyUrl', read: readProxyUrl },
    proxy_username: { field: 'proxyUsername', read: readProxyUsername },
  },
  http: {
    request_timeout_s: { field: 'requestTimeoutSeconds', read: readInteger(5, 600) },
    max_retries: { field: 'maxRetries', read: readInteger(0, 20) },
  },
  collection: {
    max_pages_per_run: { field: 'maxPagesPerRun', read: readInteger(1, 100_000) },
    page_size: { field: 'pageSize', read: readInteger(0, 10_000) },
    concurrent_windows: { field: 'concurrentWindows', read: readInteger(0, 8) },
    max_requests_per_minute: { field: 'maxRequestsPerMinute', read: readInteger(0, 100_000) },
  },
};

/**
 * Reads the settings from the default file then the local one (either may be missing from the list). Lenient: a bad
 * key keeps its default value and its problem is returned (to log as a WARN), so a typo in local/ does not stop
 * collection. Each problem names the file, line, stanza, key and the fix; unknown keys are problems too, since a
 * misspelt key would otherwise be ignored without a word.
 */
export function readAppSettings(sources: readonly ConfSource[]): { settings: AppSettings; problems: string[] } {
  const problems: string[] = [];
  const layers: Conf[] = [];
  for (const source of sources) {
    try {
      layers.push(parseConf(source));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  const conf = mergeConfs(layers);
  const settings: AppSettings = { ...DEFAULT_APP_SETTINGS };
  for (const [stanzaName, keys] of conf) {
    const known = SCHEMA[stanzaName];
    for (const [key, value] of keys) {
      const where = `${value.file} line ${value.line}: [${stanzaName}] ${key}`;
      const spec = known?.[key];
      if (!spec) {
        // splunkd adds nothing to our own conf, but an empty [default] stanza is harmless: only keys count.
        const expected = known
          ? `known keys of [${stanzaName}]: ${Object.keys(known).join(', ')}`
          : `known stanzas: ${Object.keys(SCHEMA)
              .map((s) => `[${s}]`)
              .join(', ')}`;
        problems.push(
          `${where} is not a setting of ${SETTINGS_CONF}.conf (${expected}); fix the spelling or remove it.`,
        );
        continue;
      }
      const parsed = spec.read(value, where, problems);
      if (parsed !== INVALID) (settings as unknown as Record<string, unknown>)[spec.field] = parsed;
    }
  }
  return { settings, problems };
}

const INVALID = Symbol('invalid');

function readLogLevel(value: ConfValue, where: string, problems: string[]): LogLevel | typeof INVALID {
  const level = parseLogLevel(value.value);
  if (level) return level;
  problems.push(`${where} = "${value.value}" is not a log level; use one of ${LOG_LEVELS.join(', ')}.`);
  return INVALID;
}

function readInteger(min: number, max: number): Reader {
  return (value, where, problems) => {
    const n = /^\d+$/.test(value.value) ? Number(value.value) : NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    problems.push(`${where} = "${value.value}" must be a whole number from ${min} to ${max}.`);
    return INVALID;
  };
}

function readProxyUrl(value: ConfValue, where: string, problems: string[]): string | undefined | typeof INVALID {
  if (value.value === '') return undefined;
  const url = parseProxyUrl(value.value, where);
  if (url.ok) return url.value;
  problems.push(url.problem);
  return INVALID;
}

function readProxyUsername(value: ConfValue, where: string, problems: string[]): string | undefined | typeof INVALID {
  if (value.value === '') return undefined;
  const problem = proxyUsernameProblem(value.value);
  if (problem === undefined) return value.value;
  problems.push(`${where}: ${problem}`);
  return INVALID;
}

/** storage/passwords user name of the proxy password (realm TA-microsoft-defender); `#` keeps it apart from inputs. */
export const PROXY_SECRET_USER = 'proxy#password';

/**
 * The proxy URL the HTTP clients use: the configured URL with `user:password@` added (percent-encoded) when a
 * proxy_username is set and the URL has no user-info of its own. The result holds a password: never log it.
 */
export function proxyUrlWithCredentials(
  proxyUrl: string,
  username: string | undefined,
  password: string | undefined,
): string {
  if (username === undefined || username === '') return proxyUrl;
  const url = new URL(proxyUrl);
  if (url.username !== '') return proxyUrl;
  const userInfo = `${encodeURIComponent(username)}${password ? `:${encodeURIComponent(password)}` : ''}@`;
  return proxyUrl.replace(/^(https?:\/\/)/i, `$1${userInfo}`);
}

/** The problem with a proxy user name (it goes into the proxy URL's user-info, percent-encoded), or undefined. */
export function proxyUsernameProblem(value: string): string | undefined {
  if (value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
    return 'proxy_username must be one line of at most 256 characters: use the user name the proxy expects.';
  }
  return undefined;
}

function stanzaIn(conf: Conf, name: string): Map<string, ConfValue> {
  let stanza = conf.get(name);
  if (!stanza) conf.set(name, (stanza = new Map()));
  return stanza;
}
