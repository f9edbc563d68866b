/**
 * Small parsers for the string values of an action's `configuration` (splunkd passes every parameter as a string,
 * after token replacement) and of result fields. Each returns a value or a problem sentence that names the field and
 * the fix, so a caller can report every problem at once.
 */

import { parsed, problem, type Parsed } from '../../config/parsed.js';

export type { Parsed };

/** A configuration value trimmed, or undefined when it is absent or blank. */
export function readText(config: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = config[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 't', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'f', 'off']);

/** Splunk-style booleans: 1/0, true/false, yes/no, t/f, on/off (case-insensitive). */
export function parseFlag(text: string, field: string): Parsed<boolean> {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return parsed(true);
  if (FALSE_WORDS.has(word)) return parsed(false);
  return problem(`${field} must be 1 or 0 (true/false), not ${JSON.stringify(text)}.`);
}

/**
 * Folds an enum spelling for lookup: case, spaces, `_` and `-` do not matter, so `In Progress`, `in_progress`,
 * `inProgress` and `InProgress` are one value.
 */
export function foldEnumWord(text: string): string {
  return text.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Splits a comma-separated list, trimming and dropping empty items. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
