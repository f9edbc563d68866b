/** The app-wide proxy (`[proxy]` of the settings), with the user and the password the Configuration page stored. */
import { PROXY_SECRET_USER, proxyUrlWithCredentials, type AppSettings } from '../config/app-settings.js';
import type { SplunkdClient } from '../ports.js';
import { APP_ID } from '../version.js';

/** The proxy URL to use when a stanza or action names none, or undefined for a direct connection. */
export async function appProxyUrl(
  settings: Pick<AppSettings, 'proxyUrl' | 'proxyUsername'>,
  splunkd: Pick<SplunkdClient, 'getSecret'>,
): Promise<string | undefined> {
  const url = settings.proxyUrl;
  if (url === undefined || settings.proxyUsername === undefined) return url;
  const password = await splunkd.getSecret(APP_ID, PROXY_SECRET_USER);
  return proxyUrlWithCredentials(url, settings.proxyUsername, password);
}
