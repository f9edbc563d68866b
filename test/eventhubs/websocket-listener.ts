/**
 * AMQP over WebSockets for the test broker: what the client speaks on port 443 when it goes through a proxy. An https
 * server with the test CA upgrades `/$servicebus/websocket` (the path @azure/event-hubs asks for: webSocketEndpointPath
 * in node_modules/@azure/event-hubs/dist/esm/connectionContext.js) with the subprotocol `AMQPWSB10` and hands the
 * socket to the broker's rhea container, so the connection is served exactly like one over TCP.
 */
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Container } from 'rhea';
import { WebSocketServer } from 'ws';
import { testTls } from '../helpers/tls.js';

export const WEBSOCKET_PATH = '/$servicebus/websocket';
export const AMQP_WEBSOCKET_PROTOCOL = 'AMQPWSB10';

export interface WebSocketListener {
  readonly port: number;
  /** Upgrades answered, in order: the request path and whether it was accepted. */
  readonly upgrades: readonly { path: string; accepted: boolean }[];
  close(): Promise<void>;
}

export async function startWebSocketListener(container: Container, host = '127.0.0.1'): Promise<WebSocketListener> {
  const tls = testTls();
  const server = https.createServer({ key: tls.key, cert: tls.cert });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const upgrades: { path: string; accepted: boolean }[] = [];
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(AMQP_WEBSOCKET_PROTOCOL) ? AMQP_WEBSOCKET_PROTOCOL : false),
  });
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const accepted = path === WEBSOCKET_PATH;
    upgrades.push({ path, accepted });
    if (!accepted) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => container.websocket_accept(ws as unknown as Socket, {}));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    upgrades,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
