import { expect } from 'chai';
import { resolveStreamConfig } from '../../../src/config/stream-resolve.js';
import { buildStreamScheme } from '../../../src/config/stream-scheme.js';
import { ConfigError } from '../../../src/errors.js';

const SAS =
  'Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=splunk;SharedAccessKey=c2VjcmV0S2V5VmFsdWU=';
const TENANT = '8f1c3e4a-2b6d-4c1e-9a7f-5d3b2e1c0a9b';
const CLIENT = '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b';

function resolve(params: Record<string, string>, mode: 'run' | 'validate' = 'run') {
  return resolveStreamConfig(
    { name: mode === 'run' ? 'defender_stream://prod' : 'prod', app: 'search', params },
    { mode },
  );
}

function problems(params: Record<string, string>): string {
  try {
    resolve(params);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config/stream-resolve: defender_stream stanzas', () => {
  const base = {
    event_hub_namespace: 'contoso.servicebus.windows.net',
    event_hub_name: 'defender',
    connection_string: SAS,
  };

  it('resolves a SAS stanza with the defaults', () => {
    const { config } = resolve({ ...base, index: 'default', host: '$decideOnStartup' });
    expect(config).to.deep.include({
      stanza: 'defender_stream://prod',
      name: 'prod',
      app: 'search',
      namespace: 'contoso.servicebus.windows.net',
      hub: 'defender',
      consumerGroup: '$Default',
      region: 'global',
      startPosition: { kind: 'earliest' },
      customEndpointAddress: undefined,
      proxyUrl: undefined,
      replayFrom: undefined,
      index: undefined,
      host: undefined,
      sourcetype: 'ms:defender:eventhub',
    });
    expect(config.auth).to.deep.equal({ kind: 'sas', connectionString: { kind: 'clear', value: SAS } });
    expect(config.categories.size).to.equal(0);
  });

  it('reads start positions: earliest, latest, ISO times, relative times', () => {
    expect(resolve({ ...base, start_position: 'LATEST' }).config.startPosition).to.deep.equal({ kind: 'latest' });
    expect(resolve({ ...base, start_position: '-24h' }).config.startPosition).to.deep.equal({
      kind: 'time',
      time: { kind: 'relative', seconds: 86_400 },
    });
    expect(resolve({ ...base, start_position: '2026-12-01T00:00:00Z' }).config.startPosition).to.deep.equal({
      kind: 'time',
      time: { kind: 'absolute', time: BigInt(Date.UTC(2026, 11, 1)) * 10_000n },
    });
    expect(problems({ ...base, start_position: 'yesterday' })).to.match(
      /^start_position "yesterday" is not a time: .* or earliest or latest\.$/,
    );
  });

  it('appends the cloud suffix to a bare namespace and reads the region', () => {
    expect(resolve({ ...base, event_hub_namespace: 'contoso' }).config.namespace).to.equal(
      'contoso.servicebus.windows.net',
    );
    expect(resolve({ ...base, event_hub_namespace: 'contoso', region: 'GCC-High' }).config.namespace).to.equal(
      'contoso.servicebus.usgovcloudapi.net',
    );
    expect(resolve({ ...base, event_hub_namespace: 'sb://contoso.servicebus.windows.net/' }).config.namespace).to.equal(
      'contoso.servicebus.windows.net',
    );
    expect(problems({ ...base, region: 'mars' })).to.include('region "mars" is not an Azure cloud');
  });

  it('keeps categories case-insensitively, and endpoint_url as the SDK custom endpoint', () => {
    const { config } = resolve({
      ...base,
      categories: 'AdvancedHunting-DeviceProcessEvents, advancedhunting-alertinfo,',
      endpoint_url: 'amqps://pe.contoso.internal:5671',
    });
    expect([...config.categories]).to.deep.equal(['advancedhunting-deviceprocessevents', 'advancedhunting-alertinfo']);
    expect(config.customEndpointAddress).to.equal('sb://pe.contoso.internal:5671');
    expect(problems({ ...base, endpoint_url: 'http://x:80' })).to.include('endpoint_url');
  });

  it('resolves Entra ID credentials with the region authority, or login_url', () => {
    const entra = {
      event_hub_namespace: 'contoso',
      event_hub_name: 'defender',
      tenant_id: TENANT,
      client_id: CLIENT,
      client_secret: 's3cret',
    };
    const { config } = resolve({ ...entra, region: 'dod' });
    expect(config.auth).to.deep.equal({
      kind: 'entra',
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: { kind: 'clear', value: 's3cret' },
      authority: `https://login.microsoftonline.us/${TENANT}`,
      knownAuthorities: [],
    });
    const custom = resolve({ ...entra, login_url: 'https://127.0.0.1:8443/' }).config.auth;
    expect(custom).to.deep.include({
      authority: `https://127.0.0.1:8443/${TENANT}`,
      knownAuthorities: ['127.0.0.1:8443'],
    });
    expect(resolve({ ...entra, client_secret: '<encrypted>' }).config.auth).to.deep.include({
      clientSecret: { kind: 'masked' },
    });
  });

  it('lists every problem at once, naming the field and the fix, without echoing secrets', () => {
    const text = problems({
      event_hub_name: 'bad name!',
      connection_string: 'Endpoint=x;SharedAccessKey=TopSecret',
      proxy_url: 'http://u:Pw0rd@proxy',
    });
    expect(text).to.include('event_hub_namespace is required');
    expect(text).to.include('event_hub_name "bad name!" is not an Event Hubs name');
    expect(text).to.include('connection_string is not an Event Hubs connection string');
    expect(text).to.include('proxy_url is not a proxy URL');
    expect(text).to.not.include('TopSecret').and.not.include('Pw0rd');
  });

  it('refuses two ways to sign in, none at all, and a connection string for another hub', () => {
    expect(problems({ ...base, tenant_id: TENANT })).to.include('connection_string is set together with tenant_id');
    expect(problems({ event_hub_namespace: 'c', event_hub_name: 'defender' })).to.match(
      /^No credentials: set connection_string/,
    );
    expect(problems({ ...base, connection_string: `${SAS};EntityPath=other` })).to.include(
      'connection_string is for the event hub "other" but event_hub_name is "defender"',
    );
    expect(
      problems({ event_hub_namespace: 'c', event_hub_name: 'defender', tenant_id: 'x', client_id: CLIENT }),
    ).to.include('tenant_id "x"');
  });

  it('accepts the mask for connection_string, and an item name in validation', () => {
    expect(resolve({ ...base, connection_string: '<encrypted>' }, 'validate').config.auth).to.deep.equal({
      kind: 'sas',
      connectionString: { kind: 'masked' },
    });
  });

  it("warns about parameters it does not know, and keeps Splunk's own", () => {
    const { warnings } = resolve({ ...base, interval: '60', index: 'main', cateogries: 'x' });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include('"cateogries" is not an argument of defender_stream');
  });

  it('has a scheme with every argument titled and described, validation external', () => {
    const scheme = buildStreamScheme();
    expect(scheme.useExternalValidation).to.equal(true);
    expect(scheme.streamingMode).to.equal('xml');
    for (const arg of scheme.args) {
      expect(arg.title, arg.name).to.not.equal('');
      expect(arg.description, arg.name).to.not.equal('');
    }
    expect(scheme.args.find((a) => a.name === 'consumer_group')!.description).to.include('dedicated');
  });
});
