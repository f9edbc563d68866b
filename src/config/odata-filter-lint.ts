/**
 * Lint of the `filter` argument. The filter goes inside `$filter=… and (<filter>)`, percent-encoded, so it cannot break
 * the URL; these checks catch what would still change the query's meaning or fail on Microsoft's side with a less
 * helpful error: a pasted `$filter=` prefix, other query options, and parentheses or quotes that would close the
 * wrapping group early (`x) or (y` would escape the time condition). Text inside OData string literals ('…', with ''
 * for a quote) is free.
 */
import { parsed, problem, quote, type Parsed } from './parsed.js';

/** Longer filters would push the query past the URL lengths proxies and Microsoft's front doors accept. */
const MAX_FILTER_LENGTH = 2_000;

/** The filter as given, or every problem with it in one sentence each. */
export function parseFilter(value: string): Parsed<string> {
  const problems: string[] = [];
  const example = "e.g. severity eq 'high'";
  if (value.length > MAX_FILTER_LENGTH) {
    problems.push(`filter is ${value.length} characters long: keep it under ${MAX_FILTER_LENGTH}.`);
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    problems.push('filter holds a line break or another control character: write the condition on one line.');
  }
  if (/^\$filter\s*=/i.test(value)) {
    problems.push(`filter starts with $filter=: write only the condition, ${example}.`);
  } else {
    const outside = stripStringLiterals(value);
    if (outside === undefined) {
      problems.push(
        `filter ${quote(value)} leaves a quoted string open: close it with ' (write '' for a quote inside a string).`,
      );
    } else {
      if (outside.includes('&') || /\$[a-z]+\s*=/i.test(outside)) {
        problems.push(
          `filter ${quote(value)} adds other query options (& or $name=): write only the $filter condition, ${example}; the input sets $top, $skip and $orderby itself.`,
        );
      }
      const parentheses = checkParentheses(outside);
      if (parentheses) problems.push(`filter ${quote(value)} ${parentheses}: balance its parentheses.`);
    }
  }
  return problems.length === 0 ? parsed(value) : problem(problems.join(' '));
}

/** The text with every OData string literal blanked out, or undefined when a literal is not closed. */
function stripStringLiterals(text: string): string | undefined {
  let out = '';
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (!inside) {
      if (char === "'") inside = true;
      out += char === "'" ? ' ' : char;
    } else if (char === "'" && text[i + 1] === "'") {
      i++; // '' is an escaped quote inside the literal
    } else if (char === "'") {
      inside = false;
      out += ' ';
    }
  }
  return inside ? undefined : out;
}

function checkParentheses(text: string): string | undefined {
  let depth = 0;
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')' && --depth < 0) return 'closes a parenthesis it did not open';
  }
  return depth > 0 ? 'leaves a parenthesis open' : undefined;
}
