/**
 * The alert-action protocol (https://dev.splunk.com/enterprise/docs/devtools/customalertactions/writescriptcaa/):
 * splunkd runs `bin/<stanza>.sh --execute` and writes one JSON
 * payload on stdin (payload_format = json). Only the fields the actions use are kept; the session key stays inside
 * the payload object and is never logged.
 */
import { ConfigError } from '../../errors.js';
import { errorInfo } from '../../toolkit/error-info.js';

/** The parts of splunkd's payload the actions use. */
export interface ActionPayload {
  /** splunkd's management URI, e.g. https://127.0.0.1:8089. */
  serverUri: string;
  /** Session of the search's owner: REST access for the input stanza, the secret and the outcome events. Secret. */
  sessionKey: string;
  /** gzip CSV with every result; undefined when splunkd gave only the first result. */
  resultsFile: string | undefined;
  /** The first result, as splunkd puts it in the payload (multi-valued fields as arrays). */
  result: Record<string, unknown> | undefined;
  /** `param.*` merged with the saved search's `action.<stanza>.param.*`, tokens replaced; every value a string. */
  configuration: Record<string, string>;
  searchName: string | undefined;
  sid: string | undefined;
  app: string | undefined;
  owner: string | undefined;
  serverHost: string | undefined;
}

/** The mode argument splunkd passes; anything else is refused, since splunkd may add other modes (doc). */
export const EXECUTE_FLAG = '--execute';

/** Parses the payload text; a ConfigError lists every missing or malformed field. */
export function parseActionPayload(text: string): ActionPayload {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      `The payload on stdin is not JSON (${errorInfo(error).message.slice(0, 120)}): set payload_format = json for this action in alert_actions.conf.`,
    ]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([
      'The payload on stdin is not a JSON object: set payload_format = json for this action in alert_actions.conf.',
    ]);
  }
  const p = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string): string | undefined => (typeof p[key] === 'string' && p[key] !== '' ? p[key] : undefined);

  const serverUri = str('server_uri');
  const sessionKey = str('session_key');
  if (!serverUri)
    problems.push('The payload has no server_uri: the action must be run by splunkd (a saved search or | sendalert).');
  if (!sessionKey)
    problems.push('The payload has no session_key: the action must be run by splunkd (a saved search or | sendalert).');

  const configuration: Record<string, string> = {};
  if (
    p.configuration !== undefined &&
    (typeof p.configuration !== 'object' || p.configuration === null || Array.isArray(p.configuration))
  ) {
    problems.push("The payload's configuration is not an object of parameters.");
  } else {
    for (const [key, value] of Object.entries((p.configuration ?? {}) as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      configuration[key] =
        typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).join(',') : String(value);
    }
  }
  const result =
    typeof p.result === 'object' && p.result !== null && !Array.isArray(p.result)
      ? (p.result as Record<string, unknown>)
      : undefined;
  const resultsFile = str('results_file');
  if (!resultsFile && !result)
    problems.push('The payload has neither results_file nor result: there are no results to act on.');

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    serverUri: serverUri!,
    sessionKey: sessionKey!,
    resultsFile,
    result,
    configuration,
    searchName: str('search_name'),
    sid: str('sid'),
    app: str('app'),
    owner: str('owner'),
    serverHost: str('server_host'),
  };
}
