/**
 * Accounts tab: the list (from configs/conf-ta_microsoft_defender_account), with the inputs using each account, and
 * Add, Edit, Check and Delete. The page never reads storage/passwords: a secret goes in and never comes back.
 */
import { ACCOUNT_CONF, accountSecretUser } from '../../config/accounts.js';
import { listAccountUsage, type AccountUsage } from './account-inputs.js';
import { openAccountForm } from './account-form.js';
import { runCheck } from './account-check-client.js';
import { el, notice, replaceChildren } from './dom.js';
import { deleteSecret, entriesOf, type FeedEntry, type Splunkd } from './splunk-web.js';
import { errorInfo } from '../../toolkit/error-info.js';

export interface TabContext {
  splunkd: Splunkd;
  /** true when the user lacks admin_all_objects: everything is shown, nothing can be changed. */
  readOnly: boolean;
}

export function createAccountsTab(context: TabContext): { element: HTMLElement; load(): Promise<void> } {
  const { splunkd, readOnly } = context;
  const status = el('div', { class: 'tab-status', 'data-testid': 'accounts-status' });
  const list = el('div', { class: 'accounts-list' });
  const addButton = el(
    'button',
    { type: 'button', class: 'btn btn-primary', 'data-testid': 'add-account', disabled: readOnly },
    'Add account',
  );
  const element = el(
    'section',
    { class: 'tab-panel', 'data-panel': 'accounts' },
    el(
      'div',
      { class: 'panel-intro' },
      el(
        'p',
        {},
        'An account is one Entra ID app registration: inputs use it with account = <name>, alert actions with their Account field. ',
        "Its client secret is kept in Splunk's encrypted credential store.",
      ),
      addButton,
    ),
    status,
    list,
  );

  let accounts: FeedEntry[] = [];
  let usage: AccountUsage = new Map();
  let usageKnown = true;

  async function load(): Promise<void> {
    try {
      accounts = entriesOf(await splunkd.get(`configs/conf-${ACCOUNT_CONF}`)).filter((e) => e.name !== 'default');
    } catch (error) {
      replaceChildren(status, notice('error', errorInfo(error).message, 'accounts-error'));
      return;
    }
    try {
      usage = await listAccountUsage(splunkd);
      usageKnown = true;
    } catch {
      usageKnown = false;
    }
    render();
  }

  function render(): void {
    if (accounts.length === 0) {
      replaceChildren(
        list,
        el(
          'p',
          { class: 'empty', 'data-testid': 'no-accounts' },
          'No account yet. Add one to let inputs and actions share its credentials.',
        ),
      );
      return;
    }
    const header = el(
      'tr',
      {},
      ...['Name', 'Tenant ID', 'Client ID', 'Region', 'Login URL', 'Used by', ''].map((h) => el('th', {}, h)),
    );
    const rows = accounts.map((account) => {
      const c = account.content;
      const str = (key: string) => (typeof c[key] === 'string' && c[key] !== '' ? c[key] : '');
      const used = usage.get(account.name) ?? [];
      const rowStatus = el('div', { class: 'row-status' });
      const check = el(
        'button',
        { type: 'button', class: 'btn btn-small', 'data-testid': `check-${account.name}`, disabled: readOnly },
        'Check',
      );
      check.addEventListener('click', async () => {
        check.disabled = true;
        replaceChildren(rowStatus, notice('info', 'Asking Entra ID for a token…'));
        const result = await runCheck(splunkd, {
          name: account.name,
          tenant_id: str('tenant_id'),
          client_id: str('client_id'),
          region: str('region'),
          login_url: str('login_url'),
        });
        replaceChildren(
          rowStatus,
          notice(result.ok ? 'success' : 'error', result.message, `check-result-${account.name}`),
        );
        check.disabled = false;
      });
      const edit = el(
        'button',
        { type: 'button', class: 'btn btn-small', 'data-testid': `edit-${account.name}`, disabled: readOnly },
        'Edit',
      );
      edit.addEventListener('click', () => openForm(account));
      const remove = el(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-danger',
          'data-testid': `delete-${account.name}`,
          disabled: readOnly,
        },
        'Delete',
      );
      remove.addEventListener('click', () => confirmDelete(account.name));
      return el(
        'tr',
        { 'data-account': account.name },
        el('td', { class: 'mono' }, account.name),
        el('td', { class: 'mono' }, str('tenant_id')),
        el('td', { class: 'mono' }, str('client_id')),
        el('td', {}, str('region') || 'global'),
        el('td', { class: 'mono' }, str('login_url') || '—'),
        el(
          'td',
          { 'data-testid': `used-by-${account.name}` },
          !usageKnown ? 'unknown' : used.length === 0 ? '—' : used.join(', '),
        ),
        el('td', { class: 'actions' }, el('div', { class: 'buttons' }, check, edit, remove), rowStatus),
      );
    });
    replaceChildren(
      list,
      el(
        'table',
        { class: 'table', 'data-testid': 'accounts-table' },
        el('thead', {}, header),
        el('tbody', {}, ...rows),
      ),
    );
  }

  function openForm(existing?: FeedEntry): void {
    openAccountForm({
      splunkd,
      existing,
      takenNames: new Set(accounts.map((a) => a.name)),
      onSaved: async (name, warning) => {
        await load();
        replaceChildren(
          status,
          notice(
            'success',
            `Account ${name} saved. Its client secret is in Splunk's credential store, not in any .conf file.`,
            'accounts-saved',
          ),
          warning ? notice('warning', warning) : null,
        );
      },
    });
  }

  async function confirmDelete(name: string): Promise<void> {
    let inputs: string[] | undefined;
    try {
      inputs = (await listAccountUsage(splunkd)).get(name) ?? [];
    } catch {
      inputs = undefined;
    }
    const consequence =
      inputs === undefined
        ? 'The inputs could not be listed, so inputs using it may exist: they would stop collecting.'
        : inputs.length === 0
          ? 'No input uses it.'
          : `It is used by ${inputs.length === 1 ? 'the input' : `${inputs.length} inputs`} ${inputs.join(', ')}: ${inputs.length === 1 ? 'it stops' : 'they stop'} collecting until given another account. Alert actions set to this account fail too.`;
    const confirm = el(
      'button',
      { type: 'button', class: 'btn btn-danger', 'data-testid': 'confirm-delete' },
      'Delete',
    );
    const cancel = el('button', { type: 'button', class: 'btn', 'data-testid': 'cancel-delete' }, 'Cancel');
    const dialog = el(
      'dialog',
      { class: 'dialog', 'aria-label': 'Delete account', 'data-testid': 'delete-dialog' },
      el('h2', {}, `Delete account ${name}?`),
      el('p', { 'data-testid': 'delete-consequence' }, consequence),
      el('p', {}, 'Its stored client secret is deleted as well.'),
      el('div', { class: 'form-buttons' }, cancel, confirm),
    );
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      let outcome: HTMLElement;
      try {
        await splunkd.remove(`configs/conf-${ACCOUNT_CONF}/${encodeURIComponent(name)}`);
        await deleteSecret(splunkd, accountSecretUser(name));
        outcome = notice('success', `Account ${name} deleted, with its stored secret.`, 'accounts-deleted');
      } catch (error) {
        outcome = notice('error', errorInfo(error).message, 'accounts-error');
      }
      dialog.close();
      await load();
      replaceChildren(status, outcome);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  }

  addButton.addEventListener('click', () => openForm());
  return { element, load };
}
