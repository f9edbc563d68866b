/**
 * MDE custom indicators: submit (upsert on type + value), import (≤ 500, per-item results), list
 * (`$filter`, `$top` ≤ 10,000, `$skip`), delete, BatchDelete; per-type value and action validation; a cap of 15,000
 * active indicators per tenant. `Ti.ReadWrite` callers see only their own indicators, `Ti.ReadWrite.All` all of them.
 */
import { isIP } from 'node:net';
import { formatApiTime, fromEpochMs, parseApiTime } from '../../src/defender/api-time.js';
import { mdeErrorReply } from './api-errors.js';
import { guard, ROLES } from './auth.js';
import type { EmulatorContext } from './context.js';
import type { IssuedToken } from './entra.js';
import { jsonReply, parseJsonBody, type Reply, type RequestContext } from './http-io.js';
import { intOption } from './listing.js';
import { FilterError, matchesFilter, parseFilter, type FilterNode, type FilterSchema } from './odata-filter.js';

/** An indicator as the API returns it. */
export interface Indicator {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  application: string | null;
  source: string;
  sourceType: 'AadApp';
  title: string;
  creationTimeDateTimeUtc: string;
  createdBy: string;
  createdBySource: string;
  expirationTime: string | null;
  lastUpdateTime: string;
  lastUpdatedBy: string;
  severity: string;
  description: string;
  recommendedActions: string | null;
  educateUrl: string | null;
  rbacGroupNames: string[];
  rbacGroupIds: number[];
  generateAlert: boolean;
}

/** A rejected indicator: the MDE error code and a message naming the field. */
export interface IndicatorProblem {
  code: string;
  message: string;
}

const FILE_ACTIONS = ['Allowed', 'Audit', 'Warn', 'Block', 'BlockAndRemediate'];
const NETWORK_ACTIONS = ['Allowed', 'Audit', 'Warn', 'Block'];
/** Actions allowed per indicator type (doc). */
export const ACTIONS_BY_TYPE: Record<string, string[]> = {
  FileSha1: FILE_ACTIONS,
  FileSha256: FILE_ACTIONS,
  FileMd5: FILE_ACTIONS,
  CertificateThumbprint: ['Allowed', 'BlockAndRemediate'],
  IpAddress: NETWORK_ACTIONS,
  DomainName: NETWORK_ACTIONS,
  Url: NETWORK_ACTIONS,
};
const HASH_LENGTH: Record<string, number> = { FileSha1: 40, FileSha256: 64, FileMd5: 32, CertificateThumbprint: 40 };
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
const REQUIRED = ['indicatorValue', 'indicatorType', 'action', 'title', 'description'];
const OPTIONAL = [
  'application',
  'expirationTime',
  'severity',
  'recommendedActions',
  'rbacGroupNames',
  'educateUrl',
  'generateAlert',
];
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;
const MAX_BATCH = 500;

const FILTER_SCHEMA: FilterSchema = {
  properties: {
    indicatorValue: { kind: 'string' },
    indicatorType: { kind: 'string' },
    creationTimeDateTimeUtc: { kind: 'time' },
    createdBy: { kind: 'string' },
    severity: { kind: 'string' },
    action: { kind: 'string' },
    application: { kind: 'string' },
    expirationTime: { kind: 'time' },
    generateAlert: { kind: 'boolean' },
    title: { kind: 'string' },
  },
  caseInsensitive: true,
};

function isValidUrl(value: string): boolean {
  if (/^https?:\/\//i.test(value)) {
    try {
      const u = new URL(value);
      return DOMAIN.test(u.hostname) || isIP(u.hostname.replace(/^\[|\]$/g, '')) !== 0;
    } catch {
      return false;
    }
  }
  // Defender also takes a URL without scheme: host[/path].
  const host = value.split('/')[0]!;
  return value.includes('/') && DOMAIN.test(host);
}

/** Validates a submitted indicator; the first problem wins, in the order of §6.2. */
export function validateIndicator(input: unknown): { problem: IndicatorProblem } | { value: Record<string, unknown> } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { problem: { code: 'InvalidRequestBody', message: 'An indicator must be a JSON object.' } };
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!REQUIRED.includes(key) && !OPTIONAL.includes(key)) {
      return {
        problem: {
          code: 'InvalidRequestBody',
          message: `Unknown property '${key}'. Body parameters are case-sensitive; allowed: ${[...REQUIRED, ...OPTIONAL].join(', ')}.`,
        },
      };
    }
  }
  for (const key of REQUIRED) {
    if (typeof body[key] !== 'string' || body[key].trim() === '') {
      return { problem: { code: 'MissingRequiredParameter', message: `Missing required parameter '${key}'.` } };
    }
  }
  const type = body.indicatorType as string;
  const value = (body.indicatorValue as string).trim();
  const action = body.action as string;
  const actions = ACTIONS_BY_TYPE[type];
  if (!actions)
    return {
      problem: {
        code: 'InvalidInput',
        message: `Invalid indicatorType '${type}'. Allowed: ${Object.keys(ACTIONS_BY_TYPE).join(', ')}.`,
      },
    };
  const hashLength = HASH_LENGTH[type];
  if (hashLength !== undefined && !new RegExp(`^[0-9a-f]{${hashLength}}$`, 'i').test(value)) {
    return {
      problem: {
        code: 'InvalidHashValue',
        message: `'${value}' is not a valid ${type}: expected ${hashLength} hexadecimal characters.`,
      },
    };
  }
  if (type === 'IpAddress' && (value.includes('/') || isIP(value) === 0)) {
    return {
      problem: {
        code: 'InvalidIpAddress',
        message: `'${value}' is not a valid IP address (CIDR ranges are not supported).`,
      },
    };
  }
  if (type === 'DomainName' && !DOMAIN.test(value))
    return { problem: { code: 'InvalidDomainName', message: `'${value}' is not a valid domain name.` } };
  if (type === 'Url' && !isValidUrl(value))
    return { problem: { code: 'InvalidUrl', message: `'${value}' is not a valid URL.` } };
  if (action === 'Alert' || action === 'AlertAndBlock') {
    return {
      problem: {
        code: 'InvalidInput',
        message: `The action '${action}' is no longer supported (since January 2022). Use Audit or Block.`,
      },
    };
  }
  if (!actions.includes(action))
    return {
      problem: {
        code: 'InvalidInput',
        message: `The action '${action}' is not allowed for ${type}. Allowed: ${actions.join(', ')}.`,
      },
    };
  if (body.generateAlert !== undefined && typeof body.generateAlert !== 'boolean')
    return { problem: { code: 'InvalidInput', message: "'generateAlert' must be true or false." } };
  if (action === 'Audit' && body.generateAlert !== true)
    return { problem: { code: 'InvalidInput', message: "The action 'Audit' requires 'generateAlert': true." } };
  if (body.severity !== undefined && (typeof body.severity !== 'string' || !SEVERITIES.includes(body.severity))) {
    return {
      problem: {
        code: 'InvalidInput',
        message: `Invalid severity '${String(body.severity)}'. Allowed: ${SEVERITIES.join(', ')}.`,
      },
    };
  }
  if (
    body.expirationTime !== undefined &&
    body.expirationTime !== null &&
    (typeof body.expirationTime !== 'string' || parseApiTime(body.expirationTime) === undefined)
  ) {
    return {
      problem: {
        code: 'InvalidInput',
        message: `Invalid expirationTime '${String(body.expirationTime)}': use ISO-8601 UTC.`,
      },
    };
  }
  if (
    body.rbacGroupNames !== undefined &&
    (!Array.isArray(body.rbacGroupNames) || !body.rbacGroupNames.every((g) => typeof g === 'string'))
  ) {
    return { problem: { code: 'InvalidInput', message: "'rbacGroupNames' must be an array of strings." } };
  }
  return { value: { ...body, indicatorValue: value } };
}

/** Indicators of every tenant. */
export class IndicatorStore {
  private readonly byTenant = new Map<string, Map<string, Indicator & { ownerClientId: string }>>();
  private nextId = 1000;

  constructor(private readonly now: () => number) {}

  private tenant(tenantId: string): Map<string, Indicator & { ownerClientId: string }> {
    const key = tenantId.toLowerCase();
    let map = this.byTenant.get(key);
    if (!map) {
      map = new Map();
      this.byTenant.set(key, map);
    }
    return map;
  }

  /** Indicators the caller may see (own only with Ti.ReadWrite). */
  visible(token: IssuedToken): Indicator[] {
    const all = token.roles.includes('Ti.ReadWrite.All');
    return [...this.tenant(token.tenantId).values()]
      .filter((i) => all || i.ownerClientId === token.clientId)
      .map(({ ownerClientId: _owner, ...rest }) => rest);
  }

  /** Active (unexpired) indicators of a tenant. */
  activeCount(tenantId: string): number {
    const now = fromEpochMs(this.now());
    let n = 0;
    for (const i of this.tenant(tenantId).values())
      if (i.expirationTime === null || parseApiTime(i.expirationTime)! > now) n++;
    return n;
  }

  /** Inserts or updates (same type and value, case-insensitive) a validated indicator; a problem if the cap is hit. */
  upsert(
    token: IssuedToken,
    input: Record<string, unknown>,
    cap: number,
  ): { indicator: Indicator } | { problem: IndicatorProblem } {
    const map = this.tenant(token.tenantId);
    const nowText = formatApiTime(fromEpochMs(this.now()));
    const type = input.indicatorType as string;
    const value = input.indicatorValue as string;
    const existing = [...map.values()].find(
      (i) => i.indicatorType === type && i.indicatorValue.toLowerCase() === value.toLowerCase(),
    );
    const common = {
      action: input.action as string,
      title: input.title as string,
      description: input.description as string,
      severity: (input.severity as string | undefined) ?? 'Informational',
      expirationTime: (input.expirationTime as string | null | undefined) ?? null,
      recommendedActions: (input.recommendedActions as string | undefined) ?? null,
      educateUrl: (input.educateUrl as string | undefined) ?? null,
      rbacGroupNames: (input.rbacGroupNames as string[] | undefined) ?? [],
      generateAlert: (input.generateAlert as boolean | undefined) ?? false,
      lastUpdateTime: nowText,
      lastUpdatedBy: token.clientId,
    };
    if (existing) {
      // `application` applies to new indicators only (doc).
      Object.assign(existing, common);
      const { ownerClientId: _owner, ...rest } = existing;
      return { indicator: rest };
    }
    if (this.activeCount(token.tenantId) >= cap) {
      return {
        problem: {
          code: 'BadRequest',
          message: `The tenant has reached the maximum of ${cap} active indicators. Delete or expire indicators first.`,
        },
      };
    }
    const created: Indicator & { ownerClientId: string } = {
      id: String(this.nextId++),
      indicatorValue: value,
      indicatorType: type,
      application: (input.application as string | undefined) ?? null,
      source: token.clientId,
      sourceType: 'AadApp',
      createdBy: token.clientId,
      createdBySource: 'PublicApi',
      creationTimeDateTimeUtc: nowText,
      rbacGroupIds: [],
      ...common,
      ownerClientId: token.clientId,
    };
    map.set(created.id, created);
    const { ownerClientId: _owner, ...rest } = created;
    return { indicator: rest };
  }

  /** The owner check for deletes: 'missing', 'hidden' (another app's, caller has Ti.ReadWrite only) or 'ok'. */
  access(token: IssuedToken, id: string): 'missing' | 'hidden' | 'ok' {
    const i = this.tenant(token.tenantId).get(id);
    if (!i) return 'missing';
    return token.roles.includes('Ti.ReadWrite.All') || i.ownerClientId === token.clientId ? 'ok' : 'hidden';
  }

  delete(tenantId: string, id: string): void {
    this.tenant(tenantId).delete(id);
  }

  clear(): void {
    this.byTenant.clear();
  }
}

function entityReply(ctx: RequestContext, indicator: Indicator): Reply {
  return jsonReply(200, { '@odata.context': `${ctx.baseUrl}/api/$metadata#Indicators/$entity`, ...indicator });
}

function objectBody(ctx: RequestContext): Record<string, unknown> | undefined {
  const body = parseJsonBody(ctx);
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

function submit(ctx: RequestContext, env: EmulatorContext, token: IssuedToken): Reply {
  const checked = validateIndicator(parseJsonBody(ctx));
  const result =
    'problem' in checked ? checked : env.indicators.upsert(token, checked.value, env.settings.indicatorCap);
  if ('problem' in result) return mdeErrorReply(ctx, 400, result.problem.code, result.problem.message);
  return entityReply(ctx, result.indicator);
}

function importBatch(ctx: RequestContext, env: EmulatorContext, token: IssuedToken): Reply {
  const body = objectBody(ctx);
  const items = body?.Indicators;
  if (!Array.isArray(items))
    return mdeErrorReply(
      ctx,
      400,
      'MissingRequiredParameter',
      "Missing required parameter 'Indicators' (an array; note the capital I).",
    );
  if (items.length > MAX_BATCH) {
    return mdeErrorReply(
      ctx,
      400,
      'MaximumBatchSizeExceeded',
      `Maximum batch size exceeded. Received: ${items.length}, allowed: ${MAX_BATCH}`,
    );
  }
  const value = items.map((item) => {
    const indicatorValue =
      typeof item === 'object' && item !== null && typeof (item as Record<string, unknown>).indicatorValue === 'string'
        ? ((item as Record<string, unknown>).indicatorValue as string)
        : null;
    const checked = validateIndicator(item);
    const result =
      'problem' in checked ? checked : env.indicators.upsert(token, checked.value, env.settings.indicatorCap);
    if ('problem' in result)
      return { id: null, indicator: indicatorValue, isFailed: true, failureReason: result.problem.message };
    return {
      id: result.indicator.id,
      indicator: result.indicator.indicatorValue,
      isFailed: false,
      failureReason: null,
    };
  });
  return jsonReply(200, {
    '@odata.context': `${ctx.baseUrl}/api/$metadata#Collection(microsoft.windowsDefenderATP.api.ImportIndicatorResult)`,
    value,
  });
}

function list(ctx: RequestContext, env: EmulatorContext, token: IssuedToken): Reply {
  const bad = (message: string): Reply => mdeErrorReply(ctx, 400, 'ODataError', message);
  const filterText = ctx.query.get('$filter');
  let filter: FilterNode | undefined;
  if (filterText !== null) {
    try {
      filter = parseFilter(filterText, FILTER_SCHEMA);
    } catch (err) {
      if (err instanceof FilterError) return bad(err.message);
      throw err;
    }
  }
  const top = intOption(ctx.query, '$top');
  const skip = intOption(ctx.query, '$skip');
  if (Number.isNaN(top) || Number.isNaN(skip)) return bad('$top and $skip must be whole numbers.');
  if (top !== undefined && top > 10_000)
    return bad(
      `The limit of '10000' for Top query has been exceeded. The value from the incoming request is '${top}'.`,
    );
  const items = env.indicators
    .visible(token)
    .filter(
      (i) =>
        !filter ||
        matchesFilter(
          filter,
          (field) => {
            const raw = (i as unknown as Record<string, unknown>)[field];
            if (FILTER_SCHEMA.properties[field]?.kind === 'time')
              return typeof raw === 'string' ? (parseApiTime(raw) ?? null) : null;
            return raw as string | boolean | null;
          },
          true,
        ),
    )
    .sort((a, b) => Number(a.id) - Number(b.id));
  const page = items.slice(skip ?? 0, (skip ?? 0) + (top ?? 10_000));
  return jsonReply(200, { '@odata.context': `${ctx.baseUrl}/api/$metadata#Indicators`, value: page });
}

function deleteOne(ctx: RequestContext, env: EmulatorContext, token: IssuedToken, id: string): Reply {
  const access = env.indicators.access(token, id);
  if (access === 'missing') return mdeErrorReply(ctx, 404, 'NotFound', `Indicator ${id} was not found.`);
  if (access === 'hidden')
    return mdeErrorReply(
      ctx,
      403,
      'Forbidden',
      `Indicator ${id} belongs to another application; deleting it needs Ti.ReadWrite.All.`,
    );
  env.indicators.delete(token.tenantId, id);
  return { status: 204 };
}

function batchDelete(ctx: RequestContext, env: EmulatorContext, token: IssuedToken): Reply {
  const ids = objectBody(ctx)?.IndicatorIds;
  if (!Array.isArray(ids) || ids.length === 0)
    return mdeErrorReply(ctx, 400, 'InvalidRequestBody', "'IndicatorIds' must be a non-empty array of indicator ids.");
  if (ids.length > MAX_BATCH)
    return mdeErrorReply(
      ctx,
      400,
      'MaximumBatchSizeExceeded',
      `Maximum batch size exceeded. Received: ${ids.length}, allowed: ${MAX_BATCH}`,
    );
  const bad = ids.find((id) => typeof id !== 'string' || !/^\d+$/.test(id));
  if (bad !== undefined)
    return mdeErrorReply(ctx, 400, 'InvalidInput', `'${String(bad)}' is not a valid indicator id.`);
  for (const id of ids as string[]) {
    const access = env.indicators.access(token, id);
    if (access === 'missing') return mdeErrorReply(ctx, 404, 'NotFound', `Indicator ${id} was not found.`);
    if (access === 'hidden')
      return mdeErrorReply(ctx, 403, 'Forbidden', `Indicator ${id} is not visible to this application.`);
  }
  for (const id of ids as string[]) env.indicators.delete(token.tenantId, id);
  return { status: 204 };
}

/** Routes `/api/indicators/...` (`rest` = the segments after `indicators`). */
export function handleIndicators(ctx: RequestContext, env: EmulatorContext, rest: string[]): Reply {
  const m = ctx.method.toUpperCase();
  const sub = rest[0]?.toLowerCase();
  const family =
    sub === 'import' ? 'indicators-import' : sub === 'batchdelete' ? 'indicators-batch-delete' : 'indicators';
  const auth = guard(ctx, env, ROLES.indicators, family);
  if (!auth.ok) return auth.reply;
  const notAllowed = (): Reply => mdeErrorReply(ctx, 405, 'MethodNotAllowed', `${m} is not allowed on ${ctx.path}.`);
  if (rest.length === 0)
    return m === 'GET' ? list(ctx, env, auth.token) : m === 'POST' ? submit(ctx, env, auth.token) : notAllowed();
  if (rest.length === 1 && sub === 'import') return m === 'POST' ? importBatch(ctx, env, auth.token) : notAllowed();
  if (rest.length === 1 && sub === 'batchdelete')
    return m === 'POST' ? batchDelete(ctx, env, auth.token) : notAllowed();
  if (rest.length === 1) return m === 'DELETE' ? deleteOne(ctx, env, auth.token, rest[0]!) : notAllowed();
  return mdeErrorReply(ctx, 404, 'NotFound', `No route for ${m} ${ctx.path}.`);
}
