import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAppDir } from '../helpers/built-app.js';
import { createConfigRoutes, type ConfigRoutes } from './fake-splunkd-config.js';
import { startFakeSplunkd, type FakeSplunkd } from './fake-splunkd.js';
import { startFakeSplunkWeb, type FakeSplunkWeb } from './fake-splunk-web.js';

const APP = 'TA-microsoft-defender';

describe('fake Splunk Web (REST proxy, form key, exposures) in front of the fake splunkd', function () {
  this.timeout(60_000);
  let home: string;
  let splunkd: FakeSplunkd;
  let config: ConfigRoutes;
  let web: FakeSplunkWeb;
  let cookies: string;
  let formKey: string;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'ta-fake-web-'));
    mkdirSync(join(home, 'etc', 'apps'), { recursive: true });
    cpSync(builtAppDir(), join(home, 'etc', 'apps', APP), { recursive: true });
    let uri = '';
    config = createConfigRoutes({ splunkHome: home, serverUri: () => uri, schemes: ['defender_alerts'] });
    splunkd = await startFakeSplunkd({
      sessionKey: 'system',
      users: {
        'admin-key': { name: 'admin', roles: ['admin'], capabilities: ['admin_all_objects', 'list_storage_passwords'] },
      },
      routes: config.routes,
    });
    uri = splunkd.uri;
    web = await startFakeSplunkWeb({
      splunkHome: home,
      splunkdUri: splunkd.uri,
      users: { admin: { sessionKey: 'admin-key' } },
    });
    const login = await fetch(web.loginUrl('admin', `/en-US/app/${APP}/configuration`), { redirect: 'manual' });
    const set = login.headers.getSetCookie();
    cookies = set.map((c) => c.split(';')[0]).join('; ');
    formKey = /splunkweb_csrf_token_\d+=([^;]*)/.exec(cookies)?.[1] ?? '';
  });
  after(async () => {
    await config.close();
    await web.close();
    await splunkd.close();
    rmSync(home, { recursive: true, force: true });
  });

  const raw = (path: string) => `${web.url}/en-US/splunkd/__raw/servicesNS/nobody/${APP}/${path}?output_mode=json`;

  it("serves the app's view through its template, and its static files", async () => {
    const page = await fetch(`${web.url}/en-US/app/${APP}/configuration`, { headers: { cookie: cookies } });
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.contain('../../static/app/TA-microsoft-defender/configuration.js');
    const script = await fetch(`${web.url}/en-US/static/app/${APP}/configuration.js`);
    expect(script.headers.get('content-type')).to.match(/javascript/);
  });

  it('answers 401 without a session and 403 for a write without the form key', async () => {
    expect((await fetch(raw('configs/conf-ta_microsoft_defender_account'))).status).to.equal(401);
    const noKey = await fetch(raw('configs/conf-ta_microsoft_defender_account'), {
      method: 'POST',
      headers: { cookie: cookies },
      body: 'name=x',
    });
    expect(noKey.status).to.equal(403);
    expect(await noKey.json()).to.deep.equal({ messages: [{ type: 'ERROR', text: 'CSRF validation failed' }] });
    const withKey = await fetch(raw('configs/conf-ta_microsoft_defender_account'), {
      method: 'POST',
      headers: { cookie: cookies, 'x-splunk-form-key': formKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=acme&tenant_id=contoso.onmicrosoft.com',
    });
    expect(withKey.status).to.equal(201);
  });

  it("proxies only exposed endpoints: Splunk's own and the app's web.conf ones", async () => {
    const hidden = await fetch(raw('some/private/endpoint'), { headers: { cookie: cookies } });
    expect(hidden.status).to.equal(404);
    const check = await fetch(raw('ta_microsoft_defender/account_check'), {
      method: 'POST',
      headers: { cookie: cookies, 'x-splunk-form-key': formKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=acme',
    });
    expect(check.status).to.equal(400);
    expect(((await check.json()) as { problems: Array<{ field: string }> }).problems.map((p) => p.field)).to.deep.equal(
      ['tenant_id', 'client_id'],
    );
  });
});
