import { expect } from 'chai';
import type { Api, DefenderInputConfig } from '../../../../src/config/types.js';
import { createSource } from '../../../../src/defender/sources/create-source.js';
import { GraphSource } from '../../../../src/defender/sources/graph-source.js';
import { GraphIncidentsSource } from '../../../../src/defender/sources/incidents-source.js';
import { MdeSource } from '../../../../src/defender/sources/mde-source.js';
import { SiemSource } from '../../../../src/defender/sources/siem-source.js';
import type { AlertsSource, IncidentsSource } from '../../../../src/ports.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';
import { collect } from './support.js';

function config(api: Api, alertsUrl: string, filter?: string): DefenderInputConfig {
  return {
    stanza: 'defender_alerts://prod',
    name: 'prod',
    app: 'search',
    tenantId: '00000000-0000-0000-0000-000000000001',
    clientId: '00000000-0000-0000-0000-000000000002',
    clientSecret: { kind: 'masked' },
    api,
    region: 'global',
    startTime: { kind: 'relative', seconds: 86_400 },
    overlapSeconds: 300,
    filter,
    apiUrl: undefined,
    loginUrl: undefined,
    proxyUrl: undefined,
    replayFrom: undefined,
    includeAlerts: true,
    index: undefined,
    sourcetype: 'x',
    host: undefined,
    endpoints: {
      alertsUrl,
      apiBase: 'https://h',
      authority: 'https://login/t',
      scope: 's/.default',
      knownAuthorities: [],
    },
  };
}

function alertsSource(source: AlertsSource | IncidentsSource): AlertsSource {
  if (!('alerts' in source)) throw new Error('expected an alerts source');
  return source;
}

describe('createSource', () => {
  it('builds the source of the configured api', () => {
    const http = new FakeHttpClient();
    const log = new MemoryLogger();
    expect(createSource(config('graph', 'https://g/a'), http, log)).to.be.instanceOf(GraphSource);
    expect(createSource(config('mde', 'https://m/a'), http, log)).to.be.instanceOf(MdeSource);
    expect(createSource(config('siem', 'https://s/a'), http, log)).to.be.instanceOf(SiemSource);
    expect(createSource(config('incidents', 'https://g/i'), http, log)).to.be.instanceOf(GraphIncidentsSource);
  });

  it('reads the endpoint’s alerts URL with the stanza’s filter', async () => {
    const http = new FakeHttpClient().on('https://localhost:8443/api/alerts?*', { body: { value: [] } });
    const mde = config('mde', 'https://localhost:8443/api/alerts', "status eq 'New'");
    await collect(alertsSource(createSource(mde, http, new MemoryLogger())));
    expect(new URL(http.urls[0]!).searchParams.get('$filter')).to.match(/and \(status eq 'New'\)$/);
  });

  it('warns that a filter does nothing for siem, and sends none', async () => {
    const http = new FakeHttpClient().on('https://s/api/alerts?*', { body: [] });
    const log = new MemoryLogger();
    await collect(alertsSource(createSource(config('siem', 'https://s/api/alerts', "status eq 'New'"), http, log)));
    expect(log.lines.filter((line) => line.level === 'WARN').map((line) => line.message)).to.deep.equal([
      'The filter setting is ignored for api=siem (the SIEM exporter has no $filter)',
    ]);
    expect(http.urls[0]).to.not.contain('status');
  });
});
