/**
 * splunk-sdk (npm), contained. We keep its `Service` as the REST client (namespaced paths,
 * `Authorization: Splunk <key>`, output_mode=json, form encoding) and replace the three things we cannot ship:
 *
 * - dotenv: the package index (`splunk-sdk`) runs `require("dotenv").config()` on import, loading a `.env` from
 *   splunkd's unknown working directory into process.env. We import `splunk-sdk/lib/service.js` and
 *   `splunk-sdk/lib/http.js` directly: neither requires dotenv (nor needle), so no bundler alias is needed for tests
 *   or bundles (build.mjs's alias stays as a second line of defence). A test proves a `.env` in the cwd stays unread.
 * - NodeHttp: it hard-codes `rejectUnauthorized: false`, has no overall deadline (needle's `timeout` covers only the
 *   connect), follows redirects, and its `_buildResponse` hands splunkd's messages to the SDK Logger, which prints
 *   with `console.*` (console.info would land on stdout, inside the XML event stream). We give `Service` our own
 *   transport instead: node:https with a hard deadline per request, no redirects, no proxy, no keep-alive, a body
 *   cap, certificate checks decided by the caller, and no logging at all.
 * - Errors: `Http.request` throws the whole response object for status >= 400. We turn that back into a plain
 *   `{status, data}` result so the caller maps statuses to SplunkdError; transport failures reject with
 *   SplunkdTransportError.
 *
 * Left as is: importing lib/http loads lib/log, which sets `process.env.LOG_LEVEL` (to "1" = ERROR) if unset. It is
 * harmless here (nothing we run reads it, and the SDK logger is never called through this transport).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request as requestHttp } from 'node:http';
import { request as requestHttps } from 'node:https';
import SdkHttp, { type SdkMessage, type SdkResponse } from 'splunk-sdk/lib/http.js';
import SdkService from 'splunk-sdk/lib/service.js';
import { USER_AGENT } from '../version.js';
import { errorInfo } from '../toolkit/error-info.js';

/** splunkd answers we read are small (one entry, one message); anything bigger is not splunkd. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A request that got no complete HTTP answer: splunkd down, reset, TLS failure, or no answer before the deadline. */
export class SplunkdTransportError extends Error {
  /** `timeout` when the deadline passed; `network` otherwise. */
  readonly kind: 'timeout' | 'network';
  /** Node's error code (ECONNREFUSED, ECONNRESET, DEPTH_ZERO_SELF_SIGNED_CERT…) when there is one. */
  readonly errno: string | undefined;
  constructor(kind: 'timeout' | 'network', message: string, errno?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SplunkdTransportError';
    this.kind = kind;
    this.errno = errno;
  }
}

/** An HTTP answer from splunkd, whatever its status. `data` is parsed JSON when splunkd sent JSON, else the text. */
export interface SplunkdRestResponse {
  status: number;
  data: unknown;
}

/** The REST calls the splunkd client needs, on absolute paths (`/servicesNS/nobody/<app>/…`, `/services/…`). */
export interface SplunkdRest {
  get(path: string, query?: Record<string, string>): Promise<SplunkdRestResponse>;
  /** POST with a form body (application/x-www-form-urlencoded). */
  postForm(path: string, form: Record<string, string>): Promise<SplunkdRestResponse>;
  /** POST with a raw body and query parameters (receivers/simple). */
  postRaw(path: string, query: Record<string, string>, body: string, contentType: string): Promise<SplunkdRestResponse>;
  /** DELETE one entity. */
  delete(path: string): Promise<SplunkdRestResponse>;
}

export interface SplunkSdkServiceOptions {
  /** splunkd's management URI (scheme, host, port; any path is ignored). */
  serverUri: URL;
  sessionKey: string;
  /** Deadline for each request, connect to last body byte. */
  timeoutMs: number;
  /** Check splunkd's certificate: against `ca` when given, else against Node's CA store. */
  verifyTls: boolean;
  /** PEM certificate(s) to trust for splunkd (e.g. $SPLUNK_HOME/etc/auth/cacert.pem). */
  ca?: string;
}

/** A splunk-sdk Service bound to one splunkd and session key, speaking through the contained transport. */
export function createSplunkSdkService(options: SplunkSdkServiceOptions): SplunkdRest {
  const { serverUri } = options;
  const transport = createTransport(options);
  const service = new SdkService(transport, {
    scheme: serverUri.protocol.replace(/:$/, ''),
    host: serverUri.hostname,
    port: serverUri.port || (serverUri.protocol === 'https:' ? 443 : 80),
    sessionKey: options.sessionKey,
    owner: 'nobody',
    autologin: false,
  });
  return {
    get: (path, query = {}) => settle(service.get(path, { ...query })),
    postForm: (path, form) => settle(service.post(path, { ...form })),
    postRaw: (path, query, body, contentType) =>
      settle(service.request(path, 'POST', { ...query }, undefined, body, { 'Content-Type': contentType })),
    delete: (path) => settle(service.del(path, {})),
  };
}

/** Http.request resolves below 400 and throws the same response object from 400 up; both become a result here. */
async function settle(pending: Promise<SdkResponse>): Promise<SplunkdRestResponse> {
  try {
    const response = await pending;
    return { status: response.status, data: response.data };
  } catch (error) {
    if (error instanceof SplunkdTransportError) throw error;
    const response = error as Partial<SdkResponse> | undefined;
    if (typeof response?.status === 'number') return { status: response.status, data: response.data };
    throw new SplunkdTransportError('network', 'splunk-sdk failed before sending the request', undefined, {
      cause: error,
    });
  }
}

/** An instance of splunk-sdk's Http whose makeRequest is ours (see the file comment for why). */
function createTransport(options: SplunkSdkServiceOptions): object {
  const ContainedHttp = SdkHttp.extend({
    makeRequest: (url, message) => send(url, message, options),
    parseJson: (json) => JSON.parse(json),
  });
  return new ContainedHttp();
}

function send(url: string, message: SdkMessage, options: SplunkSdkServiceOptions): Promise<SdkResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = Buffer.from(message.body ?? '', 'utf8');
    const request = target.protocol === 'https:' ? requestHttps : requestHttp;
    let settled = false;
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: unknown) =>
      finish(() => {
        if (timedOut) {
          reject(new SplunkdTransportError('timeout', `no answer within ${options.timeoutMs} ms`, 'ETIMEDOUT'));
        } else {
          const { code, message } = errorInfo(error);
          reject(new SplunkdTransportError('network', message, code, { cause: error }));
        }
      });

    const req = request(
      target,
      {
        method: message.method,
        headers: { ...message.headers, 'User-Agent': USER_AGENT, 'Content-Length': String(body.length) },
        // Each process makes a handful of calls; a fresh socket per call leaves nothing open to delay exit.
        agent: false,
        rejectUnauthorized: options.verifyTls,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () =>
          finish(() => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            resolve({
              response: { statusCode: status, headers: res.headers },
              status,
              data: parseBody(text, res.headers),
              error: null,
            });
          }),
        );
        res.on('close', () => {
          if (!res.complete) fail(new Error('connection closed before the answer was complete'));
        });
      },
    );
    timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('deadline passed'));
    }, options.timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}

function parseBody(text: string, headers: IncomingHttpHeaders): unknown {
  if (!/^application\/json\b/i.test(headers['content-type'] ?? '') || text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
