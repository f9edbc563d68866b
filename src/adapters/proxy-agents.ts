/**
 * Connection agents for every outbound call (API and Entra ID alike), with or without `proxy_url`.
 * hpagent tunnels with CONNECT, so TLS still runs end to end with Microsoft and the proxy never sees tokens.
 */
import http from 'node:http';
import https from 'node:https';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';

/** The pair got takes as `agent`; msal's network client uses the same pair, so both paths share proxy and sockets. */
export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

/** Options for {@link createAgents}. */
export interface AgentOptions {
  /** `http(s)://[user:pass@]host:port`; undefined for a direct connection. */
  proxyUrl?: string;
  /** Extra trusted CA (PEM) for an https proxy's own certificate; origin CAs are passed per request. */
  ca?: string | string[];
}

/** Keep-alive agents, tunnelling through `proxyUrl` when set. */
export function createAgents(options: AgentOptions): Agents {
  const common = { keepAlive: true, maxSockets: 16, scheduling: 'lifo' as const };
  if (!options.proxyUrl) return { http: new http.Agent(common), https: new https.Agent(common) };
  const proxy = new URL(options.proxyUrl);
  // hpagent forwards proxyRequestOptions to the CONNECT request: that is where an https proxy's own CA belongs. It
  // overrides any `timeout` there, so a stalled proxy is caught by the caller's time-to-headers timer instead.
  const proxyRequestOptions = options.ca ? { ca: ([] as string[]).concat(options.ca) } : {};
  return {
    http: new HttpProxyAgent({ ...common, proxy, proxyRequestOptions }),
    https: new HttpsProxyAgent({ ...common, proxy, proxyRequestOptions }),
  };
}

/** The proxy password of a proxy URL, as typed and percent-decoded, for a logger to redact; none if it has none. */
export function proxyPasswords(proxyUrl: string | undefined): string[] {
  if (!proxyUrl) return [];
  try {
    const { password } = new URL(proxyUrl);
    return password ? [...new Set([password, decodeURIComponent(password)])] : [];
  } catch {
    return []; // resolveConfig and the settings reader refuse malformed proxy URLs before this runs
  }
}

/** `proxy_url` with the password (and a user name, which can be a secret too) replaced, for logs and errors. */
export function redactProxyUrl(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    if (url.username) url.username = '***';
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '<unparsable proxy_url>';
  }
}

/**
 * Removes every proxy credential from a text (error messages from libraries may quote the URL or its userinfo),
 * both as typed and percent-decoded.
 */
export function redactProxySecrets(text: string, proxyUrl: string | undefined): string {
  if (!proxyUrl) return text;
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    return text;
  }
  let out = text.split(proxyUrl).join(redactProxyUrl(proxyUrl));
  for (const secret of [url.password, safeDecode(url.password)]) {
    if (secret.length >= 1) out = out.split(secret).join('***');
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * hpagent reports a refused CONNECT only as "Bad response: <status>". Turns that into advice, or undefined when the
 * error is not a proxy refusal.
 */
export function describeProxyRefusal(message: string, proxyUrl: string | undefined): string | undefined {
  const m = /^Bad response: (\d{3})$/.exec(message);
  if (!m || !proxyUrl) return undefined;
  const where = redactProxyUrl(proxyUrl);
  return m[1] === '407'
    ? `The proxy ${where} asks for authentication (HTTP 407). Check the user and password in proxy_url.`
    : `The proxy ${where} refused to open a tunnel (HTTP ${m[1]}). Check proxy_url and that the proxy allows CONNECT to Microsoft hosts.`;
}
