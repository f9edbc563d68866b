/** `proxy_url`, of an input stanza or of the app's settings: one shape, one sentence, never the value itself. */
import { parsed, problem, type Parsed } from './parsed.js';

/**
 * An explicit port is required: a proxy has no conventional one (and URL would drop :80/:443 as default ports).
 * User and password may come before the host, percent-encoded.
 */
const PROXY_URL = /^https?:\/\/(?:[^@/\s]*@)?(?:\[[0-9a-f:.]+\]|[^:/@\s[\]]+):(\d{1,5})\/?$/i;

/** Reads a non-empty proxy URL; `where` names the setting in the message (`proxy_url`, or file, stanza and key). */
export function parseProxyUrl(value: string, where: string): Parsed<string> {
  if (isProxyUrl(value)) return parsed(value);
  // The value is never echoed: a proxy URL may carry a password.
  return problem(
    `${where} is not a proxy URL (value not shown, it may hold a password): use http://host:port or https://host:port, ` +
      'optionally with user:password@ before the host (percent-encode @, : and / inside them), or leave it empty for no proxy.',
  );
}

/** Whether a value has the shape of a proxy URL (the Configuration page checks as it types). */
export function isProxyUrl(value: string): boolean {
  const shape = PROXY_URL.exec(value);
  const port = Number(shape?.[1]);
  return shape !== null && port >= 1 && port <= 65_535 && URL.canParse(value);
}
