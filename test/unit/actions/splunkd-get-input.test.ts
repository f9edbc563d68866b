import { expect } from 'chai';
import { createSplunkdClient } from '../../../src/adapters/splunkd-client.js';
import { SplunkdError } from '../../../src/errors.js';
import { startFakeSplunkd, type FakeSplunkd } from '../../harness/fake-splunkd.js';
import { MemoryLogger } from '../../helpers/fake-http-client.js';

const SESSION_KEY = 'sess-get-input-Zx81kq';
const APP = 'TA-microsoft-defender';

describe('splunkd client: reading a modular input stanza (getInput)', () => {
  let splunkd: FakeSplunkd;
  afterEach(() => splunkd.close());

  it('returns the stanza parameters as strings, without splunkd metadata', async () => {
    splunkd = await startFakeSplunkd({
      sessionKey: SESSION_KEY,
      inputStanzas: {
        'defender_alerts://prod': { tenant_id: 'contoso.onmicrosoft.com', client_id: 'c1', api: 'mde', region: 'eu' },
      },
    });
    const client = createSplunkdClient({
      serverUri: splunkd.uri,
      sessionKey: SESSION_KEY,
      app: APP,
      log: new MemoryLogger(),
    });
    const params = await client.getInput('defender_alerts', 'prod');
    expect(params).to.deep.equal({
      tenant_id: 'contoso.onmicrosoft.com',
      client_id: 'c1',
      api: 'mde',
      region: 'eu',
      disabled: '0',
    });
    const request = splunkd.requests.at(-1)!;
    expect(request.path).to.equal(`/servicesNS/nobody/${APP}/data/inputs/defender_alerts/prod`);
    expect(request.method).to.equal('GET');
  });

  it('returns undefined for a stanza that does not exist', async () => {
    splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY, inputStanzas: {} });
    const client = createSplunkdClient({
      serverUri: splunkd.uri,
      sessionKey: SESSION_KEY,
      app: APP,
      log: new MemoryLogger(),
    });
    expect(await client.getInput('defender_alerts', 'nope')).to.equal(undefined);
  });

  it('fails with a SplunkdError that does not carry the session key when the key is refused', async () => {
    splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY, inputStanzas: {} });
    const client = createSplunkdClient({
      serverUri: splunkd.uri,
      sessionKey: `${SESSION_KEY}-stale`,
      app: APP,
      log: new MemoryLogger(),
    });
    const error = await client.getInput('defender_alerts', 'prod').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(SplunkdError);
    expect((error as SplunkdError).code).to.equal('splunkd_unauthorized');
    expect((error as Error).message).not.to.include(SESSION_KEY);
  });
});
