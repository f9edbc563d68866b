/**
 * The change `defender_update_incident` applies to Microsoft Graph security incidents: status, classification,
 * determination, assignedTo, custom tags to add, and a comment, validated against the documented values before any
 * call (https://learn.microsoft.com/graph/api/security-incident-update,
 * https://learn.microsoft.com/graph/api/resources/security-incident).
 *
 * - status: `active`, `inProgress`, `resolved`. The update page also lists `redirected`, which only Defender's own
 *   correlation sets when it merges incidents (with the target in redirectIncidentId), and the resource page
 *   `awaitingAction`, which only Microsoft Defender Experts set: both are refused with the reason.
 * - determination: the update page spells four values the old way (`notMalicious`, `notEnoughDataToValidate`,
 *   `compromisedAccount`, `confirmedUserActivity`) where the resource page has `clean`, `insufficientData`,
 *   `compromisedUser`, and the alert pages `confirmedActivity`; every spelling is accepted and the update page's is
 *   sent.
 * - comment: the update page has no resolving-comment property, so a comment (a resolving one included) goes through
 *   `POST /security/incidents/{id}/comments` (https://learn.microsoft.com/graph/api/security-incident-post-comments).
 * - custom tags: PATCH replaces the whole `customTags` list, so the tags given are added to the incident's own (read
 *   first), never wiping tags an analyst set.
 */
import {
  CLASSIFICATIONS,
  DETERMINATIONS as SECURITY_DETERMINATIONS,
  findClassification,
  findDetermination,
  type SecurityClassification,
  type SecurityDetermination,
} from './graph-security-enums.js';
import { foldEnumWord, readText, splitList } from './params.js';

export type IncidentStatus = 'active' | 'inProgress' | 'resolved';
export type IncidentClassification = SecurityClassification;
/** In the update page's spelling: three members are spelled the old way there. */
export type IncidentDetermination =
  | Exclude<SecurityDetermination, keyof typeof UPDATE_PAGE_SPELLING>
  | (typeof UPDATE_PAGE_SPELLING)[keyof typeof UPDATE_PAGE_SPELLING];

/** A validated change; at least one field is set. */
export interface IncidentChange {
  status?: IncidentStatus;
  classification?: IncidentClassification;
  determination?: IncidentDetermination;
  assignedTo?: string;
  /** Tags to add to the incident's customTags. */
  addTags?: string[];
  comment?: string;
}

const STATUSES: readonly IncidentStatus[] = ['active', 'inProgress', 'resolved'];
const REFUSED_STATUSES: Readonly<Record<string, string>> = {
  redirected: 'Defender sets it when it merges incidents; it cannot be set by an update',
  awaitingaction: 'only Microsoft Defender Experts set it',
};
/** The update page's spelling of the resource pages' members it spells differently. */
const UPDATE_PAGE_SPELLING = {
  clean: 'notMalicious',
  insufficientData: 'notEnoughDataToValidate',
  compromisedUser: 'compromisedAccount',
} as const satisfies Partial<Record<SecurityDetermination, string>>;
const DETERMINATIONS: readonly IncidentDetermination[] = SECURITY_DETERMINATIONS.map(toUpdatePageSpelling);

const MAX_ASSIGNED_TO = 256;
const MAX_COMMENT = 4000;
const MAX_TAG = 128;
const MAX_TAGS = 50;

/** The parameters read by {@link parseIncidentChange}, as named in alert_actions.conf. */
export const INCIDENT_CHANGE_PARAMS = [
  'status',
  'classification',
  'determination',
  'assigned_to',
  'custom_tags',
  'comment',
] as const;

/** Reads and validates the change; returns every problem at once, each naming the parameter and the values. */
export function parseIncidentChange(
  config: Readonly<Record<string, string | undefined>>,
): { ok: true; change: IncidentChange } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const change: IncidentChange = {};

  const status = readText(config, 'status');
  if (status !== undefined) {
    const found = STATUSES.find((s) => foldEnumWord(s) === foldEnumWord(status));
    const refused = REFUSED_STATUSES[foldEnumWord(status)];
    if (found) change.status = found;
    else if (refused)
      problems.push(`status ${JSON.stringify(status)} cannot be set: ${refused}. Use one of ${STATUSES.join(', ')}.`);
    else
      problems.push(`status ${JSON.stringify(status)} is not an incident status: use one of ${STATUSES.join(', ')}.`);
  }

  const classification = readText(config, 'classification');
  if (classification !== undefined) {
    const found = findClassification(classification);
    if (found) change.classification = found;
    else {
      problems.push(
        `classification ${JSON.stringify(classification)} is not an incident classification: use one of ` +
          `${CLASSIFICATIONS.join(', ')}.`,
      );
    }
  }

  const determination = readText(config, 'determination');
  if (determination !== undefined) {
    const found = findIncidentDetermination(determination);
    if (found) change.determination = found;
    else {
      problems.push(
        `determination ${JSON.stringify(determination)} is not a documented determination: use one of ` +
          `${DETERMINATIONS.join(', ')} (clean, insufficientData and compromisedUser are accepted too).`,
      );
    }
  }

  const assignedTo = readText(config, 'assigned_to');
  if (assignedTo !== undefined) {
    if (assignedTo.length > MAX_ASSIGNED_TO) {
      problems.push(
        `assigned_to is ${assignedTo.length} characters long: give a user principal name or e-mail address ` +
          `(at most ${MAX_ASSIGNED_TO}).`,
      );
    } else change.assignedTo = assignedTo;
  }

  const tags = readText(config, 'custom_tags');
  if (tags !== undefined) {
    const list = [...new Set(splitList(tags))];
    const tooLong = list.filter((tag) => tag.length > MAX_TAG);
    if (tooLong.length > 0)
      problems.push(
        `custom_tags has a tag longer than ${MAX_TAG} characters: ${JSON.stringify(tooLong[0]!.slice(0, 40))}….`,
      );
    else if (list.length > MAX_TAGS)
      problems.push(`custom_tags lists ${list.length} tags: give at most ${MAX_TAGS}, comma-separated.`);
    else if (list.length > 0) change.addTags = list;
  }

  const comment = readText(config, 'comment');
  if (comment !== undefined) {
    if (comment.length > MAX_COMMENT)
      problems.push(`comment is ${comment.length} characters long: keep it under ${MAX_COMMENT}.`);
    else change.comment = comment;
  }

  if (problems.length === 0 && Object.keys(change).length === 0) {
    problems.push(
      'Nothing to change: set at least one of status, classification, determination, assigned_to, custom_tags or ' +
        'comment.',
    );
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, change };
}

/** The body of `PATCH /security/incidents/{id}`; `tags` is the full customTags list to send (theirs + ours). */
export function toIncidentPatchBody(
  change: IncidentChange,
  tags: readonly string[] | undefined,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (change.status) body.status = change.status;
  if (change.classification) body.classification = change.classification;
  if (change.determination) body.determination = change.determination;
  if (change.assignedTo !== undefined) body.assignedTo = change.assignedTo;
  if (tags !== undefined) body.customTags = [...tags];
  return body;
}

/** The incident's tags plus the ones to add, in order, each once. */
export function mergeTags(existing: unknown, add: readonly string[]): string[] {
  const own = Array.isArray(existing) ? existing.filter((tag): tag is string => typeof tag === 'string') : [];
  return [...new Set([...own, ...add])];
}

/**
 * Compares an incident as Graph returns it with the change: one short phrase per field that does not show it.
 * Spelling variants (case, the determinations' two spellings) count as equal.
 */
export function findIncidentMismatches(incident: Readonly<Record<string, unknown>>, change: IncidentChange): string[] {
  const mismatches: string[] = [];
  const same = (actual: unknown, expected: string) =>
    typeof actual === 'string' && foldEnumWord(actual) === foldEnumWord(expected);
  if (change.status && !same(incident.status, change.status)) {
    mismatches.push(`status is ${String(incident.status)}, not ${change.status}`);
  }
  if (change.classification && !same(incident.classification, change.classification)) {
    mismatches.push(`classification is ${String(incident.classification)}, not ${change.classification}`);
  }
  if (change.determination) {
    const actual =
      typeof incident.determination === 'string' ? findIncidentDetermination(incident.determination) : undefined;
    if (actual !== change.determination) {
      mismatches.push(`determination is ${String(incident.determination)}, not ${change.determination}`);
    }
  }
  if (
    change.assignedTo !== undefined &&
    String(incident.assignedTo ?? '').toLowerCase() !== change.assignedTo.toLowerCase()
  ) {
    mismatches.push(`assignedTo is ${String(incident.assignedTo)}, not ${change.assignedTo}`);
  }
  if (change.addTags) {
    const tags = Array.isArray(incident.customTags) ? incident.customTags : [];
    const missing = change.addTags.filter((tag) => !tags.includes(tag));
    if (missing.length > 0) mismatches.push(`customTags lacks ${missing.join(', ')}`);
  }
  return mismatches;
}

function findIncidentDetermination(text: string): IncidentDetermination | undefined {
  const found = findDetermination(text);
  return found === undefined ? undefined : toUpdatePageSpelling(found);
}

function toUpdatePageSpelling(determination: SecurityDetermination): IncidentDetermination {
  return determination in UPDATE_PAGE_SPELLING
    ? UPDATE_PAGE_SPELLING[determination as keyof typeof UPDATE_PAGE_SPELLING]
    : (determination as IncidentDetermination);
}
