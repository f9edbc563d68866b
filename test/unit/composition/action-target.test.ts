import { expect } from 'chai';
import { chooseActionEndpoints, loadInputCredentials, parseInputName } from '../../../src/composition/action-target.js';
import { ConfigError } from '../../../src/errors.js';

const TENANT = '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a';
const CLIENT = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';

function splunkd(inputs: Record<string, Record<string, string>>, secrets: Record<string, string> = {}) {
  const asked: string[] = [];
  return {
    asked,
    async getInput(scheme: string, name: string) {
      asked.push(`${scheme}://${name}`);
      return inputs[name];
    },
    async getSecret(realm: string, user: string) {
      asked.push(`${realm}:${user}`);
      return secrets[user];
    },
  };
}
const stanza = (extra: Record<string, string>) => ({
  tenant_id: TENANT,
  client_id: CLIENT,
  client_secret: '<encrypted>',
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(ConfigError);
  return error as ConfigError;
}

describe('defender target: which input, secret and hosts an action uses', () => {
  it('accepts the short name or the full stanza name, and refuses an empty one', () => {
    expect(parseInputName(' prod ')).to.equal('prod');
    expect(parseInputName('defender_alerts://prod')).to.equal('prod');
    expect(() => parseInputName('')).to.throw(ConfigError, /input is not set/);
  });

  it('reads the stanza and the stored secret of a masked input', async () => {
    const rest = splunkd({ prod: stanza({ api: 'mde', region: 'eu' }) }, { prod: 's3cret' });
    const { config, secret } = await loadInputCredentials(rest, 'prod');
    expect(secret).to.equal('s3cret');
    expect(config.endpoints.apiBase).to.equal('https://eu.api.security.microsoft.com');
    expect(rest.asked).to.deep.equal(['defender_alerts://prod', 'TA-microsoft-defender:prod']);
  });

  it('uses the clear secret of an input that has not run yet, without reading storage/passwords', async () => {
    const rest = splunkd({ fresh: stanza({ client_secret: 'typed-in' }) });
    expect((await loadInputCredentials(rest, 'fresh')).secret).to.equal('typed-in');
    expect(rest.asked).to.deep.equal(['defender_alerts://fresh']);
  });

  it('names the fix for a missing input, a missing secret and an invalid stanza', async () => {
    expect((await rejection(loadInputCredentials(splunkd({}), 'nope'))).message).to.match(
      /input "nope" is not a defender_alerts input/,
    );
    expect((await rejection(loadInputCredentials(splunkd({ prod: stanza({}) }), 'prod'))).message).to.match(
      /splunkd holds no secret for it/,
    );
    const bad = await rejection(
      loadInputCredentials(splunkd({ prod: stanza({ api: 'mde', region: 'mars' }) }, { prod: 'x' }), 'prod'),
    );
    expect(bad.problems[0]).to.match(/^input prod: region/);
  });

  it('updates Graph alerts through Graph, and everything else through MDE of the same cloud', async () => {
    const load = async (extra: Record<string, string>) =>
      (await loadInputCredentials(splunkd({ i: stanza(extra) }, { i: 'x' }), 'i')).config;
    const graphGov = await load({ api: 'graph', region: 'gcc_high' });
    expect(chooseActionEndpoints(graphGov, 'update_alerts')).to.deep.include({ family: 'graph' });
    expect(chooseActionEndpoints(graphGov, 'update_alerts').endpoints.apiBase).to.equal(
      'https://graph.microsoft.us/v1.0',
    );
    const indicators = chooseActionEndpoints(graphGov, 'submit_indicators');
    expect(indicators.family).to.equal('mde');
    expect(indicators.endpoints.apiBase).to.equal('https://api-gov.securitycenter.microsoft.us');
    expect(indicators.endpoints.authority).to.equal(`https://login.microsoftonline.us/${TENANT}`);

    const siem = await load({ api: 'siem', region: 'uk' });
    expect(chooseActionEndpoints(siem, 'update_alerts').endpoints.apiBase).to.equal(
      'https://uk.api.security.microsoft.com',
    );
    expect(chooseActionEndpoints(siem, 'update_alerts').endpoints.scope).to.equal(
      'https://api.securitycenter.microsoft.com/.default',
    );
  });

  it('refuses to guess the MDE host of a non-MDE input that sets api_url', async () => {
    const config = (
      await loadInputCredentials(
        splunkd({ i: stanza({ api: 'graph', api_url: 'https://graph.private.example' }) }, { i: 'x' }),
        'i',
      )
    ).config;
    expect(chooseActionEndpoints(config, 'update_alerts').endpoints.apiBase).to.equal(
      'https://graph.private.example/v1.0',
    );
    expect(() => chooseActionEndpoints(config, 'submit_indicators')).to.throw(
      ConfigError,
      /use a defender_alerts input with api=mde/,
    );
  });

  it("updates incidents through Graph: the input's own for graph and incidents, its region's Graph cloud otherwise", async () => {
    const load = async (extra: Record<string, string>) =>
      (await loadInputCredentials(splunkd({ i: stanza(extra) }, { i: 'x' }), 'i')).config;
    const incidents = await load({ api: 'incidents', region: 'dod' });
    expect(chooseActionEndpoints(incidents, 'update_incidents').endpoints.apiBase).to.equal(
      'https://dod-graph.microsoft.us/v1.0',
    );
    // Alerts found inside incidents are Graph alerts.
    expect(chooseActionEndpoints(incidents, 'update_alerts').family).to.equal('graph');
    const mdeEu = chooseActionEndpoints(await load({ api: 'mde', region: 'eu' }), 'update_incidents');
    expect(mdeEu).to.deep.include({ family: 'graph' });
    expect(mdeEu.endpoints.apiBase).to.equal('https://graph.microsoft.com/v1.0');
    expect(mdeEu.endpoints.scope).to.equal('https://graph.microsoft.com/.default');
    const siemGov = chooseActionEndpoints(await load({ api: 'siem', region: 'gcc_high' }), 'update_incidents');
    expect(siemGov.endpoints.apiBase).to.equal('https://graph.microsoft.us/v1.0');
    const privateMde = await load({ api: 'mde', api_url: 'https://mde.private.example' });
    expect(() => chooseActionEndpoints(privateMde, 'update_incidents')).to.throw(ConfigError, /Graph host/);
  });
});
