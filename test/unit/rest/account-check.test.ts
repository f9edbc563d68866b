import { expect } from 'chai';
import { checkAccount, type AccountCheckServices } from '../../../src/rest/account-check.js';
import type { PersistRequest } from '../../../src/rest/persist-protocol.js';
import { SplunkdError } from '../../../src/errors.js';

const TENANT = '9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a5b';
const CLIENT = '0b5c1c6e-3d8e-4a43-9f3b-1c2d3e4f5a6b';
const SECRET = 'Xy7~stored.secret_value';

function services(stored: Record<string, string>, refusal?: string) {
  const calls: Array<{ scope: string; authority: string; secret: string }> = [];
  const reads: string[] = [];
  const s: AccountCheckServices = {
    log: { debug() {}, info() {}, warn() {}, error() {} },
    async readSecret(session, realm, user) {
      expect(session.authtoken).to.equal('user-session');
      reads.push(`${realm}:${user}`);
      return stored[user];
    },
    async requestToken({ endpoints, clientSecret }) {
      calls.push({ scope: endpoints.scope, authority: endpoints.authority, secret: clientSecret });
      return refusal;
    },
  };
  return { s, calls, reads };
}

function post(form: Record<string, string>): PersistRequest {
  return {
    method: 'POST',
    form: Object.entries(form),
    session: { user: 'admin', authtoken: 'user-session' },
    server: { rest_uri: 'https://127.0.0.1:8089' },
  };
}

describe("account check (the Check button's endpoint)", () => {
  it('uses the stored secret of a saved account and says the token came', async () => {
    const { s, calls, reads } = services({ 'account#prod': SECRET });
    const reply = await checkAccount(post({ name: 'prod', tenant_id: TENANT, client_id: CLIENT }), s);
    expect(reads).to.deep.equal(['TA-microsoft-defender:account#prod']);
    expect(calls).to.deep.equal([
      {
        scope: 'https://graph.microsoft.com/.default',
        authority: `https://login.microsoftonline.com/${TENANT}`,
        secret: SECRET,
      },
    ]);
    expect(reply.status).to.equal(200);
    expect(reply.payload).to.deep.include({ ok: true });
    expect(JSON.stringify(reply)).to.not.contain(SECRET);
  });

  it("prefers a secret typed in the form, and asks the login_url and the scope of the account's region", async () => {
    const { s, calls, reads } = services({});
    await checkAccount(
      post({
        name: 'eu',
        tenant_id: TENANT,
        client_id: CLIENT,
        region: 'eu',
        login_url: 'https://login.example:8443',
        client_secret: 'typed',
      }),
      s,
    );
    expect(reads).to.deep.equal([]);
    expect(calls[0]).to.deep.equal({
      scope: 'https://api.securitycenter.microsoft.com/.default',
      authority: `https://login.example:8443/${TENANT}`,
      secret: 'typed',
    });
  });

  it("returns Entra ID's refusal sentence as ok=false", async () => {
    const sentence =
      "The client secret is wrong. Paste the secret's Value, not the Secret ID, from the app's Certificates & secrets page. (AADSTS7000215)";
    const { s } = services({ 'account#prod': SECRET }, sentence);
    const reply = await checkAccount(post({ name: 'prod', tenant_id: TENANT, client_id: CLIENT }), s);
    expect(reply).to.deep.equal({ status: 200, payload: { ok: false, message: sentence } });
  });

  it('marks invalid fields (400) without asking Entra ID', async () => {
    const { s, calls } = services({});
    const reply = await checkAccount(post({ name: 'prod', tenant_id: 'nope', client_id: CLIENT }), s);
    expect(reply.status).to.equal(400);
    expect((reply.payload as { problems: Array<{ field: string }> }).problems.map((p) => p.field)).to.deep.equal([
      'tenant_id',
    ]);
    expect(calls).to.have.length(0);
  });

  it('names the secret field when nothing is stored, and passes on a splunkd refusal', async () => {
    const { s } = services({});
    const reply = await checkAccount(post({ name: 'new', tenant_id: TENANT, client_id: CLIENT }), s);
    expect(reply.payload).to.deep.include({ ok: false });
    expect((reply.payload as { problems: Array<{ field: string; message: string }> }).problems[0]).to.include({
      field: 'client_secret',
    });
    const forbidden = services({}).s;
    forbidden.readSecret = async () => {
      throw new SplunkdError(
        'splunkd_forbidden',
        "splunkd did not allow the session's user to read the stored secret (HTTP 403).",
      );
    };
    expect(
      (await checkAccount(post({ name: 'p', tenant_id: TENANT, client_id: CLIENT }), forbidden)).payload,
    ).to.deep.include({ ok: false });
  });

  it('refuses GET and calls without a session', async () => {
    const { s } = services({});
    expect((await checkAccount({ ...post({}), method: 'GET' }, s)).status).to.equal(405);
    expect((await checkAccount({ method: 'POST', form: [] }, s)).status).to.equal(401);
  });
});
