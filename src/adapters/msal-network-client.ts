/**
 * msal-node's `system.networkClient` on got, so token calls use the same proxy, CA, timeouts and User-Agent as the
 * API calls (msal-node 7 has no proxy option and its default client is bare fetch:
 * https://learn.microsoft.com/entra/msal/javascript/node/configuration).
 *
 * msal turns every failure of the openid-configuration request into one opaque `endpoints_resolution_error`, and
 * other transport failures into a message-less `network_error`. This client remembers the last failure it saw so the
 * token provider can tell "unknown tenant" from "proxy refused" from "timed out" (aadsts.ts).
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { TransportFailure } from '../defender/aadsts.js';
import { errorInfo } from '../toolkit/error-info.js';
import type { Outbound } from './network/outbound.js';

/** An INetworkModule that can say what went wrong last. */
export interface MsalNetworkClient extends INetworkModule {
  /** The last failed call (HTTP status ≥ 400, or no answer), until `clearLastFailure()`. */
  lastFailure(): TransportFailure | undefined;
  clearLastFailure(): void;
}

/** Options of {@link createMsalNetworkClient}. */
export interface MsalNetworkClientOptions {
  /** The route shared with the API client (same proxy, same sockets). */
  outbound: Outbound;
  /** Whole-request limit for each metadata or token call. */
  timeoutMs: number;
}

/** Entra answers are a few KB; anything bigger is not Entra (a captive portal, a misrouted proxy). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Creates the network client to pass as `system.networkClient`. */
export function createMsalNetworkClient(options: MsalNetworkClientOptions): MsalNetworkClient {
  const { outbound } = options;
  const connectMs = Math.min(options.timeoutMs, 10_000);
  const client = outbound.got.extend({
    timeout: { lookup: connectMs, connect: connectMs, secureConnect: connectMs, request: options.timeoutMs },
    responseType: 'text',
  });
  let last: TransportFailure | undefined;

  async function call<T>(
    method: 'GET' | 'POST',
    url: string,
    request: NetworkRequestOptions | undefined,
  ): Promise<NetworkResponse<T>> {
    let res;
    try {
      res = await client(url, {
        method,
        headers: { ...request?.headers },
        ...(method === 'POST' ? { body: request?.body ?? '' } : {}),
      });
    } catch (error) {
      const e = errorInfo(error);
      const refusal = outbound.explainRefusal(e.message);
      const code = refusal ? 'EPROXY' : e.name === 'TimeoutError' ? 'ETIMEDOUT' : (e.code ?? 'ERR_NETWORK');
      // Never the request body: it holds the client secret.
      const detail = outbound.redact(refusal ?? e.message);
      last = { url, code, detail };
      throw new Error(`${method} ${url} failed: ${code}: ${detail}`, { cause: error });
    }
    const headers = flattenHeaders(res.headers);
    const text = res.body.length > MAX_BODY_BYTES ? '' : res.body;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.statusCode >= 400) last = { url, status: res.statusCode, body, headers };
    if (body === undefined || typeof body !== 'object' || body === null) {
      // msal would fail later with a parse error that hides the status; fail here with it.
      last ??= { url, status: res.statusCode, headers };
      throw new Error(`${method} ${url} answered HTTP ${res.statusCode} with a body that is not JSON`);
    }
    return { status: res.statusCode, headers, body: body as T };
  }

  return {
    sendGetRequestAsync: (url, request) => call('GET', url, request),
    sendPostRequestAsync: (url, request) => call('POST', url, request),
    lastFailure: () => last,
    clearLastFailure: () => {
      last = undefined;
    },
  };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
