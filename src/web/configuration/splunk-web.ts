/**
 * How the page reaches splunkd: only through Splunk Web's own REST proxy, `<root>/<locale>/splunkd/__raw/...`, with
 * the session cookie the browser already holds and the CSRF form key that Splunk Web checks on every call. Splunk's
 * own pages send the key as the X-Splunk-Form-Key header, read from the `splunkweb_csrf_token_<port>` cookie, where
 * <port> is Splunk Web's own port (window.$C.MRSPARKLE_PORT_NUMBER, set by the `config?autoload=1` script).
 */

/** The part of Splunk Web's `window.$C` the page reads (the template loads it from `config?autoload=1`). */
interface SplunkWebConfig {
  LOCALE?: string;
  MRSPARKLE_ROOT_PATH?: string;
  MRSPARKLE_PORT_NUMBER?: number | string;
  USERNAME?: string;
}

declare global {
  interface Window {
    $C?: SplunkWebConfig;
  }
}

/** The app whose namespace the page reads and writes: conf files and secrets live under servicesNS/nobody/<app>. */
export const APP = 'TA-microsoft-defender';

/** One message of a splunkd error answer. */
export interface SplunkdMessage {
  type: string;
  text: string;
}

/** A failed call, with a sentence for the admin (never the request body: it may hold a secret). */
export class SplunkdRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** `<root>/<locale>`: from $C when the config script ran, else from the page's own URL (`…/<locale>/app/<app>/…`). */
export function webPrefix(config: SplunkWebConfig | undefined, pathname: string): string {
  if (config?.LOCALE) return `${(config.MRSPARKLE_ROOT_PATH ?? '').replace(/\/+$/, '')}/${config.LOCALE}`;
  const match = /^(.*?\/[a-z]{2}-[A-Z]{2})\/app\//.exec(pathname);
  return match?.[1] ?? '/en-US';
}

/** The CSRF form key from Splunk Web's cookie; '' when there is none (every write then fails with a clear error). */
export function formKey(config: SplunkWebConfig | undefined, cookies: string): string {
  const port = config?.MRSPARKLE_PORT_NUMBER;
  const named = port !== undefined ? new RegExp(`(?:^|;\\s*)splunkweb_csrf_token_${port}=([^;]*)`).exec(cookies) : null;
  // Without $C, any Splunk Web CSRF cookie (one per Splunk Web port the browser has visited on this host).
  const match = named ?? /(?:^|;\s*)splunkweb_csrf_token_\d+=([^;]*)/.exec(cookies);
  return match ? decodeURIComponent(match[1] ?? '') : '';
}

/**
 * A splunkd REST client bound to Splunk Web's proxy. Paths are relative to /servicesNS/nobody/<app>/ unless absolute.
 */
export interface Splunkd {
  get(path: string, query?: Record<string, string>): Promise<unknown>;
  post(path: string, form: Record<string, string>): Promise<unknown>;
  /** Resolves true when deleted, false when it did not exist (404). */
  remove(path: string): Promise<boolean>;
}

export function createSplunkd(win: Window = window): Splunkd {
  const base = `${webPrefix(win.$C, win.location.pathname)}/splunkd/__raw`;
  const url = (path: string, query: Record<string, string> = {}) => {
    const full = path.startsWith('/') ? path : `/servicesNS/nobody/${APP}/${path}`;
    return `${base}${full}?${new URLSearchParams({ ...query, output_mode: 'json' })}`;
  };
  async function call(
    method: string,
    path: string,
    init: { query?: Record<string, string>; form?: Record<string, string> },
  ) {
    const headers: Record<string, string> = {
      'X-Splunk-Form-Key': formKey(win.$C, win.document.cookie),
      'X-Requested-With': 'XMLHttpRequest',
    };
    if (init.form) headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
    const response = await win.fetch(url(path, init.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }
  const fail = (status: number, body: unknown, what: string) =>
    new SplunkdRequestError(status, explain(status, body, what), body);
  return {
    async get(path, query) {
      const { status, body } = await call('GET', path, { query: { count: '0', ...query } });
      if (status !== 200) throw fail(status, body, `read ${path}`);
      return body;
    },
    async post(path, form) {
      const { status, body } = await call('POST', path, { form });
      if (status !== 200 && status !== 201) throw fail(status, body, `save ${path}`);
      return body;
    },
    async remove(path) {
      const { status, body } = await call('DELETE', path, {});
      if (status === 404) return false;
      if (status !== 200) throw fail(status, body, `delete ${path}`);
      return true;
    },
  };
}

/** A sentence for a failed call: what splunkd said, and what to do for the statuses an admin can act on. */
export function explain(status: number, body: unknown, what: string): string {
  const said = messagesOf(body)
    .map((m) => m.text)
    .join(' ');
  if (status === 401)
    return `Splunk did not accept your session (HTTP 401) to ${what}: sign in to Splunk Web again, then reload this page.`;
  if (status === 403) {
    return `Splunk refused to ${what} (HTTP 403)${said ? `: ${said}` : ''}. Changing this add-on's configuration needs a role with the admin_all_objects capability.`;
  }
  return `Splunk could not ${what} (HTTP ${status})${said ? `: ${said}` : '.'}`;
}

export function messagesOf(body: unknown): SplunkdMessage[] {
  const messages = (body as { messages?: unknown } | undefined)?.messages;
  return Array.isArray(messages) ? messages.filter((m): m is SplunkdMessage => typeof m?.text === 'string') : [];
}

/** One entry of a splunkd JSON feed. */
export interface FeedEntry {
  name: string;
  content: Record<string, unknown>;
}

export function entriesOf(body: unknown): FeedEntry[] {
  const entries = (body as { entry?: unknown } | undefined)?.entry;
  return Array.isArray(entries)
    ? entries.filter((e): e is FeedEntry => typeof e?.name === 'string' && typeof e?.content === 'object')
    : [];
}

/** The add-on's secret endpoint (restmap.conf), relative to /servicesNS/nobody/<app>/. */
export const SECRET_PATH = 'ta_microsoft_defender/secret';

/**
 * Stores a secret (an account's, or the proxy password) through the add-on's endpoint, which answers only {ok}: the
 * page never calls storage/passwords, whose answers carry clear_password back.
 */
export async function storeSecret(splunkd: Splunkd, user: string, password: string): Promise<void> {
  await splunkd.post(SECRET_PATH, { action: 'store', user, password });
}

/** Deletes a secret through the same endpoint; nothing happens when there is none. */
export async function deleteSecret(splunkd: Splunkd, user: string): Promise<void> {
  await splunkd.post(SECRET_PATH, { action: 'delete', user });
}
