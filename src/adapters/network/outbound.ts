/**
 * How every call to Microsoft leaves this process (API and Entra ID alike): one value built once from `proxy_url`,
 * holding the agents, the one got instance both clients extend, and everything that depends on the proxy's URL
 * (redaction of its credentials, the sentence for a refusal). The API client and msal's network client take this
 * value, never the URL, so a proxy cannot be known to one path and unknown to the other.
 *
 * hpagent tunnels with CONNECT, so TLS still runs end to end with Microsoft and the proxy never sees tokens. Trusted
 * CAs are Node's (plus NODE_EXTRA_CA_CERTS, which is how an admin adds a TLS-inspecting proxy's CA).
 */
import http from 'node:http';
import https from 'node:https';
import got, { type Got } from 'got';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { MASK } from '../../toolkit/redact.js';
import { USER_AGENT } from '../../version.js';

/** The route out of the process: shared by the token provider and the API client of one input or action. */
export interface Outbound {
  /** got with the agents, no retries of its own, no redirects and HTTP errors as responses; clients extend it. */
  readonly got: Got;
  /** The proxy URL with its user and password masked, or undefined for a direct connection. */
  readonly proxy: string | undefined;
  /** The proxy's user and password as typed and percent-decoded, for a logger to mask. */
  readonly secrets: readonly string[];
  /** Removes the proxy's credentials (and its URL with them) from a text. */
  redact(text: string): string;
  /** hpagent says only "Bad response: <status>" when the proxy refuses CONNECT: the admin sentence, or undefined. */
  explainRefusal(message: string): string | undefined;
}

/** Options of {@link createOutbound}. */
export interface OutboundOptions {
  /** `http(s)://[user:pass@]host:port`; undefined or empty for a direct connection. */
  proxyUrl?: string;
  /**
   * PEM of the only CA to trust for Microsoft's hosts, instead of Node's store. In-process tests pass their throw-away
   * CA here; production leaves it out (an admin adds a CA with NODE_EXTRA_CA_CERTS, as for any Node program).
   */
  ca?: string;
}

/** Builds the route once per input stanza or action run. */
export function createOutbound(options: OutboundOptions): Outbound {
  const proxyUrl = options.proxyUrl || undefined;
  const common = { keepAlive: true, maxSockets: 16, scheduling: 'lifo' as const };
  let agents: { http: http.Agent; https: https.Agent };
  if (proxyUrl) {
    // hpagent overrides any `timeout` of the CONNECT request, so a stalled proxy is caught by the caller's
    // time-to-headers timer instead.
    const proxy = new URL(proxyUrl);
    agents = { http: new HttpProxyAgent({ ...common, proxy }), https: new HttpsProxyAgent({ ...common, proxy }) };
  } else {
    agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }
  const secrets = proxySecrets(proxyUrl);
  const display = proxyUrl ? maskProxyUrl(proxyUrl) : undefined;
  const redact = (text: string): string => {
    if (!proxyUrl) return text;
    let out = display ? text.split(proxyUrl).join(display) : text;
    for (const secret of secrets) out = out.split(secret).join(MASK);
    return out;
  };
  return {
    got: got.extend({
      agent: agents,
      retry: { limit: 0 },
      throwHttpErrors: false,
      // A redirect would carry the bearer token (or the client secret) wherever Location points; Microsoft's token
      // and alert endpoints do not redirect.
      followRedirect: false,
      headers: { 'user-agent': USER_AGENT },
      ...(options.ca ? { https: { certificateAuthority: options.ca } } : {}),
    }),
    proxy: display,
    secrets,
    redact,
    explainRefusal: (message) => explainProxyRefusal(message, display),
  };
}

/** The user and password of a proxy URL, as typed and percent-decoded; none without a proxy or credentials. */
function proxySecrets(proxyUrl: string | undefined): string[] {
  if (!proxyUrl) return [];
  try {
    const { username, password } = new URL(proxyUrl);
    const forms = [password, safeDecode(password)];
    // A user name can be a secret too (some proxies take an API key there); short ones would shred the text.
    if (username.length >= 4) forms.push(username, safeDecode(username));
    return [...new Set(forms.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  } catch {
    return []; // the config readers refuse malformed proxy URLs before a route is built
  }
}

/** `proxy_url` with the user and password masked, for logs and errors. */
export function maskProxyUrl(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    if (url.username) url.username = MASK;
    if (url.password) url.password = MASK;
    return url.toString().replace(/\/$/, '');
  } catch {
    return '<unparsable proxy_url>';
  }
}

function explainProxyRefusal(message: string, proxy: string | undefined): string | undefined {
  const m = /^Bad response: (\d{3})$/.exec(message);
  if (!m || !proxy) return undefined;
  return m[1] === '407'
    ? `The proxy ${proxy} asks for authentication (HTTP 407). Check the user and password in proxy_url.`
    : `The proxy ${proxy} refused to open a tunnel (HTTP ${m[1]}). Check proxy_url and that the proxy allows CONNECT to Microsoft hosts.`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
