import { expect } from 'chai';
import {
  ACCOUNT_REGIONS,
  accountNameProblem,
  accountSecretUser,
  clientSecretProblem,
  clientSecretWarning,
  parseAccount,
  resolveAccountRegion,
  type Account,
} from '../../../src/config/accounts.js';
import { listRegions } from '../../../src/defender/clouds.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { ConfigError } from '../../../src/errors.js';

const TENANT = '9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a5b';
const CLIENT = '0b5c1c6e-3d8e-4a43-9f3b-1c2d3e4f5a6b';

function problemsOf(name: string, raw: Record<string, string>) {
  const parsed = parseAccount(name, raw);
  if (parsed.ok) expect.fail('expected problems');
  return parsed.problems;
}

describe('accounts (ta_microsoft_defender_account.conf)', () => {
  it('parses a stanza into a typed account, normalising the region and the login URL', () => {
    const parsed = parseAccount('contoso_prod', {
      tenant_id: ` ${TENANT} `,
      client_id: CLIENT,
      region: 'GCC-High',
      login_url: 'https://Login.Example:443/base/',
      disabled: '0',
    });
    expect(parsed).to.deep.equal({
      ok: true,
      account: {
        name: 'contoso_prod',
        tenantId: TENANT,
        clientId: CLIENT,
        region: 'gcc_high',
        loginUrl: 'https://login.example/base',
      },
    });
  });

  it('treats empty region and login_url as absent (Splunk Web posts empty fields)', () => {
    const parsed = parseAccount('a', {
      tenant_id: 'contoso.onmicrosoft.com',
      client_id: CLIENT,
      region: '',
      login_url: '',
    });
    expect(parsed.ok && parsed.account).to.deep.include({
      region: undefined,
      loginUrl: undefined,
      tenantId: 'contoso.onmicrosoft.com',
    });
  });

  it('lists every problem at once, each naming its field and the fix', () => {
    const problems = problemsOf('bad name!', {
      tenant_id: 'not a tenant',
      client_id: '12345',
      region: 'mars',
      login_url: 'http://login.example',
    });
    expect(problems.map((p) => p.field)).to.deep.equal(['name', 'tenant_id', 'client_id', 'region', 'login_url']);
    expect(problems[1]!.message).to.match(
      /^tenant_id "not a tenant" is not a GUID or a domain name: copy the Directory \(tenant\) ID/,
    );
    expect(problems[2]!.message).to.match(/^client_id "12345" is not a GUID: copy the Application \(client\) ID/);
    expect(problems[3]!.message).to.contain('use one of global, gcc, gcc_high, dod, us, eu, uk, au, swa');
    expect(problems[4]!.message).to.match(/^login_url "http:\/\/login.example" is not an https URL/);
  });

  it('requires tenant_id and client_id', () => {
    const problems = problemsOf('a', {});
    expect(problems.map((p) => p.field)).to.deep.equal(['tenant_id', 'client_id']);
    expect(problems[0]!.message).to.match(/^tenant_id is required: /);
  });

  it('never echoes a login_url that holds user-info', () => {
    const problems = problemsOf('a', {
      tenant_id: TENANT,
      client_id: CLIENT,
      login_url: 'http://user:Sup3rSecret@login.example',
    });
    expect(problems[0]!.message).to.not.contain('Sup3rSecret');
  });

  it('accepts account names safe in a stanza, a REST path and a storage/passwords user, and refuses the rest', () => {
    for (const good of ['a', 'contoso_prod', 'Tenant-2.eu', '9lives', 'x'.repeat(50)])
      expect(accountNameProblem(good), good).to.equal(undefined);
    for (const bad of ['', 'default', '_x', 'a b', 'a/b', 'a:b', 'a#b', 'x'.repeat(51), 'é'])
      expect(accountNameProblem(bad), bad).to.be.a('string');
  });

  it("takes its regions from the inputs' cloud table: every region of every api, each once", () => {
    const union = new Set(['graph', 'mde', 'siem'].flatMap((api) => listRegions(api as 'graph')));
    expect([...ACCOUNT_REGIONS].sort()).to.deep.equal([...union].sort());
  });

  it('resolves the region an api uses with the account, or says what to change', () => {
    const account = (region: string | undefined): Account => ({
      name: 'acme',
      tenantId: TENANT,
      clientId: CLIENT,
      region,
      loginUrl: undefined,
    });
    expect(resolveAccountRegion(account(undefined), 'graph')).to.deep.equal({ ok: true, region: 'global' });
    expect(resolveAccountRegion(account('eu'), 'mde')).to.deep.equal({ ok: true, region: 'eu' });
    const noRegion = resolveAccountRegion(account(undefined), 'siem');
    expect(noRegion.ok === false && noRegion.problem).to.match(
      /^Account "acme" has no region, which api=siem needs: set its region to one of eu, us, uk, gcc, gcc_high/,
    );
    const wrong = resolveAccountRegion(account('swa'), 'graph');
    expect(wrong.ok === false && wrong.problem).to.contain('region swa, which api=graph does not have');
  });

  it('requires the secret only when the account is created, and warns about a Secret ID', () => {
    expect(clientSecretProblem(undefined, true)).to.match(/^client_secret is required: paste the secret's Value/);
    expect(clientSecretProblem('', false)).to.equal(undefined);
    expect(clientSecretWarning(CLIENT)).to.match(/shape of a GUID/);
    expect(clientSecretWarning('a~b.c_d')).to.equal(undefined);
  });

  it("stores secrets under account#<name>, apart from inputs' secrets (the input name)", () => {
    expect(accountSecretUser('contoso_prod')).to.equal('account#contoso_prod');
  });

  it('gives the inputs the very sentences the page shows for tenant_id, client_id and login_url', () => {
    const raw = { tenant_id: 'not a tenant', client_id: '12345', login_url: 'http://login.example' };
    const fromAccount = problemsOf('a', raw).map((p) => p.message);
    let fromInput: readonly string[] = [];
    try {
      resolveConfig({ name: 'defender_alerts://x', app: '', params: { ...raw, client_secret: 's' } });
    } catch (error) {
      fromInput = (error as ConfigError).problems;
    }
    for (const message of fromAccount) expect(fromInput).to.include(message);
  });
});
