import { expect } from 'chai';
import { parseApiTime } from '../../../src/defender/api-time.js';
import { resolveConfig, type ResolveOptions } from '../../../src/config/resolve.js';
import { SECRET_MASK } from '../../../src/config/types.js';
import { ConfigError } from '../../../src/errors.js';
import type { StanzaDefinition } from '../../../src/modinput/scheme-types.js';

const TENANT = '9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a5b';
const CLIENT = '0b5c1c6e-3d8e-4a43-9f3b-1c2d3e4f5a6b';
const SECRET = 'Qx8~s3cr3t.VALUE_that-must-never-leak';
const REQUIRED = { tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET };

function stanza(
  params: Record<string, string | string[]>,
  name = 'defender_alerts://prod',
  app: string | undefined = 'search',
): StanzaDefinition {
  return { name, app, params };
}

function resolve(params: Record<string, string | string[]>, options?: ResolveOptions) {
  return resolveConfig(stanza({ ...REQUIRED, ...params }), options);
}

/** The problems of a stanza that must be rejected. */
function problemsOf(params: Record<string, string | string[]>, name?: string, options?: ResolveOptions): string[] {
  try {
    resolveConfig(stanza(params, name), options);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).to.equal('config_invalid');
    expect(configError.message).to.equal(configError.problems.join(' '));
    return [...configError.problems];
  }
  expect.fail('resolveConfig accepted the stanza');
}

describe('config/resolve', () => {
  describe('a valid stanza', () => {
    it('resolves the required arguments with every default filled in', () => {
      const { config, warnings } = resolveConfig(stanza(REQUIRED));
      expect(warnings).to.deep.equal([]);
      expect(config).to.deep.equal({
        stanza: 'defender_alerts://prod',
        name: 'prod',
        app: 'search',
        tenantId: TENANT,
        clientId: CLIENT,
        clientSecret: { kind: 'clear', value: SECRET },
        api: 'graph',
        region: 'global',
        startTime: { kind: 'relative', seconds: 86_400 },
        overlapSeconds: 300,
        filter: undefined,
        apiUrl: undefined,
        loginUrl: undefined,
        proxyUrl: undefined,
        replayFrom: undefined,
        includeAlerts: true,
        index: undefined,
        sourcetype: 'ms:defender:graph:alerts',
        host: undefined,
        endpoints: {
          alertsUrl: 'https://graph.microsoft.com/v1.0/security/alerts_v2',
          apiBase: 'https://graph.microsoft.com/v1.0',
          authority: `https://login.microsoftonline.com/${TENANT}`,
          scope: 'https://graph.microsoft.com/.default',
          knownAuthorities: [],
        },
      });
    });

    it('resolves every argument set explicitly', () => {
      const { config, warnings } = resolve({
        api: 'mde',
        region: 'eu',
        start_time: '2024-05-01T10:00:00Z',
        overlap_seconds: '600',
        filter: "status ne 'Resolved'",
        api_url: 'https://localhost:8443/',
        login_url: 'https://localhost:9443',
        proxy_url: 'http://proxy.example.com:3128',
      });
      expect(warnings).to.deep.equal([]);
      expect(config).to.deep.include({
        api: 'mde',
        region: 'eu',
        startTime: { kind: 'absolute', time: parseApiTime('2024-05-01T10:00:00.0000000Z') },
        overlapSeconds: 600,
        filter: "status ne 'Resolved'",
        apiUrl: 'https://localhost:8443',
        loginUrl: 'https://localhost:9443',
        proxyUrl: 'http://proxy.example.com:3128',
        sourcetype: 'ms:defender:atp:alerts',
      });
      expect(config.endpoints).to.deep.equal({
        alertsUrl: 'https://localhost:8443/api/alerts',
        apiBase: 'https://localhost:8443',
        authority: `https://localhost:9443/${TENANT}`,
        scope: 'https://api.securitycenter.microsoft.com/.default',
        knownAuthorities: ['localhost:9443'],
      });
    });

    it("takes Splunk's own settings from a real input XML without warnings, dropping index=default and $decideOnStartup", () => {
      const { config, warnings } = resolve({
        host: '$decideOnStartup',
        index: 'default',
        interval: '300',
        disabled: 'false',
        start_by_shell: 'false',
        'python.version': 'python3',
        _TCP_ROUTING: 'primary',
        run_introspection: 'true',
      });
      expect(warnings).to.deep.equal([]);
      expect(config.index).to.equal(undefined);
      expect(config.host).to.equal(undefined);
    });

    it('keeps index, sourcetype and host when the stanza sets them', () => {
      const { config } = resolve({ index: 'defender', sourcetype: 'my:alerts', host: 'tenant-a' });
      expect(config).to.deep.include({ index: 'defender', sourcetype: 'my:alerts', host: 'tenant-a' });
    });

    it("defaults the sourcetype to the api's", () => {
      expect(resolve({ api: 'graph' }).config.sourcetype).to.equal('ms:defender:graph:alerts');
      expect(resolve({ api: 'mde' }).config.sourcetype).to.equal('ms:defender:atp:alerts');
      expect(resolve({ api: 'siem', region: 'eu' }).config.sourcetype).to.equal('ms:defender:siem:detections');
    });

    it('treats empty and blank values as absent, as Splunk Web posts them', () => {
      const { config } = resolve({
        api: '',
        region: ' ',
        start_time: '',
        overlap_seconds: '',
        filter: '  ',
        api_url: '',
        login_url: '',
        proxy_url: '',
        index: '',
        sourcetype: '',
        host: '',
      });
      expect(config).to.deep.include({
        api: 'graph',
        region: 'global',
        startTime: { kind: 'relative', seconds: 86_400 },
        overlapSeconds: 300,
        filter: undefined,
        apiUrl: undefined,
        loginUrl: undefined,
        proxyUrl: undefined,
        index: undefined,
        sourcetype: 'ms:defender:graph:alerts',
        host: undefined,
      });
    });

    it('trims values pasted with surrounding spaces', () => {
      const { config } = resolve({ tenant_id: `  ${TENANT} `, client_id: `${CLIENT}\n`, client_secret: ` ${SECRET} ` });
      expect(config.tenantId).to.equal(TENANT);
      expect(config.clientId).to.equal(CLIENT);
      expect(config.clientSecret).to.deep.equal({ kind: 'clear', value: SECRET });
    });

    it('leaves app undefined when splunkd does not say where the stanza lives', () => {
      expect(resolveConfig({ name: 'defender_alerts://prod', app: undefined, params: REQUIRED }).config.app).to.equal(
        undefined,
      );
    });
  });

  describe('stanza name', () => {
    it('takes the part after defender_alerts:// in run mode, slashes included', () => {
      const { config } = resolveConfig(stanza(REQUIRED, 'defender_alerts://eu/tenant-a'));
      expect(config.name).to.equal('eu/tenant-a');
      expect(config.stanza).to.equal('defender_alerts://eu/tenant-a');
    });

    it('takes the item name as the short name in validate mode', () => {
      const { config } = resolveConfig(stanza(REQUIRED, 'prod'), { mode: 'validate' });
      expect(config.name).to.equal('prod');
      expect(config.stanza).to.equal('defender_alerts://prod');
    });

    it('rejects a run-mode stanza of another scheme and an empty name', () => {
      expect(problemsOf(REQUIRED, 'otlpinput://x')[0]).to.match(
        /^stanza "otlpinput:\/\/x" is not a defender_alerts:\/\/<name> stanza/,
      );
      expect(problemsOf(REQUIRED, 'defender_alerts://')[0]).to.match(/^The input has no name/);
    });
  });

  describe('problems', () => {
    it('lists every problem at once, each naming its field', () => {
      const problems = problemsOf({
        tenant_id: 'abc',
        client_id: 'app',
        api: 'graph',
        region: 'eu',
        start_time: 'yesterday',
        overlap_seconds: '-1',
        filter: 'x) or (y',
        api_url: 'http://localhost',
        login_url: 'https://h/?a=1',
        proxy_url: 'proxy',
      });
      expect(problems.map((problem) => problem.split(' ')[0])).to.deep.equal([
        'tenant_id',
        'client_id',
        'client_secret',
        'region',
        'start_time',
        'overlap_seconds',
        'filter',
        'api_url',
        'login_url',
        'proxy_url',
      ]);
    });

    it('rejects a malformed tenant_id, saying where to copy the right one', () => {
      expect(problemsOf({ ...REQUIRED, tenant_id: 'abc' })).to.deep.equal([
        'tenant_id "abc" is not a GUID or a domain name: copy the Directory (tenant) ID from the app registration\'s Overview page in Entra ID, or use a verified domain such as contoso.onmicrosoft.com.',
      ]);
      for (const bad of [
        '{9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a5b}',
        'contoso',
        'https://contoso.com',
        'conto so.com',
        'common',
      ]) {
        expect(problemsOf({ ...REQUIRED, tenant_id: bad })[0], bad).to.match(
          /^tenant_id ".*" is not a GUID or a domain name/,
        );
      }
    });

    it('accepts a tenant GUID in any case and a verified domain', () => {
      for (const good of [
        TENANT,
        TENANT.toUpperCase(),
        'contoso.onmicrosoft.com',
        'contoso.onmicrosoft.us',
        'sub-1.example.co.uk',
      ]) {
        expect(resolve({ tenant_id: good }).config.tenantId).to.equal(good);
      }
    });

    it('requires tenant_id and client_id', () => {
      expect(problemsOf({ client_secret: SECRET })).to.deep.equal([
        "tenant_id is required: copy the Directory (tenant) ID from the app registration's Overview page in Entra ID, or use a verified domain such as contoso.onmicrosoft.com.",
        "client_id is required: copy the Application (client) ID from the app registration's Overview page in Entra ID.",
      ]);
    });

    it('rejects a client_id that is not a GUID', () => {
      expect(problemsOf({ ...REQUIRED, client_id: 'my-app' })).to.deep.equal([
        'client_id "my-app" is not a GUID: copy the Application (client) ID from the app registration\'s Overview page in Entra ID.',
      ]);
    });

    it('rejects a list where one value is expected', () => {
      expect(problemsOf({ ...REQUIRED, region: ['eu', 'us'] })).to.deep.equal([
        'region was given 2 values: give it one value.',
      ]);
      // Reported once: not also as a missing required argument.
      expect(problemsOf({ ...REQUIRED, client_secret: ['a', 'b'] })).to.deep.equal([
        'client_secret was given 2 values: give it one value.',
      ]);
    });

    it('cuts a pasted blob short and keeps it on one line in the message', () => {
      const [problem] = problemsOf({ ...REQUIRED, tenant_id: `line1\nline2${'x'.repeat(500)}` });
      expect(problem).to.not.include('\n');
      expect(problem!.length).to.be.lessThan(400);
    });
  });

  describe('client_secret', () => {
    it('requires it, pointing at the secret Value', () => {
      expect(problemsOf({ tenant_id: TENANT, client_id: CLIENT })).to.deep.equal([
        "client_secret is required: paste the secret's Value (not its Secret ID) from the app's Certificates & secrets page in Entra ID.",
      ]);
    });

    it('reads the mask as "stored in splunkd"', () => {
      expect(resolve({ client_secret: SECRET_MASK }).config.clientSecret).to.deep.equal({ kind: 'masked' });
      expect(resolve({ client_secret: SECRET_MASK }, { mode: 'validate' }).config.clientSecret).to.deep.equal({
        kind: 'masked',
      });
    });

    it('warns, without echoing it, when the secret looks like a Secret ID', () => {
      const secretId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
      const { config, warnings } = resolve({ client_secret: secretId });
      expect(config.clientSecret).to.deep.equal({ kind: 'clear', value: secretId });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/^client_secret has the shape of a GUID/);
      expect(warnings[0]).to.not.include(secretId);
    });

    it('never puts a secret or a proxy password in a problem or a warning', () => {
      const proxySecret = 'Pr0xyPa55';
      const stanzas: Record<string, string | string[]>[] = [
        { ...REQUIRED, tenant_id: 'bad', api: 'nope', start_time: 'x', proxy_url: `http://user:${proxySecret}@proxy` },
        { ...REQUIRED, proxy_url: `ftp://user:${proxySecret}@proxy:21` },
        { ...REQUIRED, api_url: `http://user:${proxySecret}@host`, login_url: `https://user:${proxySecret}@host` },
        { ...REQUIRED, login_url: `notaurl://user:${proxySecret}@` },
        { ...REQUIRED, clientsecret: SECRET, client_secret: ['a', SECRET] },
      ];
      for (const params of stanzas) {
        const problems = problemsOf(params);
        for (const text of problems) {
          expect(text).to.not.include(SECRET);
          expect(text).to.not.include(proxySecret);
        }
      }
      const { warnings } = resolve({ clientsecret: SECRET, proxy_url: `http://u:${proxySecret}@proxy:8080` });
      expect(warnings.join(' ')).to.not.include(SECRET).and.not.include(proxySecret);
    });
  });

  describe('api and region', () => {
    it('accepts api in any case', () => {
      expect(resolve({ api: 'MDE' }).config.api).to.equal('mde');
    });

    it('rejects an unknown api, listing the four', () => {
      expect(problemsOf({ ...REQUIRED, api: 'xdr' })).to.deep.equal([
        'api "xdr" is not one of graph, mde, siem, incidents: use graph (Microsoft Graph alerts_v2, the default), ' +
          'mde (Defender for Endpoint), siem (legacy SIEM exporter) or incidents (Microsoft Graph incidents with ' +
          'their alerts).',
      ]);
    });

    const REGIONS: Record<string, string[]> = {
      graph: ['global', 'gcc', 'gcc_high', 'dod'],
      mde: ['global', 'us', 'eu', 'uk', 'au', 'swa', 'gcc', 'gcc_high', 'dod'],
      siem: ['eu', 'us', 'uk', 'gcc', 'gcc_high'],
    };
    for (const [api, regions] of Object.entries(REGIONS)) {
      it(`accepts every ${api} region of the contract`, () => {
        for (const region of regions) expect(resolve({ api, region }).config.region).to.equal(region);
      });
    }

    it("rejects a region the api does not have, naming the field and listing the api's regions", () => {
      expect(problemsOf({ ...REQUIRED, api: 'graph', region: 'eu' })).to.deep.equal([
        'region "eu" does not exist for api=graph: use one of global, gcc, gcc_high, dod (or leave it empty for global).',
      ]);
      expect(problemsOf({ ...REQUIRED, api: 'siem', region: 'global' })).to.deep.equal([
        'region "global" does not exist for api=siem: use one of eu, us, uk, gcc, gcc_high.',
      ]);
      expect(problemsOf({ ...REQUIRED, api: 'mde', region: 'mars' })[0]).to.match(
        /^region "mars" does not exist for api=mde: use one of global, us, eu, uk, au, swa, gcc, gcc_high, dod/,
      );
    });

    it('requires a region for siem, which has no default', () => {
      expect(problemsOf({ ...REQUIRED, api: 'siem' })).to.deep.equal([
        'region is required for api=siem: use one of eu, us, uk, gcc, gcc_high (the data location of your Defender tenant).',
      ]);
    });

    it('reads GCC-High as gcc_high', () => {
      expect(resolve({ api: 'mde', region: 'GCC-High' }).config.region).to.equal('gcc_high');
    });

    it('still checks the region when the api is wrong, so both come in one pass', () => {
      expect(problemsOf({ ...REQUIRED, api: 'xdr', region: 'mars' })[1]).to.equal(
        'region "mars" is not a region of any api: use one of global, gcc, gcc_high, dod, us, eu, uk, au, swa, as the chosen api allows.',
      );
      expect(problemsOf({ ...REQUIRED, api: 'xdr', region: 'eu' })).to.have.length(1);
    });
  });

  describe('start_time', () => {
    const GOOD: Array<[string, unknown]> = [
      ['-45s', { kind: 'relative', seconds: 45 }],
      ['-30m', { kind: 'relative', seconds: 1_800 }],
      ['-24h', { kind: 'relative', seconds: 86_400 }],
      ['-7d', { kind: 'relative', seconds: 604_800 }],
      ['-2w', { kind: 'relative', seconds: 1_209_600 }],
      ['-365d', { kind: 'relative', seconds: 31_536_000 }],
      ['-0m', { kind: 'relative', seconds: 0 }],
      ['2024-05-01T10:00:00Z', { kind: 'absolute', time: parseApiTime('2024-05-01T10:00:00.0000000Z') }],
      ['2024-05-01T10:00:00.1234567Z', { kind: 'absolute', time: parseApiTime('2024-05-01T10:00:00.1234567Z') }],
      ['2024-05-01T12:00:00+02:00', { kind: 'absolute', time: parseApiTime('2024-05-01T10:00:00.0000000Z') }],
      ['2024-05-01T10:00:00', { kind: 'absolute', time: parseApiTime('2024-05-01T10:00:00.0000000Z') }],
      ['2024-05-01', { kind: 'absolute', time: parseApiTime('2024-05-01T00:00:00.0000000Z') }],
    ];
    for (const [text, expected] of GOOD) {
      it(`reads ${text}`, () => {
        expect(resolve({ start_time: text }).config.startTime).to.deep.equal(expected);
      });
    }

    for (const bad of [
      '24h',
      '-24',
      '-1y',
      '-5M',
      'yesterday',
      '2024-13-01',
      '2024-02-30',
      '2024-05-01T25:00:00Z',
      '05/01/2024',
    ]) {
      it(`rejects ${JSON.stringify(bad)}, showing both accepted forms`, () => {
        expect(problemsOf({ ...REQUIRED, start_time: bad })).to.deep.equal([
          `start_time "${bad}" is not a time: use an ISO-8601 UTC time such as 2024-05-01T00:00:00Z, or a relative time such as -30m, -24h or -7d (units s, m, h, d, w).`,
        ]);
      });
    }

    it('rejects a relative time beyond 365 days, pointing to an absolute time', () => {
      expect(problemsOf({ ...REQUIRED, start_time: '-366d' })).to.deep.equal([
        'start_time "-366d" reaches back more than 365 days: use an absolute time such as 2024-01-01T00:00:00Z to start earlier.',
      ]);
    });
  });

  describe('overlap_seconds', () => {
    it('accepts 0 to 86400', () => {
      expect(resolve({ overlap_seconds: '0' }).config.overlapSeconds).to.equal(0);
      expect(resolve({ overlap_seconds: '86400' }).config.overlapSeconds).to.equal(86_400);
    });

    for (const bad of ['-1', '1.5', '5m', 'abc', '1e3']) {
      it(`rejects ${JSON.stringify(bad)} as not a whole number`, () => {
        expect(problemsOf({ ...REQUIRED, overlap_seconds: bad })).to.deep.equal([
          `overlap_seconds "${bad}" is not a whole number: use a whole number of seconds from 0 to 86400, e.g. 300.`,
        ]);
      });
    }

    it('rejects more than a day, saying the maximum', () => {
      expect(problemsOf({ ...REQUIRED, overlap_seconds: '86401' })).to.deep.equal([
        'overlap_seconds 86401 is above the maximum of 86400 (one day): use a whole number of seconds from 0 to 86400, e.g. 300.',
      ]);
    });
  });

  describe('filter', () => {
    for (const good of [
      "severity eq 'high'",
      "severity eq 'high' and (status eq 'new' or status eq 'inProgress')",
      "title eq 'A & B ($top=5)'",
      "title eq 'it''s (odd'",
    ]) {
      it(`accepts ${good}`, () => {
        expect(resolve({ filter: good }).config.filter).to.equal(good);
      });
    }

    const BAD: Array<[string, RegExp]> = [
      ["$filter=severity eq 'high'", /^filter starts with \$filter=: write only the condition/],
      ["severity eq 'high'&$top=5", /adds other query options \(& or \$name=\)/],
      ['$top=5', /adds other query options/],
      ["severity eq 'high') or (true", /closes a parenthesis it did not open: balance its parentheses\.$/],
      ["(severity eq 'high'", /leaves a parenthesis open: balance its parentheses\.$/],
      ["title eq 'oops", /leaves a quoted string open/],
      ["severity eq 'high'\nand x", /^filter holds a line break/],
      ['x'.repeat(2_001), /^filter is 2001 characters long: keep it under 2000\.$/],
    ];
    for (const [bad, message] of BAD) {
      it(`rejects ${JSON.stringify(bad.slice(0, 40))}`, () => {
        const problems = problemsOf({ ...REQUIRED, filter: bad });
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(message);
      });
    }
  });

  describe('api_url and login_url', () => {
    it('trims a trailing slash and lower-cases the host', () => {
      const { config } = resolve({
        api_url: 'https://Gateway.Example.com/defender/',
        login_url: 'https://LOGIN.example.com:443/',
      });
      expect(config.apiUrl).to.equal('https://gateway.example.com/defender');
      expect(config.loginUrl).to.equal('https://login.example.com');
      expect(config.endpoints.alertsUrl).to.equal('https://gateway.example.com/defender/v1.0/security/alerts_v2');
      expect(config.endpoints.authority).to.equal(`https://login.example.com/${TENANT}`);
      expect(config.endpoints.knownAuthorities).to.deep.equal(['login.example.com']);
    });

    it('rejects a URL that is not https', () => {
      expect(problemsOf({ ...REQUIRED, api_url: 'http://localhost:8080' })).to.deep.equal([
        'api_url "http://localhost:8080" is not an https URL: use https:// (tokens and alerts must not travel unencrypted), e.g. https://api-eu.securitycenter.microsoft.com.',
      ]);
      expect(problemsOf({ ...REQUIRED, login_url: 'ftp://login.example.com' })[0]).to.match(
        /^login_url "ftp:\/\/login.example.com" is not an https URL/,
      );
    });

    it('rejects a query string or a fragment', () => {
      expect(problemsOf({ ...REQUIRED, api_url: 'https://h.example.com/?x=1' })[0]).to.match(
        /^api_url "https:\/\/h.example.com\/\?x=1" has a query string or fragment: give the base URL only/,
      );
      expect(problemsOf({ ...REQUIRED, login_url: 'https://h.example.com#frag' })[0]).to.match(
        /^login_url .* has a query string or fragment/,
      );
      expect(problemsOf({ ...REQUIRED, login_url: 'https://h.example.com/?' })[0]).to.match(
        /has a query string or fragment/,
      );
    });

    it('rejects something that is not a URL', () => {
      expect(problemsOf({ ...REQUIRED, api_url: 'api.security.microsoft.com' })).to.deep.equal([
        'api_url "api.security.microsoft.com" is not a URL: use an https base URL such as https://api-eu.securitycenter.microsoft.com, or leave it empty.',
      ]);
    });

    it('rejects user-info without showing it', () => {
      expect(problemsOf({ ...REQUIRED, api_url: 'https://me:pw@h.example.com' })).to.deep.equal([
        'api_url holds a user name or password (value not shown): remove the user:password@ part; credentials belong in client_id and client_secret.',
      ]);
    });
  });

  describe('proxy_url', () => {
    for (const good of [
      'http://proxy.example.com:3128',
      'https://proxy.example.com:8443/',
      'http://user:p%40ss@10.0.0.1:8080',
      'http://[::1]:3128',
    ]) {
      it(`accepts ${good}`, () => {
        expect(resolve({ proxy_url: good }).config.proxyUrl).to.equal(good);
      });
    }

    for (const bad of [
      'proxy.example.com:3128',
      'http://proxy.example.com',
      'socks5://proxy:1080',
      'http://proxy:99999',
      'http://proxy:3128/path',
    ]) {
      it(`rejects ${bad} without echoing it`, () => {
        expect(problemsOf({ ...REQUIRED, proxy_url: bad })).to.deep.equal([
          'proxy_url is not a proxy URL (value not shown, it may hold a password): use http://host:port or https://host:port, optionally with user:password@ before the host (percent-encode @, : and / inside them), or leave it empty for no proxy.',
        ]);
      });
    }
  });

  describe('account', () => {
    const account = { name: 'contoso', tenantId: TENANT, clientId: CLIENT, region: 'eu', loginUrl: undefined };

    it('takes tenant, client and region from the account the stanza names, and the secret stays with the account', () => {
      const { config } = resolveConfig(stanza({ account: 'contoso', api: 'mde' }), { mode: 'run', account });
      expect(config).to.deep.include({
        tenantId: TENANT,
        clientId: CLIENT,
        region: 'eu',
        clientSecret: { kind: 'account', account: 'contoso' },
      });
      expect(config.endpoints.alertsUrl).to.equal('https://eu.api.security.microsoft.com/api/alerts');
    });

    it("uses the api's default region when the account has none", () => {
      const { config } = resolveConfig(stanza({ account: 'contoso' }), {
        mode: 'run',
        account: { ...account, region: undefined },
      });
      expect(config.region).to.equal('global');
    });

    it("refuses the account's own fields set in the stanza too, naming each", () => {
      const problems = problemsOf(
        { account: 'contoso', api: 'mde', tenant_id: TENANT, client_secret: SECRET },
        undefined,
        { mode: 'run', account },
      );
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^tenant_id is set together with account "contoso": leave tenant_id empty/);
      expect(problems[1]).to.match(/^client_secret is set together with account "contoso"/);
      expect(problems.join(' ')).not.to.include(SECRET);
    });

    it('refuses an account whose region the api does not have, saying where to change it', () => {
      const [problem] = problemsOf({ account: 'contoso', api: 'siem' }, undefined, {
        mode: 'run',
        account: { ...account, region: 'global' },
      });
      expect(problem).to.match(/Account "contoso" has region global, which api=siem does not have/);
    });

    it('refuses an account that could not be read, and a name splunkd could not hold', () => {
      expect(problemsOf({ account: 'missing' })).to.deep.equal([
        'account "missing" could not be read: check that it exists on the add-on\'s Configuration page.',
      ]);
      expect(problemsOf({ account: 'a/b' })[0]).to.match(/^account: Account name "a\/b" is not usable/);
    });

    it("still requires the input's own credentials when no account is named", () => {
      expect(problemsOf({}).map((p) => p.split(' ')[0])).to.deep.equal(['tenant_id', 'client_id', 'client_secret']);
    });
  });

  describe('unknown parameters', () => {
    it('warns about a likely typo, suggesting the argument, without failing', () => {
      const { config, warnings } = resolve({ tenantid: 'x', 'overlap-seconds': '5', regoin: 'eu' });
      expect(config.overlapSeconds).to.equal(300);
      expect(warnings).to.deep.equal([
        'Parameter "tenantid" is not an argument of defender_alerts and is ignored: did you mean tenant_id?',
        'Parameter "overlap-seconds" is not an argument of defender_alerts and is ignored: did you mean overlap_seconds?',
        'Parameter "regoin" is not an argument of defender_alerts and is ignored: did you mean region?',
      ]);
    });

    it('lists the arguments when nothing is close', () => {
      expect(resolve({ page_size: '100' }).warnings).to.deep.equal([
        'Parameter "page_size" is not an argument of defender_alerts and is ignored: check its spelling; the ' +
          'arguments are account, tenant_id, client_id, client_secret, api, region, start_time, overlap_seconds, ' +
          'filter, api_url, login_url, proxy_url, replay_from, include_alerts.',
      ]);
    });

    it("warns in validate mode too, and ignores Splunk's routing keys", () => {
      expect(
        resolve({ apiurl: 'https://x.example.com', _SYSLOG_ROUTING: 'g' }, { mode: 'validate' }).warnings,
      ).to.have.length(1);
    });
  });
});
