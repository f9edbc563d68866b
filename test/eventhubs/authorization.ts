/**
 * Claims-based authorization: what a `put-token` request earns. The rules come from the service's AMQP guide
 * (https://learn.microsoft.com/azure/service-bus-messaging/service-bus-amqp-protocol-guide#claims-based-authorization):
 * the request carries `operation=put-token`, `type` (the SDK sends `servicebus.windows.net:sastoken` or `jwt`:
 * TokenType in node_modules/@azure/core-amqp/dist/esm/auth/token.js), `name` (the audience) and the token as body;
 * the reply carries `status-code` (an HTTP code) and `status-description`. Success is 202 "Accepted"; a bad token
 * is 401 with the reason first in the description (ExpiredToken, InvalidSignature, InvalidAudience, …), as the
 * service answers.
 */
import { covers, parseAudience, type EntityRef } from './audience.js';
import { verifyJwt, type JwtIssuer } from './jwt-token.js';
import { verifySas, type Right, type SasRule } from './sas-token.js';

export const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';
export const JWT_TOKEN_TYPE = 'jwt';

export interface AuthConfig {
  /** Host names the broker answers for (lower case), e.g. ['localhost', 'contoso.servicebus.windows.net']. */
  namespaces: readonly string[];
  sasRules: readonly SasRule[];
  jwt?: JwtIssuer;
}

/** What one accepted token grants on its connection. */
export interface Grant {
  entity: EntityRef;
  expiresAtMs: number;
  rights: readonly Right[];
  tokenType: string;
}

export type PutTokenOutcome =
  | { status: 202; description: 'Accepted'; grant: Grant }
  | { status: 400 | 401 | 403; description: string; condition: string };

export interface PutTokenRequest {
  type: unknown;
  name: unknown;
  token: unknown;
}

const unauthorized = (description: string): PutTokenOutcome => ({
  status: 401,
  description,
  condition: 'amqp:unauthorized-access',
});

export function authorizePutToken(config: AuthConfig, request: PutTokenRequest, nowMs: number): PutTokenOutcome {
  if (typeof request.name !== 'string' || typeof request.type !== 'string' || typeof request.token !== 'string') {
    return {
      status: 400,
      description: 'put-token needs string application properties name and type and a string body (the token)',
      condition: 'com.microsoft:argument-error',
    };
  }
  const entity = parseAudience(request.name);
  if (!entity || !config.namespaces.includes(entity.host)) {
    return unauthorized(
      `InvalidAudience: The audience '${request.name}' is not in this namespace (${config.namespaces.join(', ')}).`,
    );
  }
  if (request.type === SAS_TOKEN_TYPE) {
    const check = verifySas(request.token, config.sasRules, nowMs);
    if (!check.ok) return unauthorized(check.description);
    const resource = parseAudience(check.resource);
    if (!resource || !covers(resource, entity)) {
      return unauthorized('InvalidAudience: The authorization header contains a token with a wrong audience.');
    }
    return {
      status: 202,
      description: 'Accepted',
      grant: {
        entity,
        expiresAtMs: check.expiresAtMs,
        rights: check.rule.rights ?? ['Listen'],
        tokenType: request.type,
      },
    };
  }
  if (request.type === JWT_TOKEN_TYPE) {
    if (!config.jwt)
      return unauthorized(
        'InvalidIssuer: This namespace accepts no Entra ID tokens (the broker has no jwt issuer configured).',
      );
    const check = verifyJwt(request.token, config.jwt, nowMs);
    if (!check.ok) return unauthorized(check.description);
    return {
      status: 202,
      description: 'Accepted',
      grant: { entity, expiresAtMs: check.expiresAtMs, rights: check.rights, tokenType: request.type },
    };
  }
  return {
    status: 400,
    description: `Unsupported token type '${request.type}': use ${SAS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}`,
    condition: 'com.microsoft:argument-error',
  };
}

/** The grants one connection holds; a grant ends when its token expires or the connection closes. */
export class ConnectionGrants {
  private grants: Grant[] = [];

  add(grant: Grant): void {
    // A renewed token for the same audience replaces the old one.
    this.grants = this.grants.filter(
      (g) => !(g.entity.host === grant.entity.host && g.entity.segments.join('/') === grant.entity.segments.join('/')),
    );
    this.grants.push(grant);
  }

  /** Whether a live grant covers `entity` with `right`. */
  allows(entity: EntityRef, right: Right, nowMs: number): boolean {
    return this.grants.some((g) => g.expiresAtMs > nowMs && g.rights.includes(right) && covers(g.entity, entity));
  }

  /** Whether any live grant covers `entity` (whatever its rights). */
  reaches(entity: EntityRef, nowMs: number): boolean {
    return this.grants.some((g) => g.expiresAtMs > nowMs && covers(g.entity, entity));
  }

  /** Ends every grant now (a fault: the tokens expire). */
  expireAll(nowMs: number): void {
    for (const g of this.grants) g.expiresAtMs = Math.min(g.expiresAtMs, nowMs);
  }

  /** The earliest expiry still ahead, for the connection's expiry timer. */
  nextExpiry(nowMs: number): number | undefined {
    const ahead = this.grants.map((g) => g.expiresAtMs).filter((t) => t > nowMs);
    return ahead.length ? Math.min(...ahead) : undefined;
  }
}
