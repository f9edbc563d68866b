/**
 * SplunkdClient over splunkd's management REST API
 * (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTaccess), with the `server_uri` and
 * `session_key` that splunkd hands to the input (XML) or the alert action (payload). splunk-sdk is the REST client,
 * contained in splunk-sdk-service.ts. This file decides where it may connect, builds the endpoints, and turns every
 * failure into a SplunkdError whose message never holds the session key, a secret or a request body.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SplunkdError } from '../errors.js';
import { redactSecrets } from '../toolkit/redact.js';
import type { Logger, SplunkdClient } from '../ports.js';
import {
  createSplunkSdkService,
  SplunkdTransportError,
  type SplunkdRest,
  type SplunkdRestResponse,
} from './splunk-sdk-service.js';

/** A few calls per run, each small: a quarter of a minute is generous even for a busy splunkd. */
export const DEFAULT_SPLUNKD_TIMEOUT_MS = 15_000;

export interface SplunkdClientOptions {
  /**
   * splunkd's management URI, from the input XML `server_uri` or the alert payload (normally https://127.0.0.1:8089).
   */
  serverUri: string;
  /** `session_key` from the same place; sent as `Authorization: Splunk <key>`, never logged. */
  sessionKey: string;
  /** App namespace of the secrets: `/servicesNS/nobody/<app>/storage/passwords`. */
  app: string;
  log: Logger;
  /** Deadline per request, connect to last byte. Default DEFAULT_SPLUNKD_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Let the client talk to a splunkd that is not on this host. Off by default: splunk-sdk's REST client is used only
   * for splunkd's own loopback management port, where Splunk's self-signed certificate cannot be checked anyway.
   */
  allowNonLoopback?: boolean;
  /** PEM CA certificate(s) that signed splunkd's certificate; when given, the certificate is checked against them. */
  ca?: string;
}

/** Where and how the client may connect, decided once from the options. */
export type SplunkdConnectionDecision =
  { allowed: true; url: URL; verifyTls: boolean; reason: string } | { allowed: false; reason: string };

/**
 * Decides whether a server URI may be used and whether its certificate is checked: loopback hosts are allowed (their
 * certificate is checked only against an explicit `ca`); any other host only with `allowNonLoopback`.
 */
export function decideSplunkdConnection(
  serverUri: string,
  options: { allowNonLoopback?: boolean; ca?: string },
): SplunkdConnectionDecision {
  let url: URL;
  try {
    url = new URL(serverUri);
  } catch {
    return {
      allowed: false,
      reason: `server_uri ${JSON.stringify(serverUri)} is not a URL; splunkd normally passes https://127.0.0.1:8089`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return {
      allowed: false,
      reason: `server_uri ${url.origin} is not http(s); splunkd normally passes https://127.0.0.1:8089`,
    };
  }
  const verifyTls = url.protocol === 'https:' && options.ca !== undefined;
  const checks =
    url.protocol === 'http:'
      ? 'plain http'
      : verifyTls
        ? 'certificate checked against the configured CA'
        : 'certificate not checked';
  if (isLoopbackHost(url.hostname)) {
    return { allowed: true, url, verifyTls, reason: `splunkd ${url.origin} is on this host (loopback): ${checks}` };
  }
  if (options.allowNonLoopback) {
    return {
      allowed: true,
      url,
      verifyTls,
      reason: `splunkd ${url.origin} is not on this host, allowed explicitly: ${checks}`,
    };
  }
  return {
    allowed: false,
    reason: `server_uri ${url.origin} is not a loopback address; the add-on only talks to splunkd on this host (set splunkd's management URI to 127.0.0.1, or allow it explicitly)`,
  };
}

/** A SplunkdClient for one splunkd and session key. Never throws: a refused server URI fails every call instead. */
export function createSplunkdClient(options: SplunkdClientOptions): SplunkdClient {
  const { sessionKey, app, log } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SPLUNKD_TIMEOUT_MS;
  const decision = decideSplunkdConnection(options.serverUri, options);
  log.debug(`splunkd connection ${decision.allowed ? 'allowed' : 'refused'}: ${decision.reason}`, {
    action: 'splunkd_connection',
    allowed: decision.allowed,
    verify_tls: decision.allowed ? decision.verifyTls : undefined,
  });
  const rest: SplunkdRest | undefined = decision.allowed
    ? createSplunkSdkService({
        serverUri: decision.url,
        sessionKey,
        timeoutMs,
        verifyTls: decision.verifyTls,
        ca: options.ca,
      })
    : undefined;
  const origin = decision.allowed ? decision.url.origin : 'server_uri';

  /** Runs one REST call; every failure leaves as a SplunkdError scrubbed of the key and of `secrets`. */
  async function call(
    what: { operation: string; capability: string },
    send: (rest: SplunkdRest) => Promise<SplunkdRestResponse>,
    secrets: string[] = [],
  ): Promise<SplunkdRestResponse> {
    if (!rest) throw new SplunkdError('splunkd_uri_refused', `Cannot ${what.operation}: ${decision.reason}.`);
    const scrub = (text: string) => redact(text, [sessionKey, ...secrets]);
    let response: SplunkdRestResponse;
    try {
      response = await send(rest);
    } catch (error) {
      if (error instanceof SplunkdTransportError && error.kind === 'timeout') {
        throw new SplunkdError(
          'splunkd_unreachable',
          `splunkd at ${origin} did not answer within ${timeoutMs / 1000} s to ${what.operation}: check that splunkd is running and not overloaded.`,
        );
      }
      const detail = error instanceof SplunkdTransportError ? (error.errno ?? scrub(error.message)) : 'unknown error';
      const fix = /CERT|SIGNATURE|SELF_SIGNED|ISSUER|TLS|SSL/i.test(detail)
        ? "check that the CA given for splunkd's certificate is the one that signed it"
        : 'check that splunkd is running and that server_uri is its management port';
      throw new SplunkdError(
        'splunkd_unreachable',
        `Cannot reach splunkd at ${origin} to ${what.operation} (${detail}): ${fix}.`,
      );
    }
    log.debug('splunkd answered', { action: 'splunkd_request', operation: what.operation, status: response.status });
    return response;
  }

  /** The SplunkdError for an HTTP answer the operation does not expect. */
  function toError(
    what: { operation: string; capability: string },
    response: SplunkdRestResponse,
    secrets: string[] = [],
  ): SplunkdError {
    // Redact before shortening, so a cut can never leave part of a secret behind.
    const said = shorten(redact(messagesOf(response.data), [sessionKey, ...secrets]));
    const suffix = said ? `; splunkd said: ${said}` : '';
    if (response.status === 401) {
      return new SplunkdError(
        'splunkd_unauthorized',
        `splunkd refused the session key to ${what.operation} (HTTP 401): it expired or belongs to another splunkd; the next run gets a new one.`,
      );
    }
    if (response.status === 403) {
      return new SplunkdError(
        'splunkd_forbidden',
        `splunkd did not allow the session's user to ${what.operation} (HTTP 403): it needs the ${what.capability} capability${suffix}.`,
      );
    }
    return new SplunkdError('splunkd_error', `splunkd could not ${what.operation} (HTTP ${response.status}${suffix}).`);
  }

  const passwords = `/servicesNS/nobody/${encodeURIComponent(app)}/storage/passwords`;
  const secretCapability = 'list_storage_passwords (read) or admin_all_objects (write)';

  /** A single-entry Atom answer's content as strings (splunkd's eai:* metadata left out), or undefined on 404. */
  async function readStanza(
    what: { operation: string; capability: string },
    path: string,
  ): Promise<Record<string, string> | undefined> {
    const response = await call(what, (r) => r.get(path));
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw toError(what, response);
    const content = firstEntryContent(response.data);
    if (!content)
      throw new SplunkdError('splunkd_error', `splunkd answered without the stanza's content to ${what.operation}.`);
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(content)) {
      // eai:* are splunkd's own metadata (ACL, attributes), not stanza parameters.
      if (key.startsWith('eai:') || value === null || value === undefined || typeof value === 'object') continue;
      params[key] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    }
    return params;
  }

  return {
    async getSecret(realm, user) {
      const what = { operation: `read the stored secret realm=${realm} user=${user}`, capability: secretCapability };
      const response = await call(what, (r) => r.get(`${passwords}/${toEntryName(realm, user)}`));
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw toError(what, response);
      const content = firstEntryContent(response.data);
      const clear = content?.clear_password;
      if (typeof clear !== 'string') {
        throw new SplunkdError(
          'splunkd_error',
          `splunkd answered without clear_password to ${what.operation}: the session's user needs the list_storage_passwords capability.`,
        );
      }
      return clear;
    },

    async putSecret(realm, user, secret) {
      const what = { operation: `store the secret realm=${realm} user=${user}`, capability: secretCapability };
      const created = await call(what, (r) => r.postForm(passwords, { name: user, password: secret, realm }), [secret]);
      if (created.status === 200 || created.status === 201) return;
      if (created.status !== 409) throw toError(what, created, [secret]);
      // It exists (an earlier run, or the user typed a new secret): splunkd has no upsert, so update in place.
      const updated = await call(
        what,
        (r) => r.postForm(`${passwords}/${toEntryName(realm, user)}`, { password: secret }),
        [secret],
      );
      if (updated.status !== 200 && updated.status !== 201) throw toError(what, updated, [secret]);
    },

    async deleteSecret(realm, user) {
      const what = { operation: `delete the stored secret realm=${realm} user=${user}`, capability: secretCapability };
      // splunkd answers a DELETE with what is left of the collection (other secrets included): only the status is read.
      const response = await call(what, (r) => r.delete(`${passwords}/${toEntryName(realm, user)}`));
      if (response.status === 404) return false;
      if (response.status !== 200) throw toError(what, { status: response.status, data: undefined });
      return true;
    },

    async updateInput(scheme, name, inputApp, params) {
      const what = {
        operation: `update input ${scheme}://${name} in app ${inputApp} (${Object.keys(params).join(', ')})`,
        capability: 'edit_modinput_' + scheme + ' or admin_all_objects',
      };
      const path = `/servicesNS/nobody/${encodeURIComponent(inputApp)}/data/inputs/${encodeURIComponent(scheme)}/${encodeURIComponent(name)}`;
      const values = Object.values(params);
      const response = await call(what, (r) => r.postForm(path, params), values);
      if (response.status !== 200 && response.status !== 201) throw toError(what, response, values);
    },

    async getInput(scheme, name) {
      const what = { operation: `read input ${scheme}://${name}`, capability: 'list_inputs or admin_all_objects' };
      const path = `/servicesNS/nobody/${encodeURIComponent(app)}/data/inputs/${encodeURIComponent(scheme)}/${encodeURIComponent(name)}`;
      return readStanza(what, path);
    },

    async getConfStanza(file, stanza) {
      const what = { operation: `read [${stanza}] of ${file}.conf`, capability: `read access to the ${app} app` };
      const path = `/servicesNS/nobody/${encodeURIComponent(app)}/configs/conf-${encodeURIComponent(file)}/${encodeURIComponent(stanza)}`;
      return readStanza(what, path);
    },

    async sendEvent(event) {
      const what = { operation: `write an event with sourcetype=${event.sourcetype}`, capability: 'edit_tcp' };
      const query: Record<string, string> = { sourcetype: event.sourcetype };
      if (event.source !== undefined) query.source = event.source;
      if (event.index !== undefined) query.index = event.index;
      if (event.host !== undefined) query.host = event.host;
      const response = await call(what, (r) =>
        r.postRaw('/services/receivers/simple', query, event.data, 'text/plain; charset=utf-8'),
      );
      if (response.status !== 200 && response.status !== 201) throw toError(what, response);
    },
  };
}

/**
 * storage/passwords entry name: realm and user URL-encoded separately (slashes and colons too), joined by `:`, with
 * the trailing `:` splunkd uses (splunklib does the same).
 */
export function toEntryName(realm: string, user: string): string {
  return `${encodeURIComponent(realm)}:${encodeURIComponent(user)}:`;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) return host === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host);
  return false;
}

function firstEntryContent(data: unknown): Record<string, unknown> | undefined {
  const entries = (data as { entry?: unknown } | null)?.entry;
  const first = Array.isArray(entries) ? (entries[0] as { content?: unknown } | undefined) : undefined;
  return typeof first?.content === 'object' && first.content !== null
    ? (first.content as Record<string, unknown>)
    : undefined;
}

/** splunkd's own explanation (`messages[].text`) of a failed call. */
function messagesOf(data: unknown): string {
  const messages = (data as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  return messages
    .map((m) => (m as { text?: unknown }).text)
    .filter((t): t is string => typeof t === 'string')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Defence in depth: splunkd should never echo a secret, but if it does, it stops here. */
function redact(text: string, secrets: string[]): string {
  // Shorter values (flags, "1") are not secrets and would shred the text.
  return redactSecrets(
    text,
    secrets.filter((secret) => secret.length >= 4),
  );
}
