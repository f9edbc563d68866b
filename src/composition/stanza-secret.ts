/**
 * A secret typed into a modular input stanza (client_secret, connection_string): moved into splunkd's
 * storage/passwords and the stanza's value replaced by the mask through data/inputs
 * (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTaccess); a masked stanza reads it back. If splunkd
 * cannot be reached, the run goes on with the clear value and says so once.
 */
import { SECRET_MASK } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { Logger, SplunkdClient } from '../ports.js';
import { errorInfo } from '../toolkit/error-info.js';
import { APP_ID } from '../version.js';

/** storage/passwords realm for every secret of this add-on. */
export const STANZA_SECRET_REALM = APP_ID;

export interface StanzaSecretRequest {
  scheme: string;
  /** The stanza's short name. */
  name: string;
  /** The app the stanza lives in. */
  app: string | undefined;
  /** The argument that holds the secret, e.g. connection_string. */
  field: string;
  /** The storage/passwords user the secret is kept under. */
  user: string;
  value: { kind: 'clear'; value: string } | { kind: 'masked' };
  /** Where the admin types it again, for the message when a masked secret is missing. */
  page: string;
}

export async function resolveStanzaSecret(
  request: StanzaSecretRequest,
  splunkd: SplunkdClient,
  log: Logger,
): Promise<string> {
  const stanza = `${request.scheme}://${request.name}`;
  if (request.value.kind === 'masked') {
    const stored = await splunkd.getSecret(STANZA_SECRET_REALM, request.user);
    if (stored === undefined || stored === '') {
      throw new ConfigError([
        `${request.field} of input ${stanza} is masked but no secret is stored in splunkd for it: enter the ${request.field} again in Settings → Data inputs → ${request.page}.`,
      ]);
    }
    return stored;
  }
  const secret = request.value.value;
  try {
    await splunkd.putSecret(STANZA_SECRET_REALM, request.user, secret);
    await splunkd.updateInput(request.scheme, request.name, request.app ?? APP_ID, { [request.field]: SECRET_MASK });
    log.info(`${request.field} moved to storage/passwords and masked in inputs.conf`, {
      action: 'secret_stored',
      input: stanza,
    });
  } catch (error) {
    log.warn(
      `Could not store the ${request.field} in splunkd (${errorInfo(error).message}); it stays in clear text in inputs.conf until a run can reach splunkd.`,
      { action: 'secret_not_stored', input: stanza, error: errorInfo(error).code ?? 'unknown' },
    );
  }
  return secret;
}
