/**
 * Reading a document from stdin, for the modular input (splunkd's XML) and the alert actions (splunkd's JSON payload):
 * up to a complete document or EOF, with a bounded wait and size.
 */

/** What came of reading: the bytes read, and why reading stopped. */
export type ReadResult = { kind: 'complete' | 'timeout' | 'too_large'; bytes: Buffer };

/** Options of {@link readUntilComplete}. */
export interface ReadUntilOptions {
  /** True once the bytes read so far hold a whole document; splunkd may keep stdin open after it. */
  isComplete(bytes: Buffer): boolean;
  /** How long to wait for the document: someone running the script by hand would otherwise wait on a terminal. */
  timeoutMs: number;
  /** Stop with `too_large` past this many bytes. */
  maxBytes?: number;
}

/**
 * Reads chunks until the document is complete, the stream ends, the wait is over or the size limit is passed,
 * whichever comes first. Stops consuming the stream when done (a Readable is destroyed), so a still-open pipe or
 * terminal does not keep the process alive.
 */
export async function readUntilComplete(
  stream: AsyncIterable<Buffer | string>,
  options: ReadUntilOptions,
): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next === 'timeout') return { kind: 'timeout', bytes: Buffer.concat(chunks) };
      if (next.done) return { kind: 'complete', bytes: Buffer.concat(chunks) };
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      size += chunk.length;
      chunks.push(chunk);
      if (options.maxBytes !== undefined && size > options.maxBytes)
        return { kind: 'too_large', bytes: Buffer.concat(chunks) };
      const bytes = Buffer.concat(chunks);
      if (options.isComplete(bytes)) return { kind: 'complete', bytes };
    }
  } finally {
    clearTimeout(timer);
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
