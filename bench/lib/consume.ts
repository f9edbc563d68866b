/**
 * The reader on the other end of a producer's stdout, in a process of its own (as splunkd is):
 *   strict   every byte goes through StrictStreamCheck (a strict XML parser with splunkd's stream rules)
 *   raw      bytes are counted and dropped: what the producer alone can do
 * Prints one JSON line (ConsumeResult) when stdin ends; exits 1, with the problem on stderr, on a malformed stream.
 */
import { StrictStreamCheck } from './strict-stream-check.js';

/** What the consumer saw. */
export interface ConsumeResult {
  mode: 'strict' | 'raw';
  bytes: number;
  /** Complete events (strict), or `</event>` tags counted (raw). */
  events: number;
  closed: boolean;
}

const mode = process.argv[2] === 'raw' ? 'raw' : 'strict';
const check = mode === 'strict' ? new StrictStreamCheck() : undefined;
let bytes = 0;
let events = 0;
let tail = '';
let last = '';

process.stdin.on('data', (chunk: Buffer) => {
  bytes += chunk.length;
  if (check) {
    check.push(chunk);
    return;
  }
  // `</event>` cannot occur inside escaped content; keep a short tail for a tag split across chunks.
  const chunkText = chunk.toString('latin1');
  const text = tail + chunkText;
  let at = text.indexOf('</event>');
  while (at >= 0) {
    events++;
    at = text.indexOf('</event>', at + 8);
  }
  tail = text.slice(-7); // shorter than the tag, so no tag is counted twice
  last = (last + chunkText).slice(-16);
});
process.stdin.on('end', () => {
  let result: ConsumeResult;
  if (check) {
    const seen = check.end();
    result = { mode, bytes, events: seen.events, closed: seen.closed };
  } else {
    result = { mode, bytes, events, closed: last.trimEnd().endsWith('</stream>') };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
});
