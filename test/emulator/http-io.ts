/**
 * The emulator's request and reply plumbing: what a handler receives, what it returns, and how a reply reaches the
 * socket. Large bodies are iterables of Buffers written with backpressure (write → wait for 'drain'), so a 50 MB SIEM
 * array or a million-alert Graph scan never sits in memory twice. The two body faults (truncate, stall) act here.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { BodyPacer } from './latency.js';

/** The four emulated services, one listener each. */
export type Service = 'login' | 'graph' | 'mde' | 'siem';

/** One parsed request, as handlers see it. */
export interface RequestContext {
  service: Service;
  method: string;
  /** Path without the query, percent-decoding left to the router. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `https://localhost:<port>` of the service that received the request. */
  baseUrl: string;
  /** Per-request correlation id (MDE `target`, Graph `request-id`). */
  requestId: string;
}

/** What a handler answers. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** A Buffer/string is sent with Content-Length; an iterable is streamed chunked with backpressure. */
  body?: Buffer | string | Iterable<Buffer>;
  /** Runs once the whole body was handed to the socket, before it ends (not after a truncation or a client abort). */
  onDelivered?: () => void;
}

/** Body faults applied while writing. */
export interface BodyFault {
  truncateAfterBytes?: number;
  slowBodyMs?: number;
}

/** JSON reply with the given status. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: Buffer.from(JSON.stringify(value)),
  };
}

/** A fresh correlation id. */
export function newRequestId(): string {
  return randomUUID();
}

/** Parses a JSON request body; undefined when it is not JSON. */
export function parseJsonBody(ctx: RequestContext): unknown {
  if (ctx.body.length === 0) return undefined;
  try {
    return JSON.parse(ctx.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const CHUNK = 64 * 1024;

/** Groups small buffers into ~64 KB writes: one write per alert would make the socket the bottleneck. */
export function* coalesce(parts: Iterable<Buffer>): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const part of parts) {
    pending.push(part);
    size += part.length;
    if (size >= CHUNK) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending, size);
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a reply, applying a body fault if any. `sleep` must resolve early when the emulator closes, so a stalled
 * body does not keep the process alive. `tap` sees each chunk of an untruncated body as it goes out. `pacer` (the
 * latency model) delays the status line and paces the body. Resolves once the reply is written, truncated or abandoned.
 */
export async function writeReply(
  res: ServerResponse,
  reply: Reply,
  fault: BodyFault | undefined,
  sleep: (ms: number) => Promise<void>,
  tap?: (chunk: Buffer) => void,
  pacer?: BodyPacer,
): Promise<void> {
  const firstByteWait = pacer?.firstByteDelayMs() ?? 0;
  if (firstByteWait > 0) await sleep(firstByteWait);
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...reply.headers };
  const body = reply.body;
  const fixed =
    body === undefined
      ? Buffer.alloc(0)
      : typeof body === 'string'
        ? Buffer.from(body)
        : Buffer.isBuffer(body)
          ? body
          : undefined;
  if (fixed) headers['content-length'] = String(fixed.length);
  res.writeHead(reply.status, headers);

  const chunks: Iterable<Buffer> = fixed ? (fixed.length > 0 ? [fixed] : []) : coalesce(body as Iterable<Buffer>);
  let written = 0;
  let stalled = false;
  for (let chunk of chunks) {
    if (res.destroyed) return;
    if (fault?.truncateAfterBytes !== undefined && written + chunk.length > fault.truncateAfterBytes) {
      const part = chunk.subarray(0, Math.max(0, fault.truncateAfterBytes - written));
      await new Promise<void>((resolve) => res.write(part, () => resolve()));
      // Ending the socket mid-body: the client sees a short Content-Length body or a missing last chunk.
      res.socket?.destroy();
      return;
    }
    if (fault?.slowBodyMs !== undefined && !stalled) {
      stalled = true;
      const head = chunk.subarray(0, Math.min(16, chunk.length));
      tap?.(head);
      res.write(head);
      written += head.length;
      await sleep(fault.slowBodyMs);
      if (res.destroyed) return;
      chunk = chunk.subarray(head.length);
    }
    const paced = pacer?.delayBeforeChunkMs(chunk.length) ?? 0;
    if (paced > 0) {
      await sleep(paced);
      if (res.destroyed) return;
    }
    written += chunk.length;
    tap?.(chunk);
    if (!res.write(chunk)) await waitDrain(res);
  }
  if (res.destroyed) return;
  if (fault?.truncateAfterBytes !== undefined && written >= fault.truncateAfterBytes) {
    // A body that is exactly as long as the cut still loses its end marker.
    res.socket?.destroy();
    return;
  }
  // Counted before end(): the client may read the last byte before 'finish' fires here, and tests check the log then.
  reply.onDelivered?.();
  await new Promise<void>((resolve) => res.end(() => resolve()));
}
