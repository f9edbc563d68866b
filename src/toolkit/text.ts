/** Text shaping for log lines and error messages, which splunkd reads one line at a time. */

/** `text` on one line (line breaks and tabs become spaces, runs of spaces one), cut to `max` characters with `...`. */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const line = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}
