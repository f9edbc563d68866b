/** Reading splunkd's XML from stdin: up to the closing tag or EOF, with a bounded wait. */
import type { Readable } from 'node:stream';

/** What came of reading stdin. */
export type StdinResult = { kind: 'complete'; bytes: Buffer } | { kind: 'timeout'; bytes: Buffer };

/**
 * Reads chunks until the bytes contain `</closingTag>` (in UTF-8, or UTF-16 either way round) or the stream ends,
 * whichever comes first: splunkd may keep stdin open after the document (the Go add-on and the JS SDK stop at the
 * tag), or close it (splunklib reads to EOF). Gives up after `timeoutMs` without the document, because someone
 * running the script by hand otherwise waits forever on a terminal. Stops consuming stdin when done.
 */
export async function readStdinDocument(stdin: AsyncIterable<Buffer | string> | Readable, closingTag: string, timeoutMs: number): Promise<StdinResult> {
  const tag = `</${closingTag}>`;
  const endings = [Buffer.from(tag, 'utf8'), Buffer.from(tag, 'utf16le'), Buffer.from(tag, 'utf16le').swap16()];
  const chunks: Buffer[] = [];
  const iterator = (stdin as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next === 'timeout') return { kind: 'timeout', bytes: Buffer.concat(chunks) };
      if (next.done) return { kind: 'complete', bytes: Buffer.concat(chunks) };
      chunks.push(typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value);
      const bytes = Buffer.concat(chunks);
      if (endings.some((ending) => bytes.includes(ending))) return { kind: 'complete', bytes };
    }
  } finally {
    clearTimeout(timer);
    // Releases stdin (a Readable is destroyed) so a still-open pipe or terminal does not keep the process alive.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
