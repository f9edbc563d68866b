/**
 * The change `defender_update_alert` applies: status, classification, determination, assignedTo and a comment,
 * validated against the documented enums before any call (https://learn.microsoft.com/graph/api/security-alert-update,
 * https://learn.microsoft.com/defender-endpoint/api/update-alert).
 *
 * Graph spells values in camelCase (`inProgress`), MDE in PascalCase (`InProgress`); users may type either (and
 * `in progress`, `in_progress`). Determinations have two documented spellings for three values
 * (Graph's enum `clean`, `confirmedUserActivity`, `insufficientData`, `compromisedUser` against the older
 * `notMalicious`, `confirmedActivity`, `notEnoughDataToValidate`, `compromisedAccount`; the MDE update page against the
 * MDE alerts and batch pages), so both are accepted and each endpoint is sent the spelling its own page documents.
 */
import {
  CLASSIFICATIONS,
  DETERMINATIONS,
  findDetermination,
  type SecurityClassification,
  type SecurityDetermination,
} from './graph-security-enums.js';
import { foldEnumWord, readText } from './params.js';

/** Which alert API receives the update. The SIEM exporter has no write side: its alerts are updated through MDE. */
export type AlertApiFamily = 'graph' | 'mde';

export type AlertStatus = 'new' | 'inProgress' | 'resolved';
export type AlertClassification = SecurityClassification;
export type AlertDetermination = SecurityDetermination;

/** A validated change, in canonical (Graph enum) spelling; at least one field is set. */
export interface AlertChange {
  status?: AlertStatus;
  classification?: AlertClassification;
  determination?: AlertDetermination;
  assignedTo?: string;
  comment?: string;
}

const STATUSES: readonly AlertStatus[] = ['new', 'inProgress', 'resolved'];

/**
 * MDE: which determinations go with which classification
 * (https://learn.microsoft.com/defender-endpoint/api/update-alert).
 */
const MDE_DETERMINATIONS_BY_CLASSIFICATION: Readonly<
  Record<Exclude<AlertClassification, 'unknown'>, readonly AlertDetermination[]>
> = {
  truePositive: [
    'multiStagedAttack',
    'maliciousUserActivity',
    'compromisedUser',
    'malware',
    'phishing',
    'unwantedSoftware',
    'other',
  ],
  informationalExpectedActivity: ['securityTesting', 'lineOfBusinessApplication', 'confirmedUserActivity', 'other'],
  falsePositive: ['clean', 'insufficientData', 'other'],
};

/** MDE spellings that differ from PascalCase(Graph name), per endpoint page. */
const MDE_PATCH_SPELLING: Partial<Record<AlertDetermination, string>> = {
  clean: 'NotMalicious',
  confirmedUserActivity: 'ConfirmedActivity',
};
const MDE_BATCH_SPELLING: Partial<Record<AlertDetermination, string>> = {
  clean: 'Clean',
  confirmedUserActivity: 'ConfirmedUserActivity',
};

/** Free-text limits: generous, but a runaway token replacement ($result._raw$) should not become a 1 MB comment. */
const MAX_ASSIGNED_TO = 256;
const MAX_COMMENT = 4000;

/** The parameters read by {@link parseAlertChange}, as named in alert_actions.conf. */
export const ALERT_CHANGE_PARAMS = ['status', 'classification', 'determination', 'assigned_to', 'comment'] as const;

/**
 * Reads and validates the change from the action's configuration for the given API. Returns every problem at once,
 * each naming the parameter and the accepted values.
 */
export function parseAlertChange(
  config: Readonly<Record<string, string | undefined>>,
  family: AlertApiFamily,
): { ok: true; change: AlertChange } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const change: AlertChange = {};
  const accepted = (values: readonly string[]) => values.map((v) => (family === 'mde' ? toMdeWord(v) : v)).join(', ');

  const status = readText(config, 'status');
  if (status !== undefined) {
    const found = STATUSES.find((s) => foldEnumWord(s) === foldEnumWord(status));
    if (found) change.status = found;
    else problems.push(`status ${JSON.stringify(status)} is not an alert status: use one of ${accepted(STATUSES)}.`);
  }

  const classification = readText(config, 'classification');
  if (classification !== undefined) {
    const allowed = family === 'mde' ? CLASSIFICATIONS.filter((c) => c !== 'unknown') : CLASSIFICATIONS;
    const found = allowed.find((c) => foldEnumWord(c) === foldEnumWord(classification));
    if (found) change.classification = found;
    else
      problems.push(
        `classification ${JSON.stringify(classification)} is not valid for api ${family}: use one of ${accepted(allowed)}.`,
      );
  }

  const determination = readText(config, 'determination');
  if (determination !== undefined) {
    const found = findDetermination(determination);
    if (!found) {
      problems.push(
        `determination ${JSON.stringify(determination)} is not a documented determination: use one of ${accepted(family === 'mde' ? mdeDeterminations() : DETERMINATIONS)}.`,
      );
    } else if (family === 'mde' && !mdeDeterminations().includes(found)) {
      problems.push(
        `determination ${JSON.stringify(determination)} was withdrawn from Defender for Endpoint in 2022: use one of ${accepted(mdeDeterminations())}.`,
      );
    } else if (family === 'mde' && change.classification === undefined && classification === undefined) {
      problems.push(
        `determination needs a classification for api mde (Defender for Endpoint checks that they fit): set classification too.`,
      );
    } else if (family === 'mde' && change.classification !== undefined && change.classification !== 'unknown') {
      const fits = MDE_DETERMINATIONS_BY_CLASSIFICATION[change.classification];
      if (!fits.includes(found)) {
        problems.push(
          `determination ${toMdeWord(found)} does not fit classification ${toPascal(change.classification)}: with it use one of ${fits.map(toMdeWord).join(', ')}.`,
        );
      } else {
        change.determination = found;
      }
    } else if (family === 'graph') {
      change.determination = found;
    }
  }

  const assignedTo = readText(config, 'assigned_to');
  if (assignedTo !== undefined) {
    if (assignedTo.length > MAX_ASSIGNED_TO)
      problems.push(
        `assigned_to is ${assignedTo.length} characters long: give a user principal name or e-mail address (at most ${MAX_ASSIGNED_TO}).`,
      );
    else change.assignedTo = assignedTo;
  }

  const comment = readText(config, 'comment');
  if (comment !== undefined) {
    if (comment.length > MAX_COMMENT)
      problems.push(`comment is ${comment.length} characters long: keep it under ${MAX_COMMENT}.`);
    else change.comment = comment;
  }

  if (problems.length === 0 && Object.keys(change).length === 0) {
    problems.push(
      'Nothing to change: set at least one of status, classification, determination, assigned_to or comment.',
    );
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, change };
}

/**
 * The body of Graph `PATCH /security/alerts_v2/{id}`; the comment goes through its own call. Empty when only a comment.
 */
export function toGraphPatchBody(change: AlertChange): Record<string, string> {
  const body: Record<string, string> = {};
  if (change.status) body.status = change.status;
  if (change.classification) body.classification = change.classification;
  if (change.determination) body.determination = change.determination;
  if (change.assignedTo !== undefined) body.assignedTo = change.assignedTo;
  return body;
}

/**
 * The body of Graph `POST /security/alerts_v2/{id}/comments`
 * (https://learn.microsoft.com/graph/api/security-alert-post-comments).
 */
export function toGraphCommentBody(comment: string): Record<string, string> {
  return { '@odata.type': 'microsoft.graph.security.alertComment', comment };
}

/**
 * The body of MDE `PATCH /api/alerts/{id}` (keys are case-sensitive:
 * https://learn.microsoft.com/defender-endpoint/api/update-alert).
 */
export function toMdePatchBody(change: AlertChange): Record<string, string> {
  return toMdeBody(change, MDE_PATCH_SPELLING);
}

/** The body of MDE `POST /api/alerts/batchUpdate` for these ids. */
export function toMdeBatchBody(change: AlertChange, alertIds: readonly string[]): Record<string, unknown> {
  return { alertIds: [...alertIds], ...toMdeBody(change, MDE_BATCH_SPELLING) };
}

/**
 * Compares an alert as the API returns it with the change; returns one short phrase per field that does not show the
 * change (`status is New, not Resolved`). Spelling variants of the same value count as equal.
 */
export function findMismatches(alert: Readonly<Record<string, unknown>>, change: AlertChange): string[] {
  const mismatches: string[] = [];
  const same = (actual: unknown, expected: string, canonical?: (t: string) => string | undefined) => {
    if (typeof actual !== 'string') return false;
    const a = canonical?.(actual) ?? foldEnumWord(actual);
    return a === (canonical?.(expected) ?? foldEnumWord(expected));
  };
  const canonicalDetermination = (text: string) => {
    const found = findDetermination(text);
    return found ? foldEnumWord(found) : undefined;
  };
  if (change.status && !same(alert.status, change.status))
    mismatches.push(`status is ${String(alert.status)}, not ${change.status}`);
  if (change.classification && !same(alert.classification, change.classification)) {
    mismatches.push(`classification is ${String(alert.classification)}, not ${change.classification}`);
  }
  if (change.determination && !same(alert.determination, change.determination, canonicalDetermination)) {
    mismatches.push(`determination is ${String(alert.determination)}, not ${change.determination}`);
  }
  if (
    change.assignedTo !== undefined &&
    String(alert.assignedTo ?? '').toLowerCase() !== change.assignedTo.toLowerCase()
  ) {
    mismatches.push(`assignedTo is ${String(alert.assignedTo)}, not ${change.assignedTo}`);
  }
  if (change.comment !== undefined && Array.isArray(alert.comments) && !hasComment(alert.comments, change.comment)) {
    mismatches.push("the comment is not among the alert's comments");
  }
  return mismatches;
}

/** true when a comments list (Graph `alertComment` or MDE `{comment, …}` items) holds this text. */
export function hasComment(comments: readonly unknown[], text: string): boolean {
  return comments.some((c) => typeof c === 'object' && c !== null && (c as { comment?: unknown }).comment === text);
}

function mdeDeterminations(): AlertDetermination[] {
  return [...new Set(Object.values(MDE_DETERMINATIONS_BY_CLASSIFICATION).flat())];
}

function toMdeBody(change: AlertChange, spelling: Partial<Record<AlertDetermination, string>>): Record<string, string> {
  const body: Record<string, string> = {};
  if (change.status) body.status = toPascal(change.status);
  if (change.assignedTo !== undefined) body.assignedTo = change.assignedTo;
  if (change.classification) body.classification = toPascal(change.classification);
  if (change.determination) body.determination = spelling[change.determination] ?? toPascal(change.determination);
  if (change.comment !== undefined) body.comment = change.comment;
  return body;
}

/** How MDE's update page spells a value (for messages). */
function toMdeWord(word: string): string {
  return MDE_PATCH_SPELLING[word as AlertDetermination] ?? toPascal(word);
}

function toPascal(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
