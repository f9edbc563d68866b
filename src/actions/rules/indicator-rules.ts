/**
 * Custom indicators (https://learn.microsoft.com/defender-endpoint/api/ti-indicator): the entity
 * `defender_submit_indicator` sends, the type inferred from the
 * value when not given, and the documented rules checked before any call: hash lengths and hex, IP syntax without CIDR,
 * URL and domain syntax, the actions each type allows, and Audit needing generateAlert.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parseExpiration } from './expiration.js';
import { foldEnumWord, parseFlag, splitList } from './params.js';

export type IndicatorType =
  'FileSha1' | 'FileSha256' | 'FileMd5' | 'CertificateThumbprint' | 'IpAddress' | 'DomainName' | 'Url';
export type IndicatorAction = 'Allowed' | 'Audit' | 'Warn' | 'Block' | 'BlockAndRemediate';
export type IndicatorSeverity = 'Informational' | 'Low' | 'Medium' | 'High';

/** One item of `POST /api/indicators/import` (field names as the API spells them). */
export interface Indicator {
  indicatorValue: string;
  indicatorType: IndicatorType;
  action: IndicatorAction;
  title: string;
  description: string;
  generateAlert: boolean;
  severity?: IndicatorSeverity;
  expirationTime?: string;
  recommendedActions?: string;
  rbacGroupNames?: string[];
}

/**
 * The raw settings of one indicator: the action's parameters, overridden by the row's fields of the same name. Every
 * value is text as splunkd gives it, except rbac_group_names, which a multi-valued field can give as a list.
 */
export interface IndicatorSettings {
  type?: string;
  action?: string;
  title?: string;
  description?: string;
  severity?: string;
  expiration?: string;
  recommended_actions?: string;
  rbac_group_names?: string | readonly string[];
  generate_alert?: string;
}

/** Names of the settings a row may override, in the order they are documented. */
export const INDICATOR_SETTING_FIELDS = [
  'type',
  'action',
  'title',
  'description',
  'severity',
  'expiration',
  'recommended_actions',
  'rbac_group_names',
  'generate_alert',
] as const satisfies readonly (keyof IndicatorSettings)[];

export const INDICATOR_TYPES: readonly IndicatorType[] = [
  'FileSha1',
  'FileSha256',
  'FileMd5',
  'CertificateThumbprint',
  'IpAddress',
  'DomainName',
  'Url',
];
const ACTIONS: readonly IndicatorAction[] = ['Allowed', 'Audit', 'Warn', 'Block', 'BlockAndRemediate'];
const SEVERITIES: readonly IndicatorSeverity[] = ['Informational', 'Low', 'Medium', 'High'];

/** Actions each type takes (https://learn.microsoft.com/defender-endpoint/indicators-overview). */
const ACTIONS_BY_TYPE: Readonly<Record<IndicatorType, readonly IndicatorAction[]>> = {
  FileSha1: ACTIONS,
  FileSha256: ACTIONS,
  FileMd5: ACTIONS,
  CertificateThumbprint: ['Allowed', 'BlockAndRemediate'],
  IpAddress: ['Allowed', 'Audit', 'Warn', 'Block'],
  Url: ['Allowed', 'Audit', 'Warn', 'Block'],
  DomainName: ['Allowed', 'Audit', 'Warn', 'Block'],
};

/** Portal words and short forms users type, folded → API action. */
const ACTION_ALIASES: Readonly<Record<string, IndicatorAction>> = {
  allow: 'Allowed',
  blockexecution: 'Block',
  blockremediate: 'BlockAndRemediate',
};
/** Retired actions (January 2022) and what replaced them. */
const RETIRED_ACTIONS: Readonly<Record<string, string>> = {
  alert: 'Alert was retired in January 2022: use action Audit with generate_alert = 1.',
  alertandblock: 'AlertAndBlock was retired in January 2022: use action BlockAndRemediate (files) or Block.',
};

const HASH_LENGTHS: Readonly<Partial<Record<IndicatorType, number>>> = {
  FileSha1: 40,
  FileSha256: 64,
  FileMd5: 32,
  CertificateThumbprint: 40,
};
const HEX = /^[0-9a-f]+$/i;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_TEXT = 4000;

/** Context for defaults that name the search. */
export interface IndicatorContext {
  nowMs: number;
  searchName: string | undefined;
  sid: string | undefined;
}

/**
 * Guesses the type from the value: 40/64/32 hex digits are FileSha1/FileSha256/FileMd5 (a 40-digit certificate
 * thumbprint must be typed explicitly), an IP address (or a CIDR range, which validation then refuses) is IpAddress,
 * text with a scheme is Url, a dotted name is DomainName. undefined when it looks like none of them.
 */
export function inferIndicatorType(value: string): IndicatorType | undefined {
  const v = value.trim();
  if (HEX.test(v)) {
    if (v.length === 40) return 'FileSha1';
    if (v.length === 64) return 'FileSha256';
    if (v.length === 32) return 'FileMd5';
  }
  if (isIP(v) !== 0 || (v.includes('/') && isIP(v.slice(0, v.indexOf('/'))) !== 0)) return 'IpAddress';
  if (URL_SCHEME.test(v)) return 'Url';
  if (v.includes('.') && !/[\s/\\:@?#]/.test(v)) return 'DomainName';
  return undefined;
}

/** Parses a type name, any case (`filesha256`, `ip_address`, `Domain`). */
export function parseIndicatorType(text: string): IndicatorType | undefined {
  const folded = foldEnumWord(text);
  const aliases: Record<string, IndicatorType> = {
    ip: 'IpAddress',
    domain: 'DomainName',
    sha1: 'FileSha1',
    sha256: 'FileSha256',
    md5: 'FileMd5',
    certificate: 'CertificateThumbprint',
  };
  return INDICATOR_TYPES.find((t) => foldEnumWord(t) === folded) ?? aliases[folded];
}

/**
 * Checks a value against its type and returns it in the form the API is sent (hashes lower-case, domains lower-case
 * ASCII without a trailing dot), or a problem saying what is wrong.
 */
export function normaliseIndicatorValue(
  value: string,
  type: IndicatorType,
): { ok: true; value: string } | { ok: false; problem: string } {
  const v = value.trim();
  const shown = JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  const hashLength = HASH_LENGTHS[type];
  if (hashLength !== undefined) {
    if (!HEX.test(v) || v.length !== hashLength) {
      return {
        ok: false,
        problem: `${shown} is not a ${type} value: it must be ${hashLength} hexadecimal digits (got ${v.length} characters${HEX.test(v) ? '' : ', not all hex'}).`,
      };
    }
    return { ok: true, value: v.toLowerCase() };
  }
  if (type === 'IpAddress') {
    if (v.includes('/'))
      return {
        ok: false,
        problem: `${shown} is a CIDR range: Defender takes single IP addresses only, one row per address.`,
      };
    if (isIP(v) === 0 || v.includes('%')) return { ok: false, problem: `${shown} is not an IPv4 or IPv6 address.` };
    return { ok: true, value: isIP(v) === 6 ? v.toLowerCase() : v };
  }
  if (type === 'Url') {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return { ok: false, problem: `${shown} is not a URL: give it with its scheme, e.g. https://example.com/path.` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { ok: false, problem: `${shown} is not an http or https URL.` };
    if (/\s/.test(v) || url.hostname === '')
      return { ok: false, problem: `${shown} is not a valid URL (spaces or no host).` };
    return { ok: true, value: v };
  }
  if (type === 'DomainName') {
    const name = domainToASCII(v.replace(/\.$/, '').toLowerCase());
    const labels = name.split('.');
    const valid =
      name !== '' &&
      name.length <= 253 &&
      labels.length >= 2 &&
      labels.every((l) => DOMAIN_LABEL.test(l)) &&
      !/^\d+$/.test(labels.at(-1)!);
    if (!valid) {
      const hint = v.includes('*')
        ? ' (wildcards are not accepted: a domain indicator covers its subdomains)'
        : URL_SCHEME.test(v)
          ? ' (it looks like a URL: use type Url)'
          : '';
      return { ok: false, problem: `${shown} is not a valid domain name${hint}.` };
    }
    return { ok: true, value: name };
  }
  return { ok: false, problem: `unknown indicator type ${type}` };
}

/**
 * Builds the indicator for one value from its settings, checking every rule. Returns every problem at once.
 */
export function buildIndicator(
  value: string,
  settings: IndicatorSettings,
  context: IndicatorContext,
): { ok: true; indicator: Indicator } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const text = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

  let type: IndicatorType | undefined;
  const typeText = text(settings.type);
  if (typeText !== undefined) {
    type = parseIndicatorType(typeText);
    if (!type)
      problems.push(
        `type ${JSON.stringify(typeText)} is not an indicator type: use one of ${INDICATOR_TYPES.join(', ')} (or leave it empty to infer it).`,
      );
  } else {
    type = inferIndicatorType(value);
    if (!type)
      problems.push(
        `cannot tell the type of ${JSON.stringify(value.trim().slice(0, 80))}: set type to one of ${INDICATOR_TYPES.join(', ')}.`,
      );
  }

  let indicatorValue: string | undefined;
  if (type) {
    const normalised = normaliseIndicatorValue(value, type);
    if (normalised.ok) indicatorValue = normalised.value;
    else problems.push(normalised.problem);
  }

  let action: IndicatorAction | undefined;
  const actionText = text(settings.action);
  if (actionText === undefined) {
    problems.push(`action is not set: use one of ${ACTIONS.join(', ')}.`);
  } else {
    const folded = foldEnumWord(actionText);
    action = ACTIONS.find((a) => foldEnumWord(a) === folded) ?? ACTION_ALIASES[folded];
    if (!action)
      problems.push(
        RETIRED_ACTIONS[folded] ??
          `action ${JSON.stringify(actionText)} is not an indicator action: use one of ${ACTIONS.join(', ')}.`,
      );
    else if (type && !ACTIONS_BY_TYPE[type].includes(action)) {
      problems.push(
        `action ${action} is not allowed for ${type} indicators: use one of ${ACTIONS_BY_TYPE[type].join(', ')}.`,
      );
    }
  }

  let generateAlert = action === 'Audit';
  const generateText = text(settings.generate_alert);
  if (generateText !== undefined) {
    const flag = parseFlag(generateText, 'generate_alert');
    if (flag.ok) generateAlert = flag.value;
    else problems.push(flag.problem);
  }
  if (action === 'Audit' && !generateAlert)
    problems.push('action Audit needs generate_alert = 1 (Defender requires an alert for audit-only indicators).');

  let severity: IndicatorSeverity | undefined;
  const severityText = text(settings.severity);
  if (severityText !== undefined) {
    severity = SEVERITIES.find((s) => foldEnumWord(s) === foldEnumWord(severityText));
    if (!severity)
      problems.push(`severity ${JSON.stringify(severityText)} is not valid: use one of ${SEVERITIES.join(', ')}.`);
  }

  let expirationTime: string | undefined;
  const expirationText = text(settings.expiration);
  if (expirationText !== undefined) {
    const parsed = parseExpiration(expirationText, context.nowMs);
    if (parsed.ok) expirationTime = parsed.value;
    else problems.push(parsed.problem);
  }

  const search = context.searchName ?? 'an ad hoc search';
  const title = text(settings.title) ?? `Splunk: ${search}`;
  const description =
    text(settings.description) ??
    `Submitted by the Splunk search "${search}"${context.sid ? ` (sid ${context.sid})` : ''}.`;
  const recommendedActions = text(settings.recommended_actions);
  for (const [name, v] of [
    ['title', title],
    ['description', description],
    ['recommended_actions', recommendedActions],
  ] as const) {
    if (v !== undefined && v.length > MAX_TEXT)
      problems.push(`${name} is ${v.length} characters long: keep it under ${MAX_TEXT}.`);
  }

  const groups =
    typeof settings.rbac_group_names === 'string'
      ? splitList(settings.rbac_group_names)
      : (settings.rbac_group_names ?? []).map((g) => g.trim()).filter((g) => g !== '');

  if (problems.length > 0 || !type || !indicatorValue || !action) return { ok: false, problems };
  const indicator: Indicator = { indicatorValue, indicatorType: type, action, title, description, generateAlert };
  if (severity) indicator.severity = severity;
  if (expirationTime) indicator.expirationTime = expirationTime;
  if (recommendedActions) indicator.recommendedActions = recommendedActions;
  if (groups.length > 0) indicator.rbacGroupNames = groups;
  return { ok: true, indicator };
}

/** The upsert key Defender uses (type and value): two rows with the same key are one indicator. */
export function indicatorKey(indicator: Pick<Indicator, 'indicatorType' | 'indicatorValue'>): string {
  return `${indicator.indicatorType}|${indicator.indicatorValue.toLowerCase()}`;
}
