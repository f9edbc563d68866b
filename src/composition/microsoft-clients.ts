/**
 * The one way inputs and actions get their Microsoft clients: a token provider (msal-node, client credentials) and an
 * API client (got), both on one route out of the process built from `proxy_url`, with every secret they will carry
 * registered with the logger before the first call.
 */
import { createGotHttpClient } from '../adapters/got-http-client.js';
import { checkCredentials, createMsalTokenProvider } from '../adapters/msal-token-provider.js';
import { createOutbound } from '../adapters/network/outbound.js';
import type { Api, Endpoints } from '../config/types.js';
import type { RequestGate } from '../defender/request-quota.js';
import type { Clock, HttpClient, Logger, TokenProvider } from '../ports.js';

/** A logger that masks the secrets registered with it. */
export type RedactingLogger = Logger & { redact(secret: string): void };

/** Who calls Microsoft, where, and how. */
export interface MicrosoftClientOptions {
  endpoints: Endpoints;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Names the permission in a 403 (`/api/alerts` is both MDE and SIEM). */
  api: Api;
  /** `http(s)://[user:pass@]host:port`, or undefined for a direct connection. */
  proxyUrl: string | undefined;
  /** Limit for each request's wait for an answer (and each token request). */
  timeoutMs: number;
  /** Retries of a failed API request (5xx, reset, timeout); 429s are waited out as Retry-After says. */
  maxRetries: number;
  log: RedactingLogger;
  clock: Clock;
  /** Paces API requests to the quota (the alerts input); actions and checks leave it out. */
  gate?: RequestGate;
  /** The only CA to trust instead of Node's store: in-process tests' own CA. Production leaves it out. */
  ca?: string;
}

export interface MicrosoftClients {
  tokenProvider: TokenProvider;
  http: HttpClient;
}

export function createMicrosoftClients(options: MicrosoftClientOptions): MicrosoftClients {
  const { log, clock } = options;
  log.redact(options.clientSecret);
  const outbound = createOutbound({ proxyUrl: options.proxyUrl, ca: options.ca });
  for (const secret of outbound.secrets) log.redact(secret);
  const tokenProvider = createMsalTokenProvider({
    authority: options.endpoints.authority,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope: options.endpoints.scope,
    knownAuthorities: options.endpoints.knownAuthorities,
    tenantId: options.tenantId,
    outbound,
    timeoutMs: options.timeoutMs,
    log,
    clock,
  });
  const http = createGotHttpClient({
    tokenProvider,
    outbound,
    timeoutMs: options.timeoutMs,
    retry: { maxRetries: options.maxRetries },
    api: options.api,
    log,
    clock,
    gate: options.gate,
  });
  return { tokenProvider, http };
}

/** Options of {@link checkMicrosoftCredentials}. */
export type CredentialCheckOptions = Pick<
  MicrosoftClientOptions,
  'endpoints' | 'tenantId' | 'clientId' | 'clientSecret' | 'proxyUrl' | 'ca'
> & {
  timeoutMs: number;
};

/** One token request without retries, for validation: the admin sentence Entra ID's refusal means, or undefined. */
export function checkMicrosoftCredentials(options: CredentialCheckOptions): Promise<string | undefined> {
  return checkCredentials({
    authority: options.endpoints.authority,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope: options.endpoints.scope,
    knownAuthorities: options.endpoints.knownAuthorities,
    tenantId: options.tenantId,
    outbound: createOutbound({ proxyUrl: options.proxyUrl, ca: options.ca }),
    timeoutMs: options.timeoutMs,
  });
}
