import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from './emulator.js';
import { call, CLIENT, SECRET, TENANT, type TestResponse } from './test-client.js';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

describe('emulator: Entra ID', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator();
    emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ['SecurityAlert.Read.All'] });
    emu.addApp({
      tenantId: TENANT,
      clientId: '99999999-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      secret: 'old',
      roles: [],
      secretExpired: true,
    });
  });
  after(() => emu.close());

  const tokenRequest = (
    form: Record<string, string>,
    tenant = TENANT,
    path = 'oauth2/v2.0/token',
    headers: Record<string, string> = {},
  ): Promise<TestResponse> =>
    call(emu.ca, `${emu.urls.login}/${tenant}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  const good = {
    client_id: CLIENT,
    client_secret: SECRET,
    scope: 'https://graph.microsoft.com/.default',
    grant_type: 'client_credentials',
  };

  const expectAadError = (res: TestResponse, status: number, error: string, code: number): void => {
    expect(res.status).to.equal(status);
    const body = res.json();
    expect(body.error).to.equal(error);
    expect(body.error_codes).to.deep.equal([code]);
    expect(body.error_description).to.match(
      new RegExp(
        `^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
      ),
    );
    expect(body.trace_id).to.match(/^[0-9a-f-]{36}$/);
    expect(body.correlation_id).to.match(/^[0-9a-f-]{36}$/);
    expect(body.error_uri).to.equal(`${emu.urls.login}/error?code=${code}`);
  };

  it('serves the openid-configuration with the five fields msal reads, pointing back at the emulator', async () => {
    const res = await call(emu.ca, `${emu.urls.login}/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(res.status).to.equal(200);
    const doc = res.json();
    expect(doc.token_endpoint).to.equal(`${emu.urls.login}/${TENANT}/oauth2/v2.0/token`);
    expect(doc.authorization_endpoint).to.equal(`${emu.urls.login}/${TENANT}/oauth2/v2.0/authorize`);
    expect(doc.issuer).to.equal(`${emu.urls.login}/${TENANT}/v2.0`);
    expect(doc.jwks_uri).to.be.a('string');
    expect(doc.end_session_endpoint).to.be.a('string');
  });

  it('answers an unknown tenant at discovery with 400 AADSTS90002, as msal sees it', async () => {
    const res = await call(
      emu.ca,
      `${emu.urls.login}/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration`,
    );
    expectAadError(res, 400, 'invalid_tenant', 90002);
  });

  it('rejects a malformed tenant with AADSTS900023', async () => {
    expectAadError(await tokenRequest(good, 'not a tenant!'), 400, 'invalid_request', 900023);
  });

  it('issues a v2 token with numeric expires_in, ignoring msal telemetry fields', async () => {
    emu.setTokenLifetime(1234);
    const res = await tokenRequest({
      ...good,
      'x-client-SKU': 'msal.js.node',
      'x-client-current-telemetry': '5|771,2|,,|',
      'client-request-id': 'abc',
    });
    emu.setTokenLifetime(3599);
    expect(res.status).to.equal(200);
    const body = res.json();
    expect(body).to.include({ token_type: 'Bearer', expires_in: 1234, ext_expires_in: 1234 });
    expect(body.access_token).to.be.a('string').with.length.above(20);
    const claims = emu.directory.lookup(body.access_token);
    expect(claims).to.include({ tenantId: TENANT, clientId: CLIENT, audience: 'https://graph.microsoft.com' });
    expect(claims!.roles).to.deep.equal(['SecurityAlert.Read.All']);
  });

  it('accepts HTTP Basic client authentication', async () => {
    const basic = Buffer.from(`${CLIENT}:${SECRET}`).toString('base64');
    const res = await tokenRequest(
      { scope: good.scope, grant_type: 'client_credentials' },
      TENANT,
      'oauth2/v2.0/token',
      { authorization: `Basic ${basic}` },
    );
    expect(res.status).to.equal(200);
  });

  it('issues a v1 token with resource, numbers as strings and expires_on', async () => {
    const res = await tokenRequest(
      {
        client_id: CLIENT,
        client_secret: SECRET,
        resource: 'https://WDATPAlertExport.Seville.onmicrosoft.com',
        grant_type: 'client_credentials',
      },
      TENANT,
      'oauth2/token',
    );
    expect(res.status).to.equal(200);
    const body = res.json();
    expect(body.expires_in).to.equal('3599');
    expect(body.expires_on).to.match(/^\d{10}$/);
    expect(body.not_before).to.match(/^\d{10}$/);
    expect(body.resource).to.equal('https://WDATPAlertExport.Seville.onmicrosoft.com');
    expect(emu.directory.lookup(body.access_token)!.audience).to.equal(
      'https://wdatpalertexport.seville.onmicrosoft.com',
    );
  });

  it('refuses a wrong secret with 401 invalid_client AADSTS7000215', async () => {
    expectAadError(await tokenRequest({ ...good, client_secret: 'wrong' }), 401, 'invalid_client', 7000215);
  });

  it('refuses an expired secret with 401 AADSTS7000222', async () => {
    expectAadError(
      await tokenRequest({ ...good, client_id: '99999999-bbbb-4ccc-8ddd-eeeeeeeeeeee', client_secret: 'old' }),
      401,
      'invalid_client',
      7000222,
    );
  });

  it('refuses a client that is not in the tenant with AADSTS700016', async () => {
    expectAadError(
      await tokenRequest({ ...good, client_id: '12345678-1234-4234-8234-123456789012' }),
      400,
      'unauthorized_client',
      700016,
    );
  });

  it('refuses an unknown tenant at the token endpoint with AADSTS90002', async () => {
    expectAadError(await tokenRequest(good, 'contoso-missing.onmicrosoft.com'), 400, 'invalid_tenant', 90002);
  });

  it('refuses a missing secret with AADSTS7000218', async () => {
    const { client_secret: _omit, ...noSecret } = good;
    expectAadError(await tokenRequest(noSecret), 400, 'invalid_client', 7000218);
  });

  it('refuses a scope without /.default with AADSTS70011 and an unknown resource with AADSTS500011', async () => {
    expectAadError(
      await tokenRequest({ ...good, scope: 'https://graph.microsoft.com/SecurityAlert.Read.All' }),
      400,
      'invalid_scope',
      70011,
    );
    expectAadError(
      await tokenRequest({ ...good, scope: 'https://nothing.example.com/.default' }),
      400,
      'invalid_resource',
      500011,
    );
  });

  it('refuses scopes of two resources with AADSTS700022', async () => {
    expectAadError(
      await tokenRequest({
        ...good,
        scope: 'https://graph.microsoft.com/.default https://api.securitycenter.microsoft.com/.default',
      }),
      400,
      'invalid_scope',
      700022,
    );
  });

  it('never shows the secret in the request log', async () => {
    await tokenRequest(good);
    expect(JSON.stringify(emu.requests)).not.to.include(SECRET);
  });

  it('lets @azure/msal-node fetch a token with knownAuthorities and no instance discovery', async function () {
    this.timeout(20_000);
    const authority = `${emu.urls.login}/${TENANT}`;
    const script = `
      import { ConfidentialClientApplication } from '@azure/msal-node';
      const app = new ConfidentialClientApplication({ auth: { clientId: process.env.C, clientSecret: process.env.S,
        authority: process.env.A, knownAuthorities: [new URL(process.env.A).host] } });
      const r = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      process.stdout.write(r.accessToken);`;
    const before = emu.instanceDiscoveryCalls;
    const token = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        {
          cwd: repoRoot,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.caFile, A: authority, C: CLIENT, S: SECRET },
        },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(emu.directory.lookup(token)?.audience).to.equal('https://graph.microsoft.com');
    expect(emu.instanceDiscoveryCalls).to.equal(before);
  });
});
