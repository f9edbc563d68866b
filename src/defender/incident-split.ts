/**
 * Splits one incident as Graph serves it with `$expand=alerts` into the incident without its `alerts` member and the
 * exact text of each alert, so that every other byte of the incident, and every byte of each alert, reaches Splunk as
 * Microsoft sent it. Pure: a scan over the bytes of one incident (at most 50 per page, each already in memory); the
 * parts are views of those bytes (the incident without `alerts` is one copy), never decoded.
 */
import { arrayElements, COMMA, objectMembers, OPEN_BRACKET, skipSpace } from './json-bytes.js';

/** The parts of one incident. */
export interface IncidentParts {
  /** The incident's JSON without the `alerts` member (and the comma that separated it). */
  incident: Buffer;
  /** Each element of `alerts`, as served; empty when the incident had no `alerts` member. */
  alerts: Buffer[];
  /** False when the incident had no `alerts` member at all (served without `$expand=alerts`). */
  hadAlerts: boolean;
}

/**
 * Splits a valid JSON object's bytes. Throws SyntaxError when the text is not a JSON object or `alerts` is not an
 * array (the caller parses the incident and reports what is wrong).
 */
export function splitIncident(text: Buffer): IncidentParts {
  /** The end of the previous member's value (before its comma). */
  let previousEnd = -1;
  for (const member of objectMembers(text)) {
    if (member.name !== 'alerts') {
      previousEnd = member.valueEnd;
      continue;
    }
    if (text[member.valueStart] !== OPEN_BRACKET) throw new SyntaxError('alerts is not an array');
    const alerts = arrayElements(text, member.valueStart);
    const after = skipSpace(text, member.valueEnd);
    // Remove the member with one comma: the one after it, or else the one before it (it was the last member).
    const incident =
      text[after] === COMMA
        ? join(text, member.start, skipSpace(text, after + 1))
        : previousEnd >= 0
          ? join(text, previousEnd, member.valueEnd)
          : join(text, member.start, after);
    return { incident, alerts, hadAlerts: true };
  }
  return { incident: text, alerts: [], hadAlerts: false };
}

/** `text` without the bytes `[cutFrom, cutTo)`, in one new buffer. */
function join(text: Buffer, cutFrom: number, cutTo: number): Buffer {
  return Buffer.concat([text.subarray(0, cutFrom), text.subarray(cutTo)]);
}
