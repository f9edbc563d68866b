import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_APP_SETTINGS, mergeConfs, parseConf, readAppSettings } from '../../../src/config/app-settings.js';
import { ConfigError } from '../../../src/errors.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shipped = {
  file: 'default/ta_microsoft_defender_settings.conf',
  text: readFileSync(join(repoRoot, 'default', 'ta_microsoft_defender_settings.conf'), 'utf8'),
};
const local = (text: string) => ({ file: 'local/ta_microsoft_defender_settings.conf', text });

/** The settings of files that must hold no problem. */
function settingsWithoutProblems(sources: Parameters<typeof readAppSettings>[0]) {
  const { settings, problems } = readAppSettings(sources);
  expect(problems).to.deep.equal([]);
  return settings;
}

/** Every problem found in the files. */
function settingsProblems(sources: Parameters<typeof readAppSettings>[0]): readonly string[] {
  return readAppSettings(sources).problems;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  expect.fail('expected a ConfigError');
}

describe('app settings (ta_microsoft_defender_settings.conf)', () => {
  describe('parseConf', () => {
    it('reads stanzas, keys, empty values, comments and keys before the first stanza', () => {
      const conf = parseConf({
        file: 'f.conf',
        text: 'top = 1\n# comment\n  # indented comment\n[a]\nx = 1 \ny =\n\n[b]\nz=2=3\n',
      });
      expect(conf.get('default')?.get('top')?.value).to.equal('1');
      expect(conf.get('a')?.get('x')?.value).to.equal('1');
      expect(conf.get('a')?.get('y')?.value).to.equal('');
      expect(conf.get('b')?.get('z')?.value).to.equal('2=3');
    });

    it('joins continuation lines, keeping the line break, and records the first line of the value', () => {
      const conf = parseConf({ file: 'f.conf', text: '[s]\nsearch = a \\\n| b \\\n| c\nnext = 1\n' });
      expect(conf.get('s')?.get('search')).to.deep.equal({ value: 'a \n| b \n| c', file: 'f.conf', line: 2 });
      expect(conf.get('s')?.get('next')?.value).to.equal('1');
    });

    it('merges a repeated stanza and keeps the last value of a repeated key', () => {
      const conf = parseConf({ file: 'f.conf', text: '[s]\na = 1\nb = 1\n[t]\n[s]\na = 2\n' });
      expect([...(conf.get('s')?.keys() ?? [])]).to.deep.equal(['a', 'b']);
      expect(conf.get('s')?.get('a')?.value).to.equal('2');
    });

    it('accepts CRLF line ends and a byte-order mark', () => {
      const conf = parseConf({ file: 'f.conf', text: '\uFEFF[s]\r\na = 1\r\n' });
      expect(conf.get('s')?.get('a')?.value).to.equal('1');
    });

    it('rejects every malformed line, naming the file and line number', () => {
      const problems = problemsOf(() =>
        parseConf({ file: 'local/x.conf', text: '[s]\nno equals here\n= value\nok = 1\n' }),
      );
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^local\/x\.conf line 2: /);
      expect(problems[1]).to.match(/^local\/x\.conf line 3: /);
    });
  });

  describe('mergeConfs', () => {
    it('lets a later layer override key by key and keeps the rest', () => {
      const merged = mergeConfs([
        parseConf({ file: 'default', text: '[http]\na = 1\nb = 1\n' }),
        parseConf({ file: 'local', text: '[http]\nb = 2\n[new]\nc = 3\n' }),
      ]);
      expect(merged.get('http')?.get('a')?.value).to.equal('1');
      expect(merged.get('http')?.get('b')).to.include({ value: '2', file: 'local' });
      expect(merged.get('new')?.get('c')?.value).to.equal('3');
    });
  });

  describe('resolveAppSettings', () => {
    it('reads the shipped default file as the documented defaults', () => {
      expect(settingsWithoutProblems([shipped])).to.deep.equal(DEFAULT_APP_SETTINGS);
    });

    it('uses the defaults when no file exists', () => {
      expect(settingsWithoutProblems([])).to.deep.equal(DEFAULT_APP_SETTINGS);
    });

    it('lets local override default, key by key', () => {
      const settings = settingsWithoutProblems([
        shipped,
        local(
          '[logging]\nlog_level = debug\n[http]\nrequest_timeout_s = 120\n[proxy]\nproxy_url = http://proxy.corp:3128\n',
        ),
      ]);
      expect(settings).to.deep.equal({
        ...DEFAULT_APP_SETTINGS,
        logLevel: 'DEBUG',
        requestTimeoutSeconds: 120,
        proxyUrl: 'http://proxy.corp:3128',
      });
    });

    it('accepts WARNING as WARN, and proxies with credentials, IPv6 hosts and default ports', () => {
      for (const proxy of ['https://user:p%40ss@proxy:443', 'http://[::1]:3128', 'http://10.0.0.1:80/']) {
        expect(settingsWithoutProblems([local(`[proxy]\nproxy_url = ${proxy}\n`)]).proxyUrl).to.equal(proxy);
      }
      expect(settingsWithoutProblems([local('[logging]\nlog_level = Warning\n')]).logLevel).to.equal('WARN');
    });

    it('reads proxy_username (the Configuration page keeps its password in storage/passwords)', () => {
      const settings = settingsWithoutProblems([
        shipped,
        local('[proxy]\nproxy_url = http://proxy.corp:3128\nproxy_username = svc-splunk\n'),
      ]);
      expect(settings).to.deep.include({ proxyUrl: 'http://proxy.corp:3128', proxyUsername: 'svc-splunk' });
      expect(settingsWithoutProblems([shipped]).proxyUsername).to.equal(undefined);
    });

    it('treats an empty proxy_url in local as "no proxy", overriding a default one', () => {
      const settings = settingsWithoutProblems([
        local('[proxy]\nproxy_url = http://p:1\n'),
        local('[proxy]\nproxy_url =\n'),
      ]);
      expect(settings.proxyUrl).to.equal(undefined);
    });

    it('rejects out-of-range and non-numeric numbers, naming file, line, stanza, key and the allowed range', () => {
      const problems = settingsProblems([
        shipped,
        local('[http]\nrequest_timeout_s = 0\nmax_retries = lots\n[collection]\npage_size = 10001\n'),
      ]);
      expect(problems).to.deep.equal([
        'local/ta_microsoft_defender_settings.conf line 2: [http] request_timeout_s = "0" must be a whole number from 5 to 600.',
        'local/ta_microsoft_defender_settings.conf line 3: [http] max_retries = "lots" must be a whole number from 0 to 20.',
        'local/ta_microsoft_defender_settings.conf line 5: [collection] page_size = "10001" must be a whole number from 0 to 10000.',
      ]);
    });

    it('rejects an unknown log level, listing the valid ones', () => {
      const [problem] = settingsProblems([local('[logging]\nlog_level = verbose\n')]);
      expect(problem).to.contain('[logging] log_level = "verbose"').and.contain('DEBUG, INFO, WARN, ERROR');
    });

    it('rejects misspelt keys and unknown stanzas instead of ignoring them', () => {
      const problems = settingsProblems([local('[logging]\nlog_levl = DEBUG\n[htttp]\nx = 1\n')]);
      expect(problems[0])
        .to.contain('[logging] log_levl is not a setting')
        .and.contain('known keys of [logging]: log_level');
      expect(problems[1]).to.contain('[htttp] x is not a setting').and.contain('[http]');
    });

    it('rejects a malformed proxy URL without ever showing its password', () => {
      for (const bad of [
        'http://user:Sup3rSecret@proxy',
        'socks5://user:Sup3rSecret@proxy:1080',
        'user:Sup3rSecret@proxy:8080',
      ]) {
        const problems = settingsProblems([local(`[proxy]\nproxy_url = ${bad}\n`)]);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.contain('[proxy] proxy_url is not a proxy URL');
        expect(problems.join(' ')).not.to.contain('Sup3rSecret');
      }
    });

    it('reports problems of every file at once, malformed lines included', () => {
      const problems = settingsProblems([
        { file: 'default/x.conf', text: 'garbage\n' },
        local('[http]\nmax_retries = -1\n'),
      ]);
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^default\/x\.conf line 1:/);
      expect(problems[1]).to.match(/^local\/.* max_retries = "-1"/);
    });
  });

  describe('readAppSettings (lenient)', () => {
    it('keeps the default for each bad key and returns its problem, applying the good keys', () => {
      const { settings, problems } = readAppSettings([
        shipped,
        local('[http]\nrequest_timeout_s = 9999\nmax_retries = 2\n'),
      ]);
      expect(settings).to.deep.equal({ ...DEFAULT_APP_SETTINGS, maxRetries: 2 });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.contain('request_timeout_s = "9999"');
    });
  });
});
