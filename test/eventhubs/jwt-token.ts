/**
 * Entra ID bearer tokens (JWT) for the `jwt` CBS token type. @azure/event-hubs asks its TokenCredential for the
 * scope `https://eventhubs.azure.net//.default` (aadEventHubsScope in
 * node_modules/@azure/core-amqp/dist/esm/util/constants.js), so Entra issues tokens whose `aud` is
 * `https://eventhubs.azure.net/`. The broker checks signature (RS256 with a public key, or HS256 with a shared secret
 * for simple tests), issuer, audience and the validity window, then asks an optional `authorize` for the rights of
 * the principal (the role assignment, "Azure Event Hubs Data Receiver" giving Listen).
 */
import { createHmac, createSign, createVerify, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Right } from './sas-token.js';

export const EVENT_HUBS_TOKEN_AUDIENCE = 'https://eventhubs.azure.net/';

export interface JwtClaims {
  iss?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  oid?: string;
  appid?: string;
  [claim: string]: unknown;
}

export interface JwtIssuer {
  /** The `iss` the broker accepts, e.g. https://sts.windows.net/<tenant>/. */
  issuer: string;
  /** RS256 public key, or the HS256 secret (string). */
  key: KeyObject | string;
  /** Accepted `aud` values; default [EVENT_HUBS_TOKEN_AUDIENCE]. */
  audiences?: string[];
  /** The rights this principal holds; default ['Listen'] for every valid token. */
  authorize?: (claims: JwtClaims) => Right[];
}

export type JwtCheck =
  { ok: true; claims: JwtClaims; expiresAtMs: number; rights: Right[] } | { ok: false; description: string };

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs claims as a compact JWT (RS256 with a private key, HS256 with a string secret): for tests. */
export function signJwt(claims: JwtClaims, key: KeyObject | string): string {
  const alg = typeof key === 'string' ? 'HS256' : 'RS256';
  const head = `${base64url(JSON.stringify({ alg, typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  const signature =
    typeof key === 'string'
      ? createHmac('sha256', key).update(head).digest()
      : createSign('RSA-SHA256').update(head).sign(key);
  return `${head}.${base64url(signature)}`;
}

export function verifyJwt(token: string, issuer: JwtIssuer, nowMs: number): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, description: 'MalformedToken: The token is not a compact JWT.' };
  const [headText, claimsText, signatureText] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: JwtClaims;
  try {
    header = JSON.parse(Buffer.from(headText, 'base64url').toString('utf8')) as { alg?: string };
    claims = JSON.parse(Buffer.from(claimsText, 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    return { ok: false, description: 'MalformedToken: The token header or claims are not JSON.' };
  }
  const signed = `${headText}.${claimsText}`;
  const signature = Buffer.from(signatureText, 'base64url');
  let valid = false;
  if (typeof issuer.key === 'string' && header.alg === 'HS256') {
    const expected = createHmac('sha256', issuer.key).update(signed).digest();
    valid = expected.length === signature.length && timingSafeEqual(expected, signature);
  } else if (typeof issuer.key !== 'string' && header.alg === 'RS256') {
    valid = createVerify('RSA-SHA256').update(signed).verify(issuer.key, signature);
  }
  if (!valid) return { ok: false, description: 'InvalidSignature: The token has an invalid signature.' };
  if (claims.iss !== issuer.issuer) return { ok: false, description: 'InvalidIssuer: Token issuer is invalid.' };
  const audiences = issuer.audiences ?? [EVENT_HUBS_TOKEN_AUDIENCE];
  const tokenAudiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!tokenAudiences.some((a) => typeof a === 'string' && audiences.includes(a))) {
    return { ok: false, description: 'InvalidAudience: Invalid authorization token audience.' };
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) {
    return {
      ok: false,
      description: `ExpiredToken: The token is expired.${typeof claims.exp === 'number' ? ` Expiration time: '${new Date(claims.exp * 1000).toISOString()}'` : ''}`,
    };
  }
  if (typeof claims.nbf === 'number' && claims.nbf * 1000 > nowMs) {
    return { ok: false, description: 'InvalidToken: The token is not valid yet (nbf).' };
  }
  return {
    ok: true,
    claims,
    expiresAtMs: claims.exp * 1000,
    rights: issuer.authorize ? issuer.authorize(claims) : ['Listen'],
  };
}
