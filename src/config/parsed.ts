/**
 * What every reader of raw configuration strings returns (stanzas, app settings, action parameters): the typed
 * value, or one sentence that names the field and the fix. Callers collect the problems of all fields, so an admin
 * fixes everything in one pass.
 */

/** Either a parsed value or a sentence saying what is wrong and how to fix it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export function parsed<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function problem(text: string): { ok: false; problem: string } {
  return { ok: false, problem: text };
}

/** The problems among `results`, in order; undefined entries were reported elsewhere. */
export function problemsOf(results: ReadonlyArray<Parsed<unknown> | undefined>): string[] {
  return results.flatMap((result) => (result && !result.ok ? [result.problem] : []));
}

/** A value for a message: quoted, one line, and cut short so a pasted blob cannot flood splunkd.log or Splunk Web. */
export function quote(value: string): string {
  const line = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 117)}...` : line);
}
