/**
 * A tiny https server on 127.0.0.1:0 with the throw-away test CA, recording every request, for adapter tests.
 * Also a CONNECT proxy on 127.0.0.1:0 that records the tunnels it opened (and optionally demands Basic auth).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { testTls } from './tls.js';

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (
  req: RecordedRequest,
  res: http.ServerResponse,
  raw: http.IncomingMessage,
) => void | Promise<void>;

export interface LocalHttps {
  /** `https://localhost:<port>` (a name the test certificate covers). */
  origin: string;
  /** `localhost:<port>`, for msal's knownAuthorities. */
  hostPort: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts an https server; each request's body is read before `handler` runs. */
export async function startLocalHttps(handler: Handler): Promise<LocalHttps> {
  const tls = testTls();
  const sockets = new Set<net.Socket>();
  const requests: RecordedRequest[] = [];
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const rec: RecordedRequest = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      Promise.resolve(handler(rec, res, raw)).catch((error) => {
        res.destroy(error as Error);
      });
    });
  });
  server.on('secureConnection', (s) => trackSocket(sockets, s));
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://localhost:${port}`,
    hostPort: `localhost:${port}`,
    requests,
    close: () => closeServer(server, sockets),
  };
}

export interface LocalProxy {
  /** `http://[user:pass@]127.0.0.1:<port>`. */
  url: string;
  /** `host:port` targets of every CONNECT that was let through. */
  tunnels: string[];
  /** CONNECT requests refused for missing or wrong credentials. */
  refused: number;
  close(): Promise<void>;
}

/** A CONNECT-only forward proxy. With `auth`, it answers 407 unless Proxy-Authorization matches `user:pass`. */
export async function startConnectProxy(auth?: { user: string; pass: string }): Promise<LocalProxy> {
  const sockets = new Set<net.Socket>();
  const state = { tunnels: [] as string[], refused: 0 };
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connection', (s) => trackSocket(sockets, s));
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    if (auth) {
      const expected = `Basic ${Buffer.from(`${auth.user}:${auth.pass}`).toString('base64')}`;
      if (req.headers['proxy-authorization'] !== expected) {
        state.refused++;
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
        return;
      }
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      state.tunnels.push(req.url ?? '');
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    trackSocket(sockets, upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  const userinfo = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';
  return {
    url: `http://${userinfo}127.0.0.1:${port}`,
    get tunnels() {
      return state.tunnels;
    },
    get refused() {
      return state.refused;
    },
    close: () => closeServer(server, sockets),
  };
}

function trackSocket(sockets: Set<net.Socket>, socket: net.Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
