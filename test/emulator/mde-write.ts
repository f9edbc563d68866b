/**
 * MDE alert writes: `PATCH /api/alerts/{id}` and `POST /api/alerts/batchUpdate`.
 * Body keys are case-sensitive (an unknown or wrongly cased key is 400 InvalidRequestBody); both documented spellings
 * of the determinations are accepted; a change is a new version (new lastUpdateTime); Resolved sets resolvedTime; a
 * comment is appended as {comment, createdBy, createdTime}.
 */
import { mdeErrorReply } from './api-errors.js';
import { guard, ROLES } from './auth.js';
import type { EmulatorContext } from './context.js';
import { jsonReply, parseJsonBody, type Reply, type RequestContext } from './http-io.js';

const STATUS = ['New', 'InProgress', 'Resolved'];
/**
 * Determinations allowed with each classification, both doc spellings (ConfirmedActivity/ConfirmedUserActivity,
 * NotMalicious/Clean).
 */
export const DETERMINATIONS_BY_CLASSIFICATION: Record<string, string[]> = {
  TruePositive: [
    'MultiStagedAttack',
    'MaliciousUserActivity',
    'CompromisedUser',
    'Malware',
    'Phishing',
    'UnwantedSoftware',
    'Other',
  ],
  InformationalExpectedActivity: [
    'SecurityTesting',
    'LineOfBusinessApplication',
    'ConfirmedActivity',
    'ConfirmedUserActivity',
    'Other',
  ],
  FalsePositive: ['NotMalicious', 'Clean', 'InsufficientData', 'Other'],
};
const DETERMINATIONS = [...new Set(Object.values(DETERMINATIONS_BY_CLASSIFICATION).flat())];
const WITHDRAWN = ['Apt', 'SecurityPersonnel'];
const UPDATE_KEYS = ['status', 'assignedTo', 'classification', 'determination', 'comment'];

type Update = {
  status?: string;
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
  comment?: string;
};

/** Validates an update body; returns the update or the error message. */
function readUpdate(body: Record<string, unknown>, extraKeys: string[]): Update | string {
  const update: Update = {};
  for (const [key, value] of Object.entries(body)) {
    if (extraKeys.includes(key)) continue;
    if (!UPDATE_KEYS.includes(key)) {
      return `Unknown property '${key}'. Body parameters are case-sensitive; allowed: ${[...extraKeys, ...UPDATE_KEYS].join(', ')}.`;
    }
    if (key === 'assignedTo') {
      if (value !== null && typeof value !== 'string') return "'assignedTo' must be a string.";
      update.assignedTo = value;
      continue;
    }
    if (typeof value !== 'string') return `'${key}' must be a string.`;
    if (key === 'status' && !STATUS.includes(value)) return `Invalid status '${value}'. Allowed: ${STATUS.join(', ')}.`;
    if (key === 'classification' && !(value in DETERMINATIONS_BY_CLASSIFICATION)) {
      return `Invalid classification '${value}'. Allowed: ${Object.keys(DETERMINATIONS_BY_CLASSIFICATION).join(', ')}.`;
    }
    if (key === 'determination') {
      if (WITHDRAWN.includes(value))
        return `The determination '${value}' was withdrawn. Allowed: ${DETERMINATIONS.join(', ')}.`;
      if (!DETERMINATIONS.includes(value))
        return `Invalid determination '${value}'. Allowed: ${DETERMINATIONS.join(', ')}.`;
    }
    (update as Record<string, string>)[key] = value;
  }
  if (
    update.classification !== undefined &&
    update.determination !== undefined &&
    !DETERMINATIONS_BY_CLASSIFICATION[update.classification]!.includes(update.determination)
  ) {
    return `The determination '${update.determination}' does not go with the classification '${update.classification}'. Allowed: ${DETERMINATIONS_BY_CLASSIFICATION[update.classification]!.join(', ')}.`;
  }
  return update;
}

/** Applies an update as a new version of the alert. */
function applyUpdate(env: EmulatorContext, id: string, update: Update, createdBy: string): void {
  const table = env.store.table('mde');
  const current = table.get(id)!;
  const item = table.getItem(id)!;
  const time = env.store.nextTimeText(current.time);
  const { comment, ...fields } = update;
  const patch: Record<string, unknown> = { ...fields };
  if (update.status === 'Resolved' && item.status !== 'Resolved') patch.resolvedTime = time;
  if (comment !== undefined) {
    // createdBy for app-only callers is not documented; the application id is used here (assumed).
    patch.comments = [
      ...(Array.isArray(item.comments) ? item.comments : []),
      { comment, createdBy, createdTime: time },
    ];
  }
  env.store.updateAlert('mde', id, patch, time);
}

function objectBody(ctx: RequestContext): Record<string, unknown> | undefined {
  const body = parseJsonBody(ctx);
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/** `PATCH /api/alerts/{id}`: 200 with the full updated alert. */
export function patchMdeAlert(ctx: RequestContext, env: EmulatorContext, id: string): Reply {
  const auth = guard(ctx, env, ROLES.mdeWrite, 'mde-alerts');
  if (!auth.ok) return auth.reply;
  const body = objectBody(ctx);
  if (!body) return mdeErrorReply(ctx, 400, 'InvalidRequestBody', 'The request body must be a JSON object.');
  const update = readUpdate(body, []);
  if (typeof update === 'string') return mdeErrorReply(ctx, 400, 'InvalidRequestBody', update);
  if (Object.keys(update).length === 0)
    return mdeErrorReply(ctx, 400, 'InvalidRequestBody', `The body holds none of ${UPDATE_KEYS.join(', ')}.`);
  const current = env.store.table('mde').get(id);
  if (!current || current.hidden) return mdeErrorReply(ctx, 404, 'ResourceNotFound', `Alert ${id} was not found`);
  applyUpdate(env, id, update, auth.token.clientId);
  return jsonReply(200, env.store.get('mde', id));
}

/** `POST /api/alerts/batchUpdate`: 200 with an empty body; unknown ids are skipped (not documented; assumed). */
export function batchUpdateMdeAlerts(ctx: RequestContext, env: EmulatorContext): Reply {
  const auth = guard(ctx, env, ROLES.mdeWrite, 'mde-batch-update');
  if (!auth.ok) return auth.reply;
  const body = objectBody(ctx);
  if (!body) return mdeErrorReply(ctx, 400, 'InvalidRequestBody', 'The request body must be a JSON object.');
  const ids = body.alertIds;
  if (ids === undefined)
    return mdeErrorReply(ctx, 400, 'MissingRequiredParameter', "Missing required parameter 'alertIds'.");
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string')) {
    return mdeErrorReply(ctx, 400, 'InvalidRequestBody', "'alertIds' must be a non-empty array of alert id strings.");
  }
  const update = readUpdate(body, ['alertIds']);
  if (typeof update === 'string') return mdeErrorReply(ctx, 400, 'InvalidRequestBody', update);
  const table = env.store.table('mde');
  for (const id of ids) {
    const r = table.get(id);
    if (r && !r.hidden) applyUpdate(env, id, update, auth.token.clientId);
  }
  return { status: 200, headers: {}, body: '' };
}
