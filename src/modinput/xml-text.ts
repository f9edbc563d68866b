/**
 * XML 1.0 escaping for everything the add-on writes to splunkd. Runs once per event field, so the common case (clean
 * text) costs one regex test and no allocation.
 */

/**
 * Code units XML 1.0 forbids even as character references (§2.2): C0 controls other than tab, LF, CR; U+FFFE/U+FFFF;
 * surrogates that are not part of a pair. Tested on UTF-16 code units (no `u` flag) so lone surrogates are visible.
 */
const FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Anything that may need work in text content. Surrogates are included so that lone ones are caught (pairs pass). */
const TEXT_SUSPECT = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
/** The same for attribute values, which also need quotes, LF and tab protected from attribute-value normalisation. */
const ATTRIBUTE_SUSPECT = /[&<>"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

const TEXT_SPECIAL = /[&<>\r]/g;
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/g;

// A parser turns a raw CR (or CRLF) into LF (XML 1.0 §2.11) and, in attributes, tab and LF into spaces (§3.3.3);
// character references survive both, so they are how CR, LF and tab keep their identity.
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#xA;',
  '\r': '&#13;',
};

const toEntity = (ch: string): string => ENTITIES[ch] ?? ch;

/** Replaces every character that XML 1.0 forbids with U+FFFD (the one lossy step; the rest of the text is kept). */
export function replaceForbiddenXmlChars(text: string): string {
  return text.replace(FORBIDDEN, '\uFFFD');
}

/** Escapes text content: `& < >`, CR as `&#13;`, forbidden characters replaced by U+FFFD. */
export function escapeXmlText(text: string): string {
  if (!TEXT_SUSPECT.test(text)) return text;
  return replaceForbiddenXmlChars(text).replace(TEXT_SPECIAL, toEntity);
}

/** Escapes a double-quoted attribute value: as text, plus `"`, and tab/LF/CR as character references. */
export function escapeXmlAttribute(text: string): string {
  if (!ATTRIBUTE_SUSPECT.test(text)) return text;
  return replaceForbiddenXmlChars(text).replace(ATTRIBUTE_SPECIAL, toEntity);
}
