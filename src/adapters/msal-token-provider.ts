/**
 * The TokenProvider port on @azure/msal-node (client credentials), with msal's HTTP routed through our got-based
 * network client (same proxy, CA, timeouts and User-Agent as the API calls), failures mapped to admin sentences by
 * aadsts.ts, and bounded retries of transient Entra failures.
 */
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { toAuthError, type AuthContext } from '../defender/aadsts.js';
import { decideRetry, DEFAULT_RETRY_LIMITS, type AttemptFailure, type RetryLimits } from '../defender/retry-policy.js';
import { AuthError, StoppedError } from '../errors.js';
import type { Clock, Logger, TokenProvider } from '../ports.js';
import { systemClock } from '../toolkit/clock.js';
import { createMsalNetworkClient, type MsalNetworkClient } from './msal-network-client.js';
import type { Outbound } from './network/outbound.js';

/** Options of {@link createMsalTokenProvider}. */
export interface MsalTokenProviderOptions {
  /** `<login host>/<tenant>`, e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com */
  authority: string;
  clientId: string;
  clientSecret: string;
  /** `<resource>/.default`. */
  scope: string;
  /**
   * host:port of a login host msal does not know (login_url, emulator). Non-empty makes msal trust it without asking
   * login.microsoftonline.com for instance discovery.
   */
  knownAuthorities: string[];
  /** For messages; read from the authority's path when absent. */
  tenantId?: string;
  /** e.g. "US Government (GCC High)", for the cross-cloud message. */
  cloudName?: string;
  /** The route shared with the API client (same proxy and socket pool). */
  outbound: Outbound;
  /** Limit for each metadata or token request. */
  timeoutMs: number;
  /** Retries of transient failures (5xx, 429, network); tests shrink the waits. */
  retry?: Partial<RetryLimits>;
  log: Logger;
  clock?: Clock;
}

/** Production default: two more tries after a transient Entra failure, then the run fails with the reason. */
const TOKEN_RETRY_DEFAULTS: Partial<RetryLimits> = { maxRetries: 2, maxThrottleRetries: 2, budgetMs: 120_000 };

/** Creates a token provider for one (authority, client, scope). Concurrent callers share one request. */
export function createMsalTokenProvider(options: MsalTokenProviderOptions): TokenProvider {
  const limits: RetryLimits = { ...DEFAULT_RETRY_LIMITS, ...TOKEN_RETRY_DEFAULTS, ...options.retry };
  const clock = options.clock ?? systemClock;
  const ctx: AuthContext = {
    tenantId: options.tenantId ?? tenantOf(options.authority),
    clientId: options.clientId,
    cloudName: options.cloudName,
  };
  const network = createMsalNetworkClient({ outbound: options.outbound, timeoutMs: options.timeoutMs });
  let app = buildApp(options, network);
  let inflight: Promise<string> | undefined;

  async function acquire(forceRefresh: boolean, signal: AbortSignal | undefined): Promise<string> {
    const started = clock.nowMs();
    let throttleRetries = 0;
    let otherRetries = 0;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new StoppedError('the token request was cancelled');
      network.clearLastFailure();
      let error: AuthError;
      try {
        const result = await app.acquireTokenByClientCredential({ scopes: [options.scope], skipCache: forceRefresh });
        if (result?.accessToken) {
          options.log.debug('token ready', {
            action: 'token',
            from_cache: result.fromCache,
            expires_on: result.expiresOn?.toISOString(),
          });
          return result.accessToken;
        }
        error = new AuthError(
          'auth_failed',
          'Entra ID returned no access token. Check tenant_id, client_id and the client secret.',
        );
      } catch (caught) {
        error = toAuthError(caught, { ...ctx, transport: network.lastFailure() });
      }
      const failure = toAttemptFailure(network, error);
      if (!error.retryable || !failure) throw error;
      const decision = decideRetry({
        failure,
        idempotent: true,
        throttleRetries,
        otherRetries,
        elapsedMs: clock.nowMs() - started,
        nowMs: clock.nowMs(),
        limits,
        random: Math.random(),
      });
      if (!decision.retry) throw error;
      if (decision.reason === 'throttled') throttleRetries++;
      else otherRetries++;
      options.log.warn('token request failed, retrying', {
        ...(decision.reason === 'throttled'
          ? { action: 'throttled', wait_s: Number((decision.waitMs / 1000).toFixed(3)) }
          : { action: 'retry' }),
        status: failure.kind === 'status' ? failure.status : failure.code,
        attempt,
        wait_ms: decision.waitMs,
        error: error.code,
      });
      // msal caches a throttle entry after any 5xx/429 (60 s when there is no Retry-After) and would refuse our retry
      // locally; we honour Retry-After ourselves, so retry on a fresh application (its token cache is empty anyway).
      app = buildApp(options, network);
      await clock.sleep(decision.waitMs, signal).catch(() => {
        throw new StoppedError('the token request was cancelled');
      });
    }
  }

  return {
    getToken(request) {
      const forceRefresh = request?.forceRefresh ?? false;
      if (!forceRefresh && inflight) return inflight;
      const pending = acquire(forceRefresh, request?.signal).finally(() => {
        if (inflight === pending) inflight = undefined;
      });
      inflight = pending;
      return pending;
    },
  };
}

/** Options of {@link checkCredentials}: those of the provider; the timeout defaults to 8 s (splunkd waits on us). */
export type CheckCredentialsOptions = Omit<MsalTokenProviderOptions, 'log' | 'timeoutMs' | 'retry'> & {
  timeoutMs?: number;
  log?: Logger;
};

/**
 * Validation mode: asks once for a token, without retries, and returns the admin-readable reason Entra ID refused
 * it, or undefined when the credentials work.
 */
export async function checkCredentials(options: CheckCredentialsOptions): Promise<string | undefined> {
  const provider = createMsalTokenProvider({
    ...options,
    timeoutMs: options.timeoutMs ?? 8_000,
    retry: { maxRetries: 0, maxThrottleRetries: 0 },
    log: options.log ?? silentLogger,
  });
  try {
    await provider.getToken();
    return undefined;
  } catch (error) {
    return error instanceof AuthError ? error.message : 'Could not check the credentials with Entra ID.';
  }
}

function buildApp(options: MsalTokenProviderOptions, network: MsalNetworkClient): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authority: options.authority,
      knownAuthorities: options.knownAuthorities,
    },
    system: {
      networkClient: network,
      loggerOptions: {
        // msal's own lines are for msal developers; keep them out of splunkd's log unless debugging, never with PII.
        logLevel: LogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (_level, message) =>
          options.log.debug('msal', { msal: message.replace(/\s+/g, ' ').slice(0, 300) }),
      },
    },
  });
}

function toAttemptFailure(network: MsalNetworkClient, error: AuthError): AttemptFailure | undefined {
  const t = network.lastFailure();
  if (t?.status !== undefined) return { kind: 'status', status: t.status, headers: t.headers ?? {} };
  if (t?.code) return { kind: t.code === 'ETIMEDOUT' ? 'timeout' : 'network', code: t.code, sent: true };
  // msal refused locally (its throttle cache) or gave no transport detail: retry as a generic transient failure.
  return error.retryable ? { kind: 'network', code: error.code, sent: true } : undefined;
}

function tenantOf(authority: string): string {
  try {
    return new URL(authority).pathname.split('/').filter(Boolean)[0] ?? authority;
  } catch {
    return authority;
  }
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
