import { expect } from 'chai';
import {
  CLOUDS,
  DEFAULT_REGIONS,
  findCloud,
  listRegions,
  normaliseBaseUrl,
  resolveEndpoints,
} from '../../../src/defender/clouds.js';
import type { Api } from '../../../src/config/types.js';
import { ConfigError } from '../../../src/errors.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const COM = 'https://login.microsoftonline.com';
const US = 'https://login.microsoftonline.us';

/** The expected values, copied by hand from Microsoft's national-cloud and Defender for Endpoint government
 * pages (never from CLOUDS). */
const EXPECTED: Array<{ api: Api; region: string; alertsUrl: string; apiBase: string; login: string; scope: string }> =
  [
    {
      api: 'graph',
      region: 'global',
      alertsUrl: 'https://graph.microsoft.com/v1.0/security/alerts_v2',
      apiBase: 'https://graph.microsoft.com/v1.0',
      login: COM,
      scope: 'https://graph.microsoft.com/.default',
    },
    {
      api: 'graph',
      region: 'gcc',
      alertsUrl: 'https://graph.microsoft.com/v1.0/security/alerts_v2',
      apiBase: 'https://graph.microsoft.com/v1.0',
      login: COM,
      scope: 'https://graph.microsoft.com/.default',
    },
    {
      api: 'graph',
      region: 'gcc_high',
      alertsUrl: 'https://graph.microsoft.us/v1.0/security/alerts_v2',
      apiBase: 'https://graph.microsoft.us/v1.0',
      login: US,
      scope: 'https://graph.microsoft.us/.default',
    },
    {
      api: 'graph',
      region: 'dod',
      alertsUrl: 'https://dod-graph.microsoft.us/v1.0/security/alerts_v2',
      apiBase: 'https://dod-graph.microsoft.us/v1.0',
      login: US,
      scope: 'https://dod-graph.microsoft.us/.default',
    },
    {
      api: 'incidents',
      region: 'global',
      alertsUrl: 'https://graph.microsoft.com/v1.0/security/incidents',
      apiBase: 'https://graph.microsoft.com/v1.0',
      login: COM,
      scope: 'https://graph.microsoft.com/.default',
    },
    {
      api: 'incidents',
      region: 'gcc',
      alertsUrl: 'https://graph.microsoft.com/v1.0/security/incidents',
      apiBase: 'https://graph.microsoft.com/v1.0',
      login: COM,
      scope: 'https://graph.microsoft.com/.default',
    },
    {
      api: 'incidents',
      region: 'gcc_high',
      alertsUrl: 'https://graph.microsoft.us/v1.0/security/incidents',
      apiBase: 'https://graph.microsoft.us/v1.0',
      login: US,
      scope: 'https://graph.microsoft.us/.default',
    },
    {
      api: 'incidents',
      region: 'dod',
      alertsUrl: 'https://dod-graph.microsoft.us/v1.0/security/incidents',
      apiBase: 'https://dod-graph.microsoft.us/v1.0',
      login: US,
      scope: 'https://dod-graph.microsoft.us/.default',
    },
    {
      api: 'mde',
      region: 'global',
      alertsUrl: 'https://api.security.microsoft.com/api/alerts',
      apiBase: 'https://api.security.microsoft.com',
      login: COM,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    },
    {
      api: 'mde',
      region: 'us',
      alertsUrl: 'https://us.api.security.microsoft.com/api/alerts',
      apiBase: 'https://us.api.security.microsoft.com',
      login: COM,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    },
    {
      api: 'mde',
      region: 'eu',
      alertsUrl: 'https://eu.api.security.microsoft.com/api/alerts',
      apiBase: 'https://eu.api.security.microsoft.com',
      login: COM,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    },
    {
      api: 'mde',
      region: 'uk',
      alertsUrl: 'https://uk.api.security.microsoft.com/api/alerts',
      apiBase: 'https://uk.api.security.microsoft.com',
      login: COM,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    },
    {
      api: 'mde',
      region: 'au',
      alertsUrl: 'https://au.api.security.microsoft.com/api/alerts',
      apiBase: 'https://au.api.security.microsoft.com',
      login: COM,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    },
    {
      api: 'mde',
      region: 'swa',
      alertsUrl: 'https://swa.api.security.microsoft.com/api/alerts',
      apiBase: 'https://swa.api.security.microsoft.com',
      login: COM,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    },
    {
      api: 'mde',
      region: 'gcc',
      alertsUrl: 'https://api-gcc.securitycenter.microsoft.us/api/alerts',
      apiBase: 'https://api-gcc.securitycenter.microsoft.us',
      login: COM,
      scope: 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
    },
    {
      api: 'mde',
      region: 'gcc_high',
      alertsUrl: 'https://api-gov.securitycenter.microsoft.us/api/alerts',
      apiBase: 'https://api-gov.securitycenter.microsoft.us',
      login: US,
      scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
    },
    {
      api: 'mde',
      region: 'dod',
      alertsUrl: 'https://api-gov.securitycenter.microsoft.us/api/alerts',
      apiBase: 'https://api-gov.securitycenter.microsoft.us',
      login: US,
      scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
    },
    {
      api: 'siem',
      region: 'eu',
      alertsUrl: 'https://wdatp-alertexporter-eu.windows.com/api/alerts',
      apiBase: 'https://wdatp-alertexporter-eu.windows.com',
      login: COM,
      scope: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default',
    },
    {
      api: 'siem',
      region: 'us',
      alertsUrl: 'https://wdatp-alertexporter-us.windows.com/api/alerts',
      apiBase: 'https://wdatp-alertexporter-us.windows.com',
      login: COM,
      scope: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default',
    },
    {
      api: 'siem',
      region: 'uk',
      alertsUrl: 'https://wdatp-alertexporter-uk.windows.com/api/alerts',
      apiBase: 'https://wdatp-alertexporter-uk.windows.com',
      login: COM,
      scope: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default',
    },
    {
      api: 'siem',
      region: 'gcc',
      alertsUrl: 'https://wdatp-alertexporter-us.gcc.securitycenter.windows.us/api/alerts',
      apiBase: 'https://wdatp-alertexporter-us.gcc.securitycenter.windows.us',
      login: COM,
      scope: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default',
    },
    {
      api: 'siem',
      region: 'gcc_high',
      alertsUrl: 'https://wdatp-alertexporter-us.securitycenter.windows.us/api/alerts',
      apiBase: 'https://wdatp-alertexporter-us.securitycenter.windows.us',
      login: US,
      scope: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default',
    },
  ];

describe('defender/clouds', () => {
  describe('resolveEndpoints for every api × region', () => {
    for (const row of EXPECTED) {
      it(`gives the documented hosts and scope for api=${row.api} region=${row.region}`, () => {
        expect(resolveEndpoints({ api: row.api, region: row.region, tenantId: TENANT })).to.deep.equal({
          alertsUrl: row.alertsUrl,
          apiBase: row.apiBase,
          authority: `${row.login}/${TENANT}`,
          scope: row.scope,
          knownAuthorities: [],
        });
      });
    }
  });

  it('lists exactly the contract regions per api, in the contract order', () => {
    expect(listRegions('graph')).to.deep.equal(['global', 'gcc', 'gcc_high', 'dod']);
    expect(listRegions('incidents')).to.deep.equal(['global', 'gcc', 'gcc_high', 'dod']);
    expect(listRegions('mde')).to.deep.equal(['global', 'us', 'eu', 'uk', 'au', 'swa', 'gcc', 'gcc_high', 'dod']);
    expect(listRegions('siem')).to.deep.equal(['eu', 'us', 'uk', 'gcc', 'gcc_high']);
    const tabled = EXPECTED.map((row) => `${row.api}/${row.region}`).sort();
    const all = (Object.keys(CLOUDS) as Api[])
      .flatMap((api) => listRegions(api).map((region) => `${api}/${region}`))
      .sort();
    expect(all).to.deep.equal(tabled);
  });

  it('defaults graph, incidents and mde to global and gives siem no default region', () => {
    expect(DEFAULT_REGIONS).to.deep.equal({ graph: 'global', incidents: 'global', mde: 'global', siem: undefined });
  });

  it('rejects a region the api does not have, listing the regions it has', () => {
    expect(() => resolveEndpoints({ api: 'siem', region: 'global', tenantId: TENANT })).to.throw(
      ConfigError,
      'region "global" does not exist for api=siem: use one of eu, us, uk, gcc, gcc_high.',
    );
    expect(() => resolveEndpoints({ api: 'graph', region: 'eu', tenantId: TENANT })).to.throw(ConfigError, /api=graph/);
  });

  it('does not mistake inherited object keys for regions', () => {
    expect(findCloud('graph', 'toString')).to.equal(undefined);
    expect(findCloud('mde', '__proto__')).to.equal(undefined);
  });

  describe('api_url and login_url overrides', () => {
    it('replaces only the API host, keeping the api path and the region scope', () => {
      const graph = resolveEndpoints({
        api: 'graph',
        region: 'gcc_high',
        tenantId: TENANT,
        apiUrl: 'https://localhost:8443',
      });
      expect(graph.alertsUrl).to.equal('https://localhost:8443/v1.0/security/alerts_v2');
      expect(graph.apiBase).to.equal('https://localhost:8443/v1.0');
      expect(graph.scope).to.equal('https://graph.microsoft.us/.default');
      expect(graph.authority).to.equal(`${US}/${TENANT}`);
      expect(graph.knownAuthorities).to.deep.equal([]);
      const mde = resolveEndpoints({
        api: 'mde',
        region: 'global',
        tenantId: TENANT,
        apiUrl: 'https://api-eu.securitycenter.microsoft.com/',
      });
      expect(mde.alertsUrl).to.equal('https://api-eu.securitycenter.microsoft.com/api/alerts');
    });

    it('keeps a path prefix of api_url in front of the api path', () => {
      const siem = resolveEndpoints({
        api: 'siem',
        region: 'eu',
        tenantId: TENANT,
        apiUrl: 'https://gateway.example.com/defender//',
      });
      expect(siem.alertsUrl).to.equal('https://gateway.example.com/defender/api/alerts');
      expect(siem.apiBase).to.equal('https://gateway.example.com/defender');
    });

    it('builds the authority on login_url and declares its host:port as a known authority', () => {
      const endpoints = resolveEndpoints({
        api: 'graph',
        region: 'global',
        tenantId: 'contoso.onmicrosoft.com',
        loginUrl: 'https://localhost:8443/',
      });
      expect(endpoints.authority).to.equal('https://localhost:8443/contoso.onmicrosoft.com');
      expect(endpoints.knownAuthorities).to.deep.equal(['localhost:8443']);
    });

    it('writes the authority host exactly as the known authority, whatever the case or a default port', () => {
      const endpoints = resolveEndpoints({
        api: 'mde',
        region: 'global',
        tenantId: TENANT,
        loginUrl: 'https://Login.Example.COM:443',
      });
      expect(endpoints.authority).to.equal(`https://login.example.com/${TENANT}`);
      expect(endpoints.knownAuthorities).to.deep.equal(['login.example.com']);
    });
  });

  it('normalises a base URL: lower-case host, no default port, no trailing slash', () => {
    expect(normaliseBaseUrl('https://EXAMPLE.com:443/a/b/')).to.equal('https://example.com/a/b');
    expect(normaliseBaseUrl('https://127.0.0.1:9443')).to.equal('https://127.0.0.1:9443');
  });
});
