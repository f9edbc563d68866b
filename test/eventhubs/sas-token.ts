/**
 * Shared Access Signature tokens as Event Hubs defines them
 * (https://learn.microsoft.com/rest/api/eventhub/generate-sas-token):
 *
 *   SharedAccessSignature sr=<url-encoded resource URI>&sig=<url-encoded base64 HMAC-SHA256>&se=<expiry, epoch
 * s>&skn=<rule>
 *
 * where the HMAC key is the rule's key text and the signed string is `<url-encoded resource URI>\n<expiry>`.
 * @azure/core-amqp signs exactly this way (createToken in
 * node_modules/@azure/core-amqp/dist/esm/auth/tokenProvider.js).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SasRule {
  keyName: string;
  key: string;
  /** Default ['Listen']: what the Defender input needs. */
  rights?: Right[];
}

export type Right = 'Listen' | 'Send' | 'Manage';

export interface ParsedSas {
  resource: string;
  signature: string;
  expiry: number;
  keyName: string;
}

export type SasCheck =
  { ok: true; resource: string; expiresAtMs: number; rule: SasRule } | { ok: false; description: string };

/** Signs a token for `resource` (a URI such as sb://ns/hub) that expires at `expiry` (epoch seconds). */
export function signSas(resource: string, rule: { keyName: string; key: string }, expiry: number): string {
  const encoded = encodeURIComponent(resource);
  const signature = createHmac('sha256', rule.key).update(`${encoded}\n${expiry}`).digest('base64');
  return `SharedAccessSignature sr=${encoded}&sig=${encodeURIComponent(signature)}&se=${expiry}&skn=${encodeURIComponent(rule.keyName)}`;
}

export function parseSas(token: string): ParsedSas | undefined {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const pair of token.slice(prefix.length).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined || !/^\d+$/.test(se))
    return undefined;
  try {
    return {
      resource: decodeURIComponent(sr),
      signature: decodeURIComponent(sig),
      expiry: Number(se),
      keyName: decodeURIComponent(skn),
    };
  } catch {
    return undefined;
  }
}

/**
 * Checks a token's form, rule, signature and expiry (not its audience: the caller compares `resource` with the
 * entity). Descriptions follow the service's texts ("InvalidSignature: The token has an invalid signature.",
 * "ExpiredToken: The token is expired.").
 */
export function verifySas(token: string, rules: readonly SasRule[], nowMs: number): SasCheck {
  const parsed = parseSas(token);
  if (!parsed) {
    return {
      ok: false,
      description: 'MalformedToken: The token is not a SharedAccessSignature with sr, sig, se and skn.',
    };
  }
  const rule = rules.find((r) => r.keyName === parsed.keyName);
  const encodedResource = encodeURIComponent(parsed.resource);
  const expected = rule
    ? createHmac('sha256', rule.key).update(`${encodedResource}\n${parsed.expiry}`).digest()
    : undefined;
  const given = Buffer.from(parsed.signature, 'base64');
  if (!rule || !expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, description: 'InvalidSignature: The token has an invalid signature.' };
  }
  const expiresAtMs = parsed.expiry * 1000;
  if (expiresAtMs <= nowMs) {
    return {
      ok: false,
      description: `ExpiredToken: The token is expired. Expiration time: '${new Date(expiresAtMs).toISOString()}'`,
    };
  }
  return { ok: true, resource: parsed.resource, expiresAtMs, rule };
}
