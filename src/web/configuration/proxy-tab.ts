/**
 * Proxy tab: the app-wide proxy of ta_microsoft_defender_settings.conf [proxy]: proxy_url (no user-info, so no password
 * lands in a .conf), proxy_username, and the password in storage/passwords (realm TA-microsoft-defender, user
 * proxy#password), never read back. The URL rule is the one the inputs apply to proxy_url.
 */
import { PROXY_SECRET_USER, proxyUsernameProblem, SETTINGS_CONF } from '../../config/app-settings.js';
import { isProxyUrl } from '../../config/proxy-url.js';
import { el, notice, replaceChildren } from './dom.js';
import type { TabContext } from './accounts-tab.js';
import { deleteSecret, entriesOf, storeSecret } from './splunk-web.js';
import { errorInfo } from '../../toolkit/error-info.js';

type ProxyField = 'proxy_url' | 'proxy_username' | 'proxy_password';

/** Every problem of the Proxy form, by field; empty when it can be saved. */
export function proxyProblems(
  url: string,
  username: string,
  password: string,
): Array<{ field: ProxyField; message: string }> {
  const problems: Array<{ field: ProxyField; message: string }> = [];
  if (url === '') {
    if (username !== '' || password !== '')
      problems.push({
        field: 'proxy_url',
        message:
          'proxy_url is empty but a user or password is set: give the proxy URL, or clear the user and password.',
      });
    return problems;
  }
  if (/^[^/?#]*\/\/[^/?#]*@/.test(url)) {
    problems.push({
      field: 'proxy_url',
      message:
        'proxy_url holds user:password@ (value not shown): put the user in User and the password in Password, so the password is stored encrypted and not in the .conf file.',
    });
  } else if (!isProxyUrl(url)) {
    problems.push({
      field: 'proxy_url',
      message: `proxy_url ${JSON.stringify(url.slice(0, 120))} is not a proxy URL: use http://host:port or https://host:port, e.g. http://proxy.example.com:8080, or leave it empty for no proxy.`,
    });
  }
  const userProblem = username === '' ? undefined : proxyUsernameProblem(username);
  if (userProblem) problems.push({ field: 'proxy_username', message: userProblem });
  if (username === '' && password !== '')
    problems.push({
      field: 'proxy_username',
      message: 'A password without a user: give the proxy user name too, or clear the password.',
    });
  return problems;
}

export function createProxyTab({ splunkd, readOnly }: TabContext): { element: HTMLElement; load(): Promise<void> } {
  const status = el('div', { class: 'tab-status', 'data-testid': 'proxy-status' });
  const url = el('input', {
    type: 'text',
    id: 'proxy_url',
    name: 'proxy_url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'http://proxy.example.com:8080',
  });
  const user = el('input', { type: 'text', id: 'proxy_username', name: 'proxy_username', autocomplete: 'off' });
  const password = el('input', {
    type: 'password',
    id: 'proxy_password',
    name: 'proxy_password',
    autocomplete: 'new-password',
    placeholder: 'Leave empty to keep the stored password',
  });
  const errors = new Map<ProxyField, HTMLElement>();
  const row = (field: ProxyField, label: string, help: string, control: HTMLInputElement) => {
    const error = el('div', { class: 'field-error', 'data-error-for': field, role: 'alert' });
    errors.set(field, error);
    control.disabled = readOnly;
    return el(
      'div',
      { class: 'field' },
      el('label', { for: control.id }, label),
      control,
      el('div', { class: 'field-help' }, help),
      error,
    );
  };
  const save = el(
    'button',
    { type: 'submit', class: 'btn btn-primary', 'data-testid': 'proxy-save', disabled: readOnly },
    'Save',
  );
  const form = el(
    'form',
    { class: 'settings-form', novalidate: true },
    row(
      'proxy_url',
      'Proxy URL',
      'Every call to Microsoft (Entra ID and the Defender APIs) goes through it, unless an input sets its own proxy_url. Empty: no proxy.',
      url,
    ),
    row('proxy_username', 'User', 'Optional proxy user name.', user),
    row('proxy_password', 'Password', 'Stored encrypted in Splunk (storage/passwords); never shown again.', password),
    el('div', { class: 'form-buttons' }, save),
  );
  const element = el('section', { class: 'tab-panel', 'data-panel': 'proxy' }, status, form);

  async function load(): Promise<void> {
    try {
      const entry = entriesOf(await splunkd.get(`configs/conf-${SETTINGS_CONF}/proxy`))[0];
      url.value = typeof entry?.content.proxy_url === 'string' ? entry.content.proxy_url : '';
      user.value = typeof entry?.content.proxy_username === 'string' ? entry.content.proxy_username : '';
      // A URL saved by hand with user:password@ is not put into the form, so its password never reaches the page.
      if (/^[^/?#]*\/\/[^/?#]*@/.test(url.value)) {
        url.value = '';
        replaceChildren(
          status,
          notice(
            'warning',
            'The configured proxy URL holds a user and password (not shown). Enter the URL, user and password here to store the password encrypted instead.',
          ),
        );
      }
    } catch (error) {
      replaceChildren(status, notice('error', errorInfo(error).message));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problems = proxyProblems(url.value.trim(), user.value.trim(), password.value);
    for (const [field, error] of errors) error.textContent = problems.find((p) => p.field === field)?.message ?? '';
    if (problems.length > 0) return;
    save.disabled = true;
    try {
      const proxyUrl = url.value.trim();
      const username = proxyUrl === '' ? '' : user.value.trim();
      await splunkd.post(`configs/conf-${SETTINGS_CONF}/proxy`, { proxy_url: proxyUrl, proxy_username: username });
      if (username === '') await deleteSecret(splunkd, PROXY_SECRET_USER);
      else if (password.value !== '') await storeSecret(splunkd, PROXY_SECRET_USER, password.value);
      replaceChildren(
        status,
        notice(
          'success',
          proxyUrl === '' ? 'Saved: no proxy.' : 'Proxy saved. Inputs and actions use it from their next run.',
          'proxy-saved',
        ),
      );
    } catch (error) {
      replaceChildren(status, notice('error', errorInfo(error).message, 'proxy-error'));
    } finally {
      password.value = '';
      save.disabled = readOnly;
    }
  });
  return { element, load };
}
