/**
 * Everything the Configuration page's browser tests run against: the BUILT app copied into a temporary
 * $SPLUNK_HOME/etc/apps, the fake splunkd (conf files on disk, storage/passwords, the account check's persistent
 * driver started from the app's own restmap.conf), the fake Splunk Web in front of it, the Entra ID emulator, and
 * headless Chromium. Every request and response body the page exchanges is recorded, to look for secrets in them.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { builtAppDir, REPO_ROOT } from '../helpers/built-app.js';
import { startEmulator, type Emulator } from '../emulator/emulator.js';
import { startFakeSplunkd, type FakeSplunkd, type FakeUser } from '../harness/fake-splunkd.js';
import { createConfigRoutes, type ConfigRoutes } from '../harness/fake-splunkd-config.js';
import { startFakeSplunkWeb, type FakeSplunkWeb } from '../harness/fake-splunk-web.js';
import { launchChromium } from './chromium.js';

export const APP = 'TA-microsoft-defender';
export const CONFIG_PATH = `/en-US/app/${APP}/configuration`;
/** Where screenshots go: kept by CI as artifacts, ignored by git. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'artifacts', 'screenshots');

export const ADMIN: FakeUser = {
  name: 'admin',
  roles: ['admin'],
  capabilities: ['admin_all_objects', 'list_storage_passwords', 'edit_storage_passwords', 'list_inputs'],
};
export const READER: FakeUser = { name: 'analyst', roles: ['user'], capabilities: ['search', 'list_inputs'] };

/** One request or response the page exchanged (bodies as text). */
export interface Exchange {
  kind: 'request' | 'response';
  method: string;
  url: string;
  status?: number;
  body: string;
}

export interface ConfigPageEnv {
  splunkHome: string;
  appDir: string;
  splunkd: FakeSplunkd;
  config: ConfigRoutes;
  web: FakeSplunkWeb;
  emu: Emulator;
  browser: Browser;
  /** Every exchange of every page opened with openPage. */
  network: Exchange[];
  /** Signs `user` in and opens the Configuration page at `#tab`; resolves once the page has loaded its data. */
  openPage(user: 'admin' | 'analyst', tab?: string): Promise<Page>;
  /** Writes an account as an admin would have (stanza in local/, secret in storage/passwords). */
  seedAccount(name: string, stanza: Record<string, string>, secret: string): void;
  /** Every place outside storage/passwords where `needle` occurs: files under $SPLUNK_HOME, logs, and responses. */
  findOutsideStore(needle: string): string[];
  close(): Promise<void>;
}

const SESSION = { system: 'system-session-key', admin: 'admin-session-key', analyst: 'analyst-session-key' };

export async function startConfigPageEnv(suite: Mocha.Context): Promise<ConfigPageEnv> {
  const browser = await launchChromium(suite);
  const splunkHome = mkdtempSync(join(tmpdir(), 'ta-defender-web-'));
  const appDir = join(splunkHome, 'etc', 'apps', APP);
  mkdirSync(join(splunkHome, 'etc', 'apps'), { recursive: true });
  cpSync(builtAppDir(), appDir, { recursive: true });
  const emu = await startEmulator();
  let uri = '';
  const config = createConfigRoutes({
    splunkHome,
    serverUri: () => uri,
    inputs: {
      'defender_alerts://contoso_alerts': { account: 'inuse', api: 'graph' },
      'defender_stream://contoso_stream': { account: 'inuse', event_hub_namespace: 'contoso.servicebus.windows.net' },
      'defender_alerts://legacy': {
        tenant_id: 'contoso.onmicrosoft.com',
        client_id: '0b5c1c6e-3d8e-4a43-9f3b-1c2d3e4f5a6b',
        client_secret: '<encrypted>',
      },
    },
    driverEnv: { NODE_EXTRA_CA_CERTS: emu.caFile, HOME: splunkHome },
  });
  const splunkd = await startFakeSplunkd({
    sessionKey: SESSION.system,
    users: { [SESSION.admin]: ADMIN, [SESSION.analyst]: READER },
    routes: config.routes,
  });
  uri = splunkd.uri;
  const web = await startFakeSplunkWeb({
    splunkHome,
    splunkdUri: splunkd.uri,
    users: { admin: { sessionKey: SESSION.admin }, analyst: { sessionKey: SESSION.analyst } },
  });
  const network: Exchange[] = [];

  async function openPage(user: 'admin' | 'analyst', tab = 'accounts'): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    page.on('request', (request) => {
      network.push({ kind: 'request', method: request.method(), url: request.url(), body: request.postData() ?? '' });
    });
    page.on('response', (response) => {
      const entry: Exchange = {
        kind: 'response',
        method: response.request().method(),
        url: response.url(),
        status: response.status(),
        body: '',
      };
      network.push(entry);
      // Redirects have no body to read.
      if (response.status() < 300 || response.status() >= 400)
        response.text().then(
          (text) => {
            entry.body = text;
          },
          () => undefined,
        );
    });
    await page.goto(web.loginUrl(user, `${CONFIG_PATH}#${tab}`), { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="config-page"][data-ready="true"], [data-testid="access-error"]', {
      timeout: 20_000,
    });
    return page;
  }

  function seedAccount(name: string, stanza: Record<string, string>, secret: string): void {
    const file = join(appDir, 'local', 'ta_microsoft_defender_account.conf');
    mkdirSync(join(appDir, 'local'), { recursive: true });
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // first account
    }
    text += `\n[${name}]\n${Object.entries(stanza)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join('')}`;
    writeFileSync(file, text);
    splunkd.passwords.set(`${APP}:account#${name}:`, {
      realm: APP,
      username: `account#${name}`,
      password: secret,
      app: APP,
    });
  }

  function findOutsideStore(needle: string): string[] {
    const found: string[] = [];
    const bytes = Buffer.from(needle, 'utf8');
    for (const file of walk(splunkHome)) if (readFileSync(file).includes(bytes)) found.push(`file ${file}`);
    for (const line of web.log) if (line.includes(needle)) found.push(`splunk web access log: ${line}`);
    for (const line of config.driverLog) if (line.includes(needle)) found.push(`driver stderr (splunkd.log): ${line}`);
    for (const request of splunkd.requests)
      if (JSON.stringify(request).includes(needle))
        found.push(`splunkd request log: ${request.method} ${request.path}`);
    for (const exchange of network) {
      if (exchange.kind === 'response' && (exchange.body.includes(needle) || exchange.url.includes(needle)))
        found.push(`response ${exchange.method} ${exchange.url}`);
      if (exchange.kind === 'request' && exchange.url.includes(needle)) found.push(`request URL ${exchange.url}`);
    }
    return found;
  }

  return {
    splunkHome,
    appDir,
    splunkd,
    config,
    web,
    emu,
    browser,
    network,
    openPage,
    seedAccount,
    findOutsideStore,
    async close() {
      await browser.close();
      await config.close();
      await web.close();
      await splunkd.close();
      await emu.close();
      rmSync(splunkHome, { recursive: true, force: true });
    },
  };
}

/** Every regular file under `dir`. */
function walk(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) files.push(...walk(path));
    else if (stat.isFile()) files.push(path);
  }
  return files;
}

/** Saves a screenshot of the page to artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: path, fullPage: true });
  return path;
}
