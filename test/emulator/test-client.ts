/**
 * Plain node:https calls for the emulator's own tests (no add-on code involved): trusts the test CA in-process and
 * opens a fresh connection per request, so a fault that kills one socket cannot leak into the next test.
 */
import { request as httpsRequest } from 'node:https';
import type { Emulator } from './emulator.js';

/** A complete response. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

/** Options of call(). */
export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Fails the call with 'timeout' if the socket is idle this long. */
  idleTimeoutMs?: number;
}

/** One https request trusting `ca`; rejects on socket errors, resets, timeouts and incomplete bodies. */
export function call(ca: string, url: string, options: CallOptions = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('aborted', () => reject(new Error('aborted')));
        res.on('error', reject);
        res.on('end', () => {
          if (!res.complete) {
            reject(new Error('incomplete body'));
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    if (options.idleTimeoutMs !== undefined)
      req.setTimeout(options.idleTimeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A client bound to one emulator and (optionally) a bearer token. */
export function client(emu: Emulator, token?: string) {
  const auth = (headers: Record<string, string> = {}): Record<string, string> =>
    token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers };
  return {
    get: (url: string, headers?: Record<string, string>, extra: CallOptions = {}) =>
      call(emu.ca, url, { ...extra, headers: auth(headers) }),
    send: (method: string, url: string, body: unknown, headers?: Record<string, string>) =>
      call(emu.ca, url, {
        method,
        headers: auth({ 'content-type': 'application/json', ...headers }),
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

/** Client-credentials token from the emulator's v2 endpoint. */
export async function fetchToken(
  emu: Emulator,
  tenantId: string,
  clientId: string,
  secret: string,
  scope: string,
): Promise<string> {
  const res = await call(emu.ca, `${emu.urls.login}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: clientId,
      client_secret: secret,
      scope,
      grant_type: 'client_credentials',
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return res.json<{ access_token: string }>().access_token;
}

/** Well-formed ids for tests. */
export const TENANT = '11111111-2222-4333-8444-555555555555';
export const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const SECRET = 'emu~secret~value-1234567890';

/** Scopes per service. */
export const SCOPES = {
  graph: 'https://graph.microsoft.com/.default',
  mde: 'https://api.securitycenter.microsoft.com/.default',
  siem: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default',
} as const;
