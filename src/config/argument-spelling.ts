/** Parameters of a stanza that are neither ours nor Splunk's: probably typos that would silently do nothing. */
import { INPUT_ARGUMENTS, INPUT_SCHEME, SPLUNK_PARAMS } from './arguments.js';
import { quote } from './parsed.js';

/** One warning per parameter that is neither ours nor Splunk's: probably a typo that silently does nothing. */
export function findUnknownParams(
  raw: Record<string, string | string[]>,
  input: { scheme: string; arguments: readonly string[] } = ALERTS_INPUT,
): string[] {
  const known = new Set(input.arguments);
  const warnings: string[] = [];
  for (const key of Object.keys(raw)) {
    // Leading `_` marks Splunk pipeline and routing keys (_TCP_ROUTING, _meta, …); splunkd owns those.
    if (known.has(key) || SPLUNK_PARAMS.has(key) || key.startsWith('_')) continue;
    const guess = suggestArgument(key, input.arguments);
    const hint =
      guess !== undefined
        ? `did you mean ${guess}?`
        : `check its spelling; the arguments are ${input.arguments.join(', ')}.`;
    warnings.push(`Parameter ${quote(key)} is not an argument of ${input.scheme} and is ignored: ${hint}`);
  }
  return warnings;
}

const ALERTS_INPUT = { scheme: INPUT_SCHEME, arguments: INPUT_ARGUMENTS.map((argument) => argument.name) };

/** The argument a misspelt name most likely meant: same letters ignoring case and separators, or ≤ 2 edits away. */
function suggestArgument(key: string, names: readonly string[]): string | undefined {
  const squash = (text: string) => text.toLowerCase().replace(/[-_. ]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = squash(key) === squash(name) ? 0 : editDistance(key.toLowerCase(), name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
