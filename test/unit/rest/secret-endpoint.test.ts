import { expect } from 'chai';
import { handleSecretRequest, secretUserProblem } from '../../../src/rest/secret-endpoint.js';
import { SplunkdError } from '../../../src/errors.js';
import type { PersistRequest } from '../../../src/rest/persist-protocol.js';

function setup(fail?: SplunkdError) {
  const calls: string[] = [];
  const services = {
    log: { debug() {}, info() {}, warn() {}, error() {} },
    splunkdFor(session: { authtoken: string }) {
      expect(session.authtoken).to.equal('user-session');
      return {
        async putSecret(realm: string, user: string, secret: string) {
          if (fail) throw fail;
          calls.push(`put ${realm} ${user} ${secret}`);
        },
        async deleteSecret(realm: string, user: string) {
          calls.push(`delete ${realm} ${user}`);
          return true;
        },
      };
    },
  };
  return { services, calls };
}

const post = (form: Record<string, string>): PersistRequest => ({
  method: 'POST',
  form: Object.entries(form),
  session: { user: 'admin', authtoken: 'user-session' },
  server: { rest_uri: 'https://127.0.0.1:8089' },
});

describe("secret endpoint (the page's write-only path to storage/passwords)", () => {
  it("stores and deletes the add-on's own secrets with the caller's session, answering only ok", async () => {
    const { services, calls } = setup();
    const stored = await handleSecretRequest(
      post({ action: 'store', user: 'account#prod', password: 's3cret~' }),
      services,
    );
    expect(stored).to.deep.equal({ status: 200, payload: { ok: true } });
    const deleted = await handleSecretRequest(post({ action: 'delete', user: 'proxy#password' }), services);
    expect(deleted).to.deep.equal({ status: 200, payload: { ok: true, deleted: true } });
    expect(calls).to.deep.equal([
      'put TA-microsoft-defender account#prod s3cret~',
      'delete TA-microsoft-defender proxy#password',
    ]);
  });

  it("refuses any other user name, so it cannot overwrite an input's or another app's secret", async () => {
    for (const user of ['prod', 'account#', 'account#a b', 'proxy', 'account#../x'])
      expect(secretUserProblem(user), user).to.be.a('string');
    const { services, calls } = setup();
    const reply = await handleSecretRequest(post({ action: 'store', user: 'my_input', password: 'x' }), services);
    expect(reply.status).to.equal(400);
    expect(calls).to.deep.equal([]);
  });

  it('refuses an empty password, an unknown action, GET and calls without a session', async () => {
    const { services } = setup();
    expect(
      (await handleSecretRequest(post({ action: 'store', user: 'account#a', password: '' }), services)).status,
    ).to.equal(400);
    expect((await handleSecretRequest(post({ action: 'read', user: 'account#a' }), services)).status).to.equal(400);
    expect((await handleSecretRequest({ ...post({}), method: 'GET' }, services)).status).to.equal(405);
    expect((await handleSecretRequest({ method: 'POST', form: [] }, services)).status).to.equal(401);
  });

  it("passes on splunkd's refusal with its status, never the secret", async () => {
    const { services } = setup(
      new SplunkdError('splunkd_forbidden', "splunkd did not allow the session's user to store the secret (HTTP 403)."),
    );
    const reply = await handleSecretRequest(
      post({ action: 'store', user: 'account#a', password: 'never-echoed' }),
      services,
    );
    expect(reply.status).to.equal(403);
    expect(JSON.stringify(reply)).to.not.contain('never-echoed');
  });
});
