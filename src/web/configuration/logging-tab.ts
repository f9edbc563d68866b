/**
 * Logging tab: [logging] log_level of ta_microsoft_defender_settings.conf (what the inputs and actions write to
 * splunkd.log).
 */
import { SETTINGS_CONF } from '../../config/app-settings.js';
import { LOG_LEVELS } from '../../toolkit/log-levels.js';
import { el, notice, replaceChildren } from './dom.js';
import type { TabContext } from './accounts-tab.js';
import { entriesOf } from './splunk-web.js';
import { errorInfo } from '../../toolkit/error-info.js';

export function createLoggingTab({ splunkd, readOnly }: TabContext): { element: HTMLElement; load(): Promise<void> } {
  const status = el('div', { class: 'tab-status', 'data-testid': 'logging-status' });
  const level = el(
    'select',
    { id: 'log_level', name: 'log_level', disabled: readOnly },
    ...LOG_LEVELS.map((l) => el('option', { value: l }, l)),
  );
  const save = el(
    'button',
    { type: 'submit', class: 'btn btn-primary', 'data-testid': 'logging-save', disabled: readOnly },
    'Save',
  );
  const form = el(
    'form',
    { class: 'settings-form' },
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'log_level' }, 'Log level'),
      level,
      el(
        'div',
        { class: 'field-help' },
        'The lowest level the inputs and actions write to splunkd.log (index=_internal). DEBUG is verbose; never logs secrets.',
      ),
    ),
    el('div', { class: 'form-buttons' }, save),
  );
  const element = el('section', { class: 'tab-panel', 'data-panel': 'logging' }, status, form);

  async function load(): Promise<void> {
    try {
      const entry = entriesOf(await splunkd.get(`configs/conf-${SETTINGS_CONF}/logging`))[0];
      const value = typeof entry?.content.log_level === 'string' ? entry.content.log_level.toUpperCase() : 'INFO';
      level.value = value === 'WARNING' ? 'WARN' : value;
    } catch (error) {
      replaceChildren(status, notice('error', errorInfo(error).message));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      await splunkd.post(`configs/conf-${SETTINGS_CONF}/logging`, { log_level: level.value });
      replaceChildren(
        status,
        notice(
          'success',
          `Log level ${level.value} saved: inputs and actions use it from their next run.`,
          'logging-saved',
        ),
      );
    } catch (error) {
      replaceChildren(status, notice('error', errorInfo(error).message, 'logging-error'));
    } finally {
      save.disabled = readOnly;
    }
  });
  return { element, load };
}
