/**
 * An in-memory HttpClient for source tests: serves canned bodies split into odd-sized chunks, can cut a body short
 * (cleanly or with a connection reset), and records every request and how far each body was read.
 */
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/ports.js';

/** One canned answer. */
export interface FakeReply {
  /** The body; an object is JSON-encoded. */
  body: string | Buffer | object;
  status?: number;
  headers?: Record<string, string>;
  /** Chunk sizes in bytes, cycled. Default: odd sizes that cut tokens and UTF-8 sequences. */
  chunkSizes?: number[];
  /** Serve only this many bytes of the body, then end (`end`) or fail like a reset connection (`reset`). */
  cutAt?: number;
  cutMode?: 'end' | 'reset';
}

/** What `send` does for one request: answer, or reject (as the real client does after its own retries). */
export type FakeOutcome = FakeReply | Error | ((request: HttpRequest) => FakeReply | Error);

/** What became of one response body. */
export interface ServedBody {
  url: string;
  totalChunks: number;
  chunksServed: number;
  completed: boolean;
  discarded: boolean;
}

type Route = { match: (url: string) => boolean; outcomes: FakeOutcome[]; persistent: boolean };

const DEFAULT_CHUNK_SIZES = [7, 1, 13, 64, 3, 250];

export class FakeHttpClient implements HttpClient {
  readonly requests: HttpRequest[] = [];
  readonly served: ServedBody[] = [];
  private readonly routes: Route[] = [];

  /** Queues outcomes for requests whose URL matches (exact string, prefix ending in `*`, RegExp or predicate). */
  on(match: string | RegExp | ((url: string) => boolean), ...outcomes: FakeOutcome[]): this {
    this.routes.push({ match: toMatcher(match), outcomes, persistent: false });
    return this;
  }

  /** Answers every matching request with `handler` (a little server). Routes are tried in the order they were added. */
  serve(
    match: string | RegExp | ((url: string) => boolean),
    handler: (request: HttpRequest) => FakeReply | Error,
  ): this {
    this.routes.push({ match: toMatcher(match), outcomes: [handler], persistent: true });
    return this;
  }

  /** The URLs requested so far, in order. */
  get urls(): string[] {
    return this.requests.map((request) => request.url);
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    if (request.signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    const route = this.routes.find((r) => r.match(request.url) && r.outcomes.length > 0);
    if (!route) throw new Error(`FakeHttpClient: no reply queued for ${request.url}`);
    const queued = route.persistent ? route.outcomes[0]! : route.outcomes.shift()!;
    const outcome = typeof queued === 'function' ? queued(request) : queued;
    if (outcome instanceof Error) throw outcome;
    return this.respond(request.url, outcome);
  }

  private respond(url: string, reply: FakeReply): HttpResponse {
    const full = Buffer.isBuffer(reply.body)
      ? reply.body
      : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    const bytes = reply.cutAt === undefined ? full : full.subarray(0, reply.cutAt);
    const sizes = reply.chunkSizes ?? DEFAULT_CHUNK_SIZES;
    const chunks: Buffer[] = [];
    for (let pos = 0, i = 0; pos < bytes.length; i++) {
      const size = sizes[i % sizes.length]!;
      chunks.push(bytes.subarray(pos, pos + size));
      pos += size;
    }
    const record: ServedBody = { url, totalChunks: chunks.length, chunksServed: 0, completed: false, discarded: false };
    this.served.push(record);
    const resets = reply.cutAt !== undefined && reply.cutMode === 'reset';
    async function* body(): AsyncGenerator<Buffer> {
      for (const chunk of chunks) {
        if (record.discarded) return;
        record.chunksServed++;
        await Promise.resolve(); // arrive asynchronously, like a socket
        yield chunk;
      }
      if (resets) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      record.completed = true;
    }
    return {
      status: reply.status ?? 200,
      headers: { 'content-type': 'application/json', ...reply.headers },
      body: body(),
      discard: () => {
        record.discarded = true;
      },
    };
  }
}

function toMatcher(match: string | RegExp | ((url: string) => boolean)): (url: string) => boolean {
  if (typeof match === 'function') return match;
  if (match instanceof RegExp) return (url) => match.test(url);
  if (match.endsWith('*')) return (url) => url.startsWith(match.slice(0, -1));
  return (url) => url === match;
}

/** A Logger that keeps its lines for assertions. */
export class MemoryLogger {
  readonly lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  debug(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'DEBUG', message, fields });
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'INFO', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'WARN', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'ERROR', message, fields });
  }
}
