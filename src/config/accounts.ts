/**
 * Accounts: a stanza `[<name>]` of ta_microsoft_defender_account.conf holds tenant_id, client_id, region
 * and login_url; the client secret lives only in storage/passwords. This file turns a stanza's raw strings into a typed
 * Account, or lists every problem naming the field and the fix, with the same rules the inputs apply to their own
 * tenant_id, client_id and login_url. Pure and free of Node APIs: the Configuration page's browser bundle imports it
 * too, so the page, the inputs and the actions refuse exactly the same values with the same sentences.
 */
import { DEFAULT_REGIONS, findCloud, listRegions, normaliseBaseUrl } from '../defender/clouds.js';
import { APP_ID } from '../version.js';
import type { Api } from './types.js';
import type { StanzaDefinition } from '../modinput/scheme-types.js';

/** The conf file name without `.conf`: also the REST path `configs/conf-ta_microsoft_defender_account`. */
export const ACCOUNT_CONF = 'ta_microsoft_defender_account';

/** storage/passwords realm of every secret of the add-on (inputs' secrets use it too, under the input's name). */
export const ACCOUNT_SECRET_REALM = APP_ID;

/**
 * storage/passwords user name of an account's secret. The prefix keeps accounts apart from inputs' secrets, which
 * use the input's name in the same realm; `#` needs no escaping in the entry name `<realm>:<user>:` (a `:` would).
 */
export function accountSecretUser(name: string): string {
  return `account#${name}`;
}

/** The stanza keys of an account; the secret is not one of them. */
export const ACCOUNT_KEYS = ['tenant_id', 'client_id', 'region', 'login_url'] as const;
export type AccountKey = (typeof ACCOUNT_KEYS)[number];

/** A field a problem can name: a stanza key, the stanza name, or the secret (which only the page and REST see). */
export type AccountField = 'name' | AccountKey | 'client_secret';

/** One problem: the field it is about and a sentence saying what is wrong and how to fix it. */
export interface AccountProblem {
  field: AccountField;
  message: string;
}

/** A parsed account. `region` undefined means each api's default (see {@link resolveAccountRegion}). */
export interface Account {
  name: string;
  tenantId: string;
  clientId: string;
  region: string | undefined;
  /** Normalised https base URL (no trailing slash), or undefined. */
  loginUrl: string | undefined;
}

/** Raw stanza values as splunkd serves them (strings; missing keys absent or empty). */
export type RawAccount = Readonly<Partial<Record<string, string | undefined>>>;

export type ParsedAccount = { ok: true; account: Account } | { ok: false; problems: AccountProblem[] };

const APIS: readonly Api[] = ['graph', 'mde', 'siem'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DNS name with at least two labels and an alphabetic top-level label, as Entra ID verified domains are. */
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Safe in a stanza header, a REST path segment and a storage/passwords user name. */
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/;

/** Every region some api has, in the contract's order: the values an account's region may take. */
export const ACCOUNT_REGIONS: readonly string[] = Object.freeze([...new Set(APIS.flatMap((api) => listRegions(api)))]);

/** Parses one stanza. Every problem is reported at once; empty values count as absent, as Splunk Web posts them. */
export function parseAccount(name: string, raw: RawAccount): ParsedAccount {
  const problems: AccountProblem[] = [];
  const value = (key: AccountKey) => {
    const text = raw[key]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const add = (field: AccountField, message: string | undefined) => {
    if (message !== undefined) problems.push({ field, message });
  };
  add('name', accountNameProblem(name));
  add('tenant_id', tenantIdProblem(value('tenant_id')));
  add('client_id', clientIdProblem(value('client_id')));
  add('region', regionProblem(value('region')));
  add('login_url', baseUrlProblem('login_url', value('login_url')));
  if (problems.length > 0) return { ok: false, problems };
  const loginUrl = value('login_url');
  return {
    ok: true,
    account: {
      name,
      tenantId: value('tenant_id')!,
      clientId: value('client_id')!,
      region: normaliseRegion(value('region')),
      loginUrl: loginUrl === undefined ? undefined : normaliseBaseUrl(loginUrl),
    },
  };
}

/** The problem with an account name, or undefined when it is usable. */
export function accountNameProblem(name: string): string | undefined {
  if (name === '') return 'The account has no name: give it a short name such as contoso_prod.';
  if (name === 'default') return 'The name "default" is reserved by Splunk: choose another account name.';
  if (ACCOUNT_NAME.test(name)) return undefined;
  return `Account name ${quote(name)} is not usable: use 1 to 50 letters, digits, "_", "-" or ".", starting with a letter or a digit.`;
}

/** tenant_id: a GUID or a verified domain; the sentences the inputs use for their own tenant_id. */
export function tenantIdProblem(value: string | undefined): string | undefined {
  const fix =
    "copy the Directory (tenant) ID from the app registration's Overview page in Entra ID, or use a verified domain such as contoso.onmicrosoft.com.";
  if (value === undefined) return `tenant_id is required: ${fix}`;
  if (GUID.test(value) || DOMAIN.test(value)) return undefined;
  return `tenant_id ${quote(value)} is not a GUID or a domain name: ${fix}`;
}

/** client_id: a GUID; the sentences the inputs use for their own client_id. */
export function clientIdProblem(value: string | undefined): string | undefined {
  const fix = "copy the Application (client) ID from the app registration's Overview page in Entra ID.";
  if (value === undefined) return `client_id is required: ${fix}`;
  if (GUID.test(value)) return undefined;
  return `client_id ${quote(value)} is not a GUID: ${fix}`;
}

/** region: empty, or a region of at least one api (which api is the input's choice, checked when it resolves). */
export function regionProblem(value: string | undefined): string | undefined {
  const region = normaliseRegion(value);
  if (region === undefined || ACCOUNT_REGIONS.includes(region)) return undefined;
  return `region ${quote(value!)} is not a region of any api: use one of ${ACCOUNT_REGIONS.join(', ')}, or leave it empty for global.`;
}

/** client_secret as typed on the page: required when the account is created, optional (kept) when it is edited. */
export function clientSecretProblem(value: string | undefined, required: boolean): string | undefined {
  if ((value === undefined || value === '') && required) {
    return "client_secret is required: paste the secret's Value (not its Secret ID) from the app's Certificates & secrets page in Entra ID.";
  }
  return undefined;
}

/** A warning (not a problem) for a secret shaped like the Secret ID Entra ID shows beside the Value. */
export function clientSecretWarning(value: string | undefined): string | undefined {
  if (value === undefined || !GUID.test(value.trim())) return undefined;
  return "client_secret has the shape of a GUID, like a Secret ID: if Entra ID refuses it, paste the secret's Value instead (shown once, when the secret is created).";
}

/**
 * api_url / login_url: https, no user-info, query or fragment. Never echoes a value holding user-info (it may be a
 * password). The inputs apply the same rule to their own api_url and login_url.
 */
export function baseUrlProblem(field: 'api_url' | 'login_url', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const example =
    field === 'api_url' ? 'https://api-eu.securitycenter.microsoft.com' : 'https://login.microsoftonline.us';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${field} ${quoteUrl(value)} is not a URL: use an https base URL such as ${example}, or leave it empty.`;
  }
  if (url.protocol !== 'https:') {
    return `${field} ${quoteUrl(value)} is not an https URL: use https:// (tokens and alerts must not travel unencrypted), e.g. ${example}.`;
  }
  if (url.username !== '' || url.password !== '') {
    return `${field} holds a user name or password (value not shown): remove the user:password@ part; credentials belong in client_id and client_secret.`;
  }
  if (value.includes('?') || value.includes('#')) {
    return `${field} ${quoteUrl(value)} has a query string or fragment: give the base URL only, e.g. ${example}.`;
  }
  return undefined;
}

/**
 * The region an input or action of `api` uses with this account: the account's own, or the api's default when the
 * account leaves it empty. A problem names the account and says what to change when the api lacks the region.
 */
export function resolveAccountRegion(
  account: Account,
  api: Api,
): { ok: true; region: string } | { ok: false; problem: string } {
  const regions = listRegions(api).join(', ');
  if (account.region === undefined) {
    const fallback = DEFAULT_REGIONS[api];
    if (fallback !== undefined) return { ok: true, region: fallback };
    return {
      ok: false,
      problem: `Account ${quote(account.name)} has no region, which api=${api} needs: set its region to one of ${regions} on the Configuration page.`,
    };
  }
  if (findCloud(api, account.region)) return { ok: true, region: account.region };
  return {
    ok: false,
    problem: `Account ${quote(account.name)} has region ${account.region}, which api=${api} does not have: use an account whose region is one of ${regions}, or another api.`,
  };
}

/** Region keys are lower-case with `_`; `GCC-High` as other add-ons spell it means gcc_high. */
function normaliseRegion(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value.toLowerCase().replace(/-/g, '_');
}

/** A value for a message: quoted, one line, and cut short so a pasted blob cannot flood a log line or the page. */
function quote(value: string): string {
  const oneLine = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return JSON.stringify(oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine);
}

/** A URL for a message, without any user-info (which may be a password). */
function quoteUrl(value: string): string {
  return /^[^/?#]*\/\/[^/?#]*@/.test(value) ? '(value not shown, it holds user-info)' : quote(value);
}

/** The account a stanza names in `account` (trimmed), or undefined when it names none (it carries its credentials). */
export function accountNameOf(stanza: StanzaDefinition): string | undefined {
  const value = stanza.params.account;
  const name = typeof value === 'string' ? value.trim() : undefined;
  return name === '' ? undefined : name;
}
