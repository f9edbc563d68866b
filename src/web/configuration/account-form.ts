/**
 * The add/edit account dialog. Validation uses the add-on's own rules (config/accounts.ts, shared with the inputs and
 * actions), shown under each field. The client secret field is write-only: it starts empty, is sent only to
 * storage/passwords (or to the Check endpoint when the admin checks typed values), and is emptied after every use;
 * leaving it empty on edit keeps the stored secret.
 */
import {
  ACCOUNT_CONF,
  ACCOUNT_REGIONS,
  accountSecretUser,
  clientSecretProblem,
  clientSecretWarning,
  parseAccount,
  type AccountField,
  type AccountProblem,
} from '../../config/accounts.js';
import { el, notice, replaceChildren } from './dom.js';
import { runCheck } from './account-check-client.js';
import { SplunkdRequestError, storeSecret, type FeedEntry, type Splunkd } from './splunk-web.js';

export interface AccountFormOptions {
  splunkd: Splunkd;
  /** The account to edit; undefined to add one. */
  existing?: FeedEntry;
  /** Names already taken (adding only). */
  takenNames: ReadonlySet<string>;
  /** Called after a successful save, with the account's name and a warning worth showing (a Secret ID pasted). */
  onSaved(name: string, warning: string | undefined): void | Promise<void>;
}

const FIELDS: ReadonlyArray<{ key: Exclude<AccountField, 'client_secret'>; label: string; help: string }> = [
  {
    key: 'name',
    label: 'Account name',
    help: 'What inputs (account = <name>) and alert actions refer to, e.g. contoso_prod.',
  },
  {
    key: 'tenant_id',
    label: 'Tenant ID',
    help: "Directory (tenant) ID from the app registration's Overview page, or a verified domain.",
  },
  { key: 'client_id', label: 'Client ID', help: 'Application (client) ID from the same page.' },
  { key: 'region', label: 'Region', help: 'Cloud or data region of the tenant; empty means global.' },
  {
    key: 'login_url',
    label: 'Login URL',
    help: "Optional https base URL replacing the region's Entra ID host. Leave empty normally.",
  },
];

/** Opens the dialog (a native <dialog>) and resolves when it closes. */
export function openAccountForm(options: AccountFormOptions): HTMLDialogElement {
  const editing = options.existing !== undefined;
  const inputs = new Map<AccountField, HTMLInputElement | HTMLSelectElement>();
  const errors = new Map<AccountField, HTMLElement>();
  const status = el('div', { class: 'form-status', 'data-testid': 'form-status' });

  const field = (key: AccountField, label: string, help: string, control: HTMLInputElement | HTMLSelectElement) => {
    control.id = `account-${key}`;
    control.setAttribute('name', key);
    inputs.set(key, control);
    const error = el('div', { class: 'field-error', 'data-error-for': key, id: `account-${key}-error`, role: 'alert' });
    control.setAttribute('aria-describedby', `account-${key}-error`);
    errors.set(key, error);
    return el(
      'div',
      { class: 'field' },
      el('label', { for: control.id }, label),
      control,
      el('div', { class: 'field-help' }, help),
      error,
    );
  };

  const content = options.existing?.content ?? {};
  const text = (key: string) => (typeof content[key] === 'string' ? content[key] : '');
  const rows: HTMLElement[] = FIELDS.map(({ key, label, help }) => {
    if (key === 'region') {
      const select = el(
        'select',
        {},
        el('option', { value: '' }, '(empty: global)'),
        ...ACCOUNT_REGIONS.map((r) => el('option', { value: r }, r)),
      );
      select.value = text('region');
      return field(key, label, help, select);
    }
    const input = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
    input.value = key === 'name' ? (options.existing?.name ?? '') : text(key);
    if (key === 'name' && editing) input.readOnly = true;
    return field(key, label, help, input);
  });
  const secret = el('input', {
    type: 'password',
    autocomplete: 'new-password',
    placeholder: editing ? 'Stored in Splunk: leave empty to keep it' : "The secret's Value from Entra ID",
  });
  rows.push(
    field(
      'client_secret',
      'Client secret',
      'Stored encrypted in Splunk (storage/passwords); never shown again.',
      secret,
    ),
  );

  const checkButton = el('button', { type: 'button', class: 'btn', 'data-testid': 'form-check' }, 'Check');
  const saveButton = el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'form-save' }, 'Save');
  const cancelButton = el('button', { type: 'button', class: 'btn', 'data-testid': 'form-cancel' }, 'Cancel');
  const form = el(
    'form',
    { class: 'account-form', novalidate: true, 'data-testid': 'account-form' },
    el('h2', {}, editing ? `Edit account ${options.existing!.name}` : 'Add account'),
    ...rows,
    status,
    el('div', { class: 'form-buttons' }, checkButton, cancelButton, saveButton),
  );
  const dialog = el('dialog', { class: 'dialog', 'aria-label': editing ? 'Edit account' : 'Add account' }, form);

  const values = () =>
    Object.fromEntries([...inputs].map(([key, control]) => [key, control.value.trim()])) as Record<
      AccountField,
      string
    >;
  const showProblems = (problems: readonly AccountProblem[]) => {
    for (const [key, error] of errors) {
      const problem = problems.find((p) => p.field === key);
      error.textContent = problem?.message ?? '';
      inputs.get(key)?.setAttribute('aria-invalid', problem ? 'true' : 'false');
    }
  };
  const validate = (forSave: boolean): AccountProblem[] => {
    const v = values();
    const parsed = parseAccount(v.name, v);
    const problems = parsed.ok ? [] : [...parsed.problems];
    if (!editing && options.takenNames.has(v.name)) {
      problems.unshift({
        field: 'name',
        message: `An account named "${v.name}" already exists: choose another name, or edit that account.`,
      });
    }
    const secretProblem = clientSecretProblem(v.client_secret, forSave && !editing);
    if (secretProblem !== undefined) problems.push({ field: 'client_secret', message: secretProblem });
    showProblems(problems);
    return problems;
  };
  const busy = (on: boolean) => {
    for (const button of [checkButton, saveButton, cancelButton]) button.disabled = on;
  };

  checkButton.addEventListener('click', async () => {
    if (validate(false).length > 0) return;
    busy(true);
    replaceChildren(status, notice('info', 'Asking Entra ID for a token…'));
    const v = values();
    const result = await runCheck(options.splunkd, v);
    busy(false);
    if (result.problems) showProblems(result.problems);
    replaceChildren(status, notice(result.ok ? 'success' : 'error', result.message, 'check-result'));
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (validate(true).length > 0) return;
    const v = values();
    const warning = clientSecretWarning(v.client_secret);
    busy(true);
    replaceChildren(status, notice('info', 'Saving…'));
    try {
      await saveAccount(options.splunkd, v, editing);
      secret.value = '';
      dialog.close();
      await options.onSaved(v.name, warning);
    } catch (error) {
      replaceChildren(
        status,
        notice('error', error instanceof Error ? error.message : 'The account could not be saved.', 'save-error'),
      );
    } finally {
      busy(false);
    }
  });
  cancelButton.addEventListener('click', () => dialog.close());
  // Whatever closes the dialog (Cancel, Escape, Save), the typed secret does not stay in the page.
  dialog.addEventListener('close', () => {
    secret.value = '';
    dialog.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  (editing ? inputs.get('tenant_id') : inputs.get('name'))?.focus();
  return dialog;
}

/**
 * Writes the stanza, then the secret. A new account whose secret cannot be stored is removed again, so no account
 * exists without its secret.
 */
async function saveAccount(splunkd: Splunkd, v: Record<AccountField, string>, editing: boolean): Promise<void> {
  const stanza = { tenant_id: v.tenant_id, client_id: v.client_id, region: v.region, login_url: v.login_url };
  const confPath = `configs/conf-${ACCOUNT_CONF}`;
  if (editing) await splunkd.post(`${confPath}/${encodeURIComponent(v.name)}`, stanza);
  else await splunkd.post(confPath, { name: v.name, ...stanza });
  if (v.client_secret === '') return;
  try {
    await storeSecret(splunkd, accountSecretUser(v.name), v.client_secret);
  } catch (error) {
    if (!editing) await splunkd.remove(`${confPath}/${encodeURIComponent(v.name)}`).catch(() => false);
    const reason = error instanceof SplunkdRequestError ? error.message : 'an unexpected error';
    throw new Error(
      `The secret could not be stored (${reason})${editing ? '; the other fields were saved' : '; the account was not created'}.`,
      { cause: error },
    );
  }
}
