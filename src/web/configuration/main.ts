/**
 * The Configuration page (view default/data/ui/views/configuration.xml → appserver/templates/configuration.html →
 * this bundle, appserver/static/configuration.js). Tabs: Accounts, Proxy, Logging. It asks splunkd who the user is
 * (authentication/current-context): without admin_all_objects everything is shown read-only, with a message saying so.
 */
import { createAccountsTab } from './accounts-tab.js';
import { el, notice, replaceChildren } from './dom.js';
import { createLoggingTab } from './logging-tab.js';
import { createProxyTab } from './proxy-tab.js';
import { createSplunkd, entriesOf, webPrefix, type Splunkd } from './splunk-web.js';
import { errorInfo } from '../../toolkit/error-info.js';

declare global {
  interface Window {
    /**
     * Splunk Web's layout API (Splunk bar and app bar), loaded from static/build/api/layout.js as @splunk/react-page
     * does.
     */
    __splunk_layout__?: { create(options: Record<string, unknown>): { getContainerElement(): HTMLElement } };
  }
}

/** The capability Splunk requires to change app configuration through these endpoints. */
const ADMIN_CAPABILITY = 'admin_all_objects';
const TABS = [
  { id: 'accounts', label: 'Accounts' },
  { id: 'proxy', label: 'Proxy' },
  { id: 'logging', label: 'Logging' },
] as const;

async function start(): Promise<void> {
  const root = await pageContainer();
  const splunkd = createSplunkd();
  const banner = el('div', { class: 'banner' });
  const main = el(
    'main',
    { class: 'config-page', 'data-testid': 'config-page' },
    el(
      'header',
      { class: 'page-header' },
      el('h1', {}, 'Configuration'),
      el(
        'p',
        {},
        'Microsoft Defender Add-on: accounts (Entra ID app registrations), the proxy to Microsoft, and the log level.',
      ),
    ),
    banner,
  );
  root.appendChild(main);

  const access = await readAccess(splunkd);
  if (access.error) {
    replaceChildren(banner, notice('error', access.error, 'access-error'));
    return;
  }
  if (access.readOnly) {
    replaceChildren(
      banner,
      notice(
        'warning',
        `Read-only: your user (${access.user}) does not have the ${ADMIN_CAPABILITY} capability, which changing this add-on's accounts, proxy and logging needs. ` +
          'You can look, not change. Ask a Splunk admin to make changes or to give your role that capability.',
        'read-only',
      ),
    );
  }

  const context = { splunkd, readOnly: access.readOnly };
  const tabs = {
    accounts: createAccountsTab(context),
    proxy: createProxyTab(context),
    logging: createLoggingTab(context),
  };
  const tabList = el('div', { class: 'tabs', role: 'tablist' });
  const buttons = TABS.map(({ id, label }) => {
    const button = el(
      'button',
      { type: 'button', role: 'tab', class: 'tab', 'data-tab': id, id: `tab-${id}`, 'aria-controls': `panel-${id}` },
      label,
    );
    button.addEventListener('click', () => select(id));
    return button;
  });
  tabList.append(...buttons);
  for (const { id } of TABS) {
    const panel = tabs[id].element;
    panel.id = `panel-${id}`;
    panel.setAttribute('role', 'tabpanel');
    panel.setAttribute('aria-labelledby', `tab-${id}`);
  }
  main.append(tabList, ...TABS.map(({ id }) => tabs[id].element));

  function select(id: (typeof TABS)[number]['id']): void {
    for (const button of buttons) button.setAttribute('aria-selected', String(button.dataset.tab === id));
    for (const { id: other } of TABS) tabs[other].element.hidden = other !== id;
    if (window.location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
  }
  const fromHash = TABS.find((t) => `#${t.id}` === window.location.hash)?.id;
  select(fromHash ?? 'accounts');
  await Promise.all(TABS.map(({ id }) => tabs[id].load()));
  main.dataset.ready = 'true';
}

/** Who is looking, and whether they may change things. */
async function readAccess(splunkd: Splunkd): Promise<{ readOnly: boolean; user: string; error?: string }> {
  try {
    const content = entriesOf(await splunkd.get('/services/authentication/current-context'))[0]?.content ?? {};
    const capabilities = Array.isArray(content.capabilities) ? content.capabilities : [];
    return {
      readOnly: !capabilities.includes(ADMIN_CAPABILITY),
      user: typeof content.username === 'string' ? content.username : 'unknown',
    };
  } catch (error) {
    return { readOnly: true, user: 'unknown', error: errorInfo(error).message };
  }
}

/**
 * Splunk's navigation bars around the page when Splunk Web serves its layout API; a plain container when it does not
 * (or takes longer than a few seconds), so the page always works.
 */
async function pageContainer(): Promise<HTMLElement> {
  const fallback = () => document.getElementById('ta-config-root') ?? document.body.appendChild(el('div'));
  const src = `${webPrefix(window.$C, window.location.pathname)}/static/build/api/layout.js`;
  const loaded = await new Promise<boolean>((resolve) => {
    const script = el('script', { src });
    const timer = setTimeout(() => resolve(false), 5_000);
    script.addEventListener('load', () => {
      clearTimeout(timer);
      resolve(true);
    });
    script.addEventListener('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    document.head.appendChild(script);
  });
  if (!loaded || !window.__splunk_layout__) return fallback();
  try {
    return window.__splunk_layout__
      .create({ pageTitle: 'Configuration', hideFooter: false, layout: 'scrolling' })
      .getContainerElement();
  } catch {
    return fallback();
  }
}

void start();
