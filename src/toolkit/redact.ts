/**
 * One way to hide secrets in text: every registered secret, in every spelling it can take in a log line or an error
 * (as typed, percent-encoded, form-encoded, JSON-escaped), becomes MASK.
 */

/** What a hidden secret looks like everywhere: logs, errors, masked URLs. */
export const MASK = '***';

/** A set of secrets and the text filter they make. */
export class Redactor {
  readonly #secrets = new Set<string>();
  #pattern: RegExp | undefined;

  /** Registers a secret; empty strings are ignored (they would mask nothing and match everywhere). */
  add(secret: string): void {
    if (!secret) return;
    const before = this.#secrets.size;
    for (const form of spellings(secret)) this.#secrets.add(form);
    if (this.#secrets.size === before) return;
    // Longest first, so a secret that contains another is masked whole.
    const alternatives = [...this.#secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.#pattern = new RegExp(alternatives.join('|'), 'g');
  }

  /** Returns `text` with every registered secret replaced by MASK. */
  apply(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, MASK) : text;
  }
}

/** `text` with each of `secrets` (in every spelling) replaced by MASK. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  return redactor.apply(text);
}

function spellings(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
