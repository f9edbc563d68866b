/**
 * The Configuration page in a real browser (headless Chromium through puppeteer-core), against the fake Splunk Web and
 * splunkd, the BUILT app, and the Entra ID emulator for the Check button. Screenshots of each tab go to
 * artifacts/screenshots/.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { startConfigPageEnv, screenshot, type ConfigPageEnv } from './config-page-env.js';

const TENANT = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
/** A secret with characters that URL- and JSON-encoding change, so an encoded copy would be missed by nobody. */
const SECRET = 'Qx8~page.SECRET_value-42';

async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (input, v) => {
      (input as HTMLInputElement).value = v;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    value,
  );
}

async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e) => (e as HTMLElement).innerText);
}

/** Everything the page holds: its HTML and the current value of every form field. */
async function pageState(page: Page): Promise<string> {
  const values = await page.$$eval('input, select, textarea', (fields) =>
    fields.map((f) => (f as HTMLInputElement).value),
  );
  return `${await page.content()}\n${values.join('\n')}`;
}

function accountConf(env: ConfigPageEnv): string {
  try {
    return readFileSync(join(env.appDir, 'local', 'ta_microsoft_defender_account.conf'), 'utf8');
  } catch {
    return '';
  }
}

describe('Configuration page (headless Chromium)', function () {
  this.timeout(120_000);
  let env: ConfigPageEnv;

  before(async function () {
    env = await startConfigPageEnv(this);
    env.emu.addApp({ tenantId: TENANT, clientId: CLIENT, secret: SECRET, roles: ['SecurityAlert.Read.All'] });
  });
  after(async () => {
    await env?.close();
  });

  it('adds an account: the secret lands in storage/passwords and nowhere else', async () => {
    const page = await env.openPage('admin');
    await screenshot(page, 'accounts-empty');
    await page.click('[data-testid="add-account"]');
    await page.waitForSelector('dialog[open] [data-testid="account-form"]');
    await fill(page, '#account-name', 'prod');
    await fill(page, '#account-tenant_id', TENANT);
    await fill(page, '#account-client_id', CLIENT);
    await fill(page, '#account-login_url', env.emu.urls.login);
    await fill(page, '#account-client_secret', SECRET);
    await screenshot(page, 'account-add-form');
    const sentBefore = env.network.length;
    await page.click('[data-testid="form-save"]');
    await page.waitForSelector('[data-testid="accounts-saved"]');
    await page.waitForSelector('tr[data-account="prod"]');
    await screenshot(page, 'accounts');

    expect(env.splunkd.passwords.get('TA-microsoft-defender:account#prod:')).to.deep.include({
      password: SECRET,
      realm: 'TA-microsoft-defender',
      username: 'account#prod',
    });
    expect(accountConf(env))
      .to.contain('[prod]')
      .and.contain(`tenant_id = ${TENANT}`)
      .and.contain(`client_id = ${CLIENT}`);
    // The one request that carries the secret goes to the add-on's secret endpoint, which answers only {ok}; the page
    // never calls storage/passwords, whose answers would carry clear_password back.
    const formEncoded = new URLSearchParams({ s: SECRET }).toString().slice(2);
    const carrying = env.network
      .slice(sentBefore)
      .filter((x) => x.body.includes(formEncoded) || x.body.includes(SECRET));
    expect(carrying.map((x) => `${x.kind} ${x.method} ${new URL(x.url).pathname}`)).to.deep.equal([
      'request POST /en-US/splunkd/__raw/servicesNS/nobody/TA-microsoft-defender/ta_microsoft_defender/secret',
    ]);
    expect(env.network.filter((x) => x.url.includes('/storage/passwords'))).to.deep.equal([]);
    expect(env.findOutsideStore(SECRET)).to.deep.equal([]);
    expect(await pageState(page)).to.not.contain(SECRET);
    await page.close();
  });

  it('edits an account without re-entering the secret, which stays as stored', async () => {
    const page = await env.openPage('admin');
    await page.click('[data-testid="edit-prod"]');
    await page.waitForSelector('dialog[open] [data-testid="account-form"]');
    expect(await page.$eval('#account-client_secret', (e) => (e as HTMLInputElement).value)).to.equal('');
    expect(await page.$eval('#account-name', (e) => (e as HTMLInputElement).readOnly)).to.equal(true);
    await page.select('#account-region', 'gcc');
    const sentBefore = env.network.length;
    await page.click('[data-testid="form-save"]');
    await page.waitForSelector('[data-testid="accounts-saved"]');
    expect(accountConf(env)).to.match(/\[prod\][^[]*region = gcc/);
    expect(env.splunkd.passwords.get('TA-microsoft-defender:account#prod:')?.password).to.equal(SECRET);
    const posts = env.network
      .slice(sentBefore)
      .filter((x) => x.kind === 'request' && x.method !== 'GET')
      .map((x) => new URL(x.url).pathname);
    expect(posts).to.deep.equal([
      '/en-US/splunkd/__raw/servicesNS/nobody/TA-microsoft-defender/configs/conf-ta_microsoft_defender_account/prod',
    ]);
    await page.close();
  });

  it('rejects invalid tenant and client IDs inline, naming the field and the fix, without sending anything', async () => {
    const page = await env.openPage('admin');
    await page.click('[data-testid="add-account"]');
    await page.waitForSelector('dialog[open] [data-testid="account-form"]');
    await fill(page, '#account-name', 'broken');
    await fill(page, '#account-tenant_id', 'not a tenant');
    await fill(page, '#account-client_id', '12345');
    await fill(page, '#account-client_secret', 'x');
    const sentBefore = env.network.length;
    await page.click('[data-testid="form-save"]');
    await page.waitForFunction(() => document.querySelector('[data-error-for="client_id"]')?.textContent !== '');
    expect(await textOf(page, '[data-error-for="tenant_id"]')).to.match(
      /^tenant_id "not a tenant" is not a GUID or a domain name: copy the Directory \(tenant\) ID/,
    );
    expect(await textOf(page, '[data-error-for="client_id"]')).to.match(
      /^client_id "12345" is not a GUID: copy the Application \(client\) ID/,
    );
    expect(await page.$eval('#account-tenant_id', (e) => e.getAttribute('aria-invalid'))).to.equal('true');
    await screenshot(page, 'account-form-errors');
    expect(env.network.slice(sentBefore).filter((x) => x.kind === 'request' && x.method !== 'GET')).to.deep.equal([]);
    expect(accountConf(env)).to.not.contain('[broken]');
    await page.close();
  });

  it("Check proves a saved account's credentials with Entra ID, from the server", async () => {
    // gcc signs in at the commercial login host, here the emulator's (login_url).
    const page = await env.openPage('admin');
    const before = env.emu.requests.filter((r) => r.service === 'login').length;
    await page.click('[data-testid="check-prod"]');
    await page.waitForSelector('[data-testid="check-result-prod"]');
    const result = await textOf(page, '[data-testid="check-result-prod"]');
    expect(result).to.match(
      /^Entra ID issued a token to client 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d in tenant 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f \(region gcc\)/,
    );
    expect(await page.$eval('[data-testid="check-result-prod"]', (e) => e.className)).to.contain('notice-success');
    expect(env.emu.requests.filter((r) => r.service === 'login').length).to.be.greaterThan(before);
    await screenshot(page, 'accounts-check-ok');
    expect(env.findOutsideStore(SECRET)).to.deep.equal([]);
    await page.close();
  });

  it("Check shows Entra ID's refusal as the add-on's AADSTS sentence", async () => {
    env.seedAccount(
      'wrongsecret',
      { tenant_id: TENANT, client_id: CLIENT, login_url: env.emu.urls.login },
      'not-the-right-secret',
    );
    const page = await env.openPage('admin');
    await page.click('[data-testid="check-wrongsecret"]');
    await page.waitForSelector('[data-testid="check-result-wrongsecret"]');
    const result = await textOf(page, '[data-testid="check-result-wrongsecret"]');
    expect(result).to.match(
      /^The client secret is wrong\. Paste the secret's Value, not the Secret ID, from the app's Certificates & secrets page\. \(AADSTS7000215/,
    );
    expect(await page.$eval('[data-testid="check-result-wrongsecret"]', (e) => e.className)).to.contain('notice-error');
    await screenshot(page, 'accounts-check-refused');
    expect(env.findOutsideStore('not-the-right-secret')).to.deep.equal([]);
    await page.close();
  });

  it('deleting an account in use names the inputs that use it, then removes the stanza and the secret', async () => {
    env.seedAccount('inuse', { tenant_id: TENANT, client_id: CLIENT }, 'inuse-secret-value');
    const page = await env.openPage('admin');
    expect(await textOf(page, '[data-testid="used-by-inuse"]')).to.equal(
      'defender_alerts://contoso_alerts, defender_stream://contoso_stream',
    );
    await page.click('[data-testid="delete-inuse"]');
    await page.waitForSelector('dialog[open][data-testid="delete-dialog"]');
    const consequence = await textOf(page, '[data-testid="delete-consequence"]');
    expect(consequence).to.contain(
      'It is used by 2 inputs defender_alerts://contoso_alerts, defender_stream://contoso_stream',
    );
    await screenshot(page, 'account-delete-confirm');
    await page.click('[data-testid="confirm-delete"]');
    await page.waitForSelector('[data-testid="accounts-deleted"]');
    expect(accountConf(env)).to.not.contain('[inuse]');
    expect(env.splunkd.passwords.has('TA-microsoft-defender:account#inuse:')).to.equal(false);
    expect(await page.$('tr[data-account="inuse"]')).to.equal(null);
    await page.close();
  });

  it('Proxy tab: URL and user in the settings conf, the password only in storage/passwords', async () => {
    const password = 'Pr0xy~pass.word';
    const page = await env.openPage('admin', 'proxy');
    await fill(page, '#proxy_url', 'http://user:inline@proxy.example.com:3128');
    await page.click('[data-testid="proxy-save"]');
    await page.waitForFunction(() => document.querySelector('[data-error-for="proxy_url"]')?.textContent !== '');
    expect(await textOf(page, '[data-error-for="proxy_url"]')).to.match(
      /^proxy_url holds user:password@ \(value not shown\): put the user in User/,
    );
    await fill(page, '#proxy_url', 'http://proxy.example.com:3128');
    await fill(page, '#proxy_username', 'svc-splunk');
    await fill(page, '#proxy_password', password);
    await page.click('[data-testid="proxy-save"]');
    await page.waitForSelector('[data-testid="proxy-saved"]');
    await screenshot(page, 'proxy');
    const settings = readFileSync(join(env.appDir, 'local', 'ta_microsoft_defender_settings.conf'), 'utf8');
    expect(settings).to.match(
      /\[proxy\]\nproxy_url = http:\/\/proxy\.example\.com:3128\nproxy_username = svc-splunk\n/,
    );
    expect(env.splunkd.passwords.get('TA-microsoft-defender:proxy#password:')?.password).to.equal(password);
    expect(env.findOutsideStore(password)).to.deep.equal([]);
    expect(await pageState(page)).to.not.contain(password);
    await page.close();
  });

  it('Logging tab: saves the log level in the settings conf', async () => {
    const page = await env.openPage('admin', 'logging');
    expect(await page.$eval('#log_level', (e) => (e as HTMLSelectElement).value)).to.equal('INFO');
    await page.select('#log_level', 'DEBUG');
    await page.click('[data-testid="logging-save"]');
    await page.waitForSelector('[data-testid="logging-saved"]');
    await screenshot(page, 'logging');
    expect(readFileSync(join(env.appDir, 'local', 'ta_microsoft_defender_settings.conf'), 'utf8')).to.match(
      /\[logging\]\nlog_level = DEBUG\n/,
    );
    await page.close();
  });

  it('a user without admin_all_objects sees everything read-only, with a message saying why', async () => {
    const page = await env.openPage('analyst');
    const banner = await textOf(page, '[data-testid="read-only"]');
    expect(banner).to.match(/^Read-only: your user \(analyst\) does not have the admin_all_objects capability/);
    expect(await page.$eval('[data-testid="add-account"]', (e) => (e as HTMLButtonElement).disabled)).to.equal(true);
    expect(await page.$eval('[data-testid="edit-prod"]', (e) => (e as HTMLButtonElement).disabled)).to.equal(true);
    expect(await page.$eval('[data-testid="check-prod"]', (e) => (e as HTMLButtonElement).disabled)).to.equal(true);
    expect(await page.$('tr[data-account="prod"]')).to.not.equal(null);
    await screenshot(page, 'read-only');
    // What the buttons would do is refused by splunkd too: the page's own write, sent anyway, gets a 403.
    const status = await page.evaluate(async () => {
      const key = /splunkweb_csrf_token_\d+=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const response = await fetch(
        '/en-US/splunkd/__raw/servicesNS/nobody/TA-microsoft-defender/configs/conf-ta_microsoft_defender_account?output_mode=json',
        {
          method: 'POST',
          headers: { 'X-Splunk-Form-Key': key, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'name=sneaky&tenant_id=x',
        },
      );
      return response.status;
    });
    expect(status).to.equal(403);
    await page.close();
  });
});
