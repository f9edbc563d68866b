/**
 * A bare rhea AMQP client for the broker tests that need what the SDK hides: exact link credit, a chosen SAS rule
 * on a single receiver, SASL PLAIN. It opens a $cbs request/response pair and partition receivers on one session.
 */
import rhea, { type Connection, type EventContext, type Receiver } from 'rhea';
import type { EventHubsBroker } from './broker.js';
import { signSas } from './sas-token.js';

export interface RawClient {
  connection: Connection;
  /** Puts a SAS token for `audience` signed with `rule`; resolves with the status code and description. */
  putToken(
    audience: string,
    rule: { keyName: string; key: string },
  ): Promise<{ status: unknown; description: unknown }>;
  /** Opens a receiver with no credit (unless given); resolves once attached, or with the refusal. */
  receive(address: string, options?: { filter?: string; credit?: number }): Promise<RawReceiver>;
  close(): void;
}

export interface RawReceiver {
  receiver: Receiver;
  /** Sequence numbers received, in order. */
  received: number[];
  bodies: Buffer[];
  /** The detach error, when the broker refused or ended the link. */
  error: { condition?: string; description?: string } | undefined;
}

/**
 * Connects with SASL ANONYMOUS (`password` unset) or PLAIN. Rejects with the SASL or connection error.
 * Frames on one connection are ordered, so after a put-token round trip every event sent before it has arrived.
 */
export async function rawConnect(
  broker: EventHubsBroker,
  sasl: { username: string; password?: string },
): Promise<RawClient> {
  const connection = rhea.create_container().connect({
    host: '127.0.0.1',
    port: broker.port,
    username: sasl.username,
    ...(sasl.password ? { password: sasl.password } : {}),
    reconnect: false,
  });
  connection.on('disconnected', () => {
    /* reported through connection_error or by the test closing it */
  });
  await new Promise<void>((resolve, reject) => {
    connection.once('connection_open', () => resolve());
    connection.once('connection_error', (ctx: EventContext) =>
      reject(new Error(String((ctx as { error?: { message?: string } }).error?.message ?? 'connection error'))),
    );
    connection.once('disconnected', (ctx: EventContext) =>
      reject(new Error(`disconnected: ${String((ctx as { error?: unknown }).error ?? '')}`)),
    );
  });
  const cbsReply = connection.open_receiver({ source: { address: '$cbs' }, name: 'cbs-reply' });
  const cbsSend = connection.open_sender({ target: { address: '$cbs' } });
  await new Promise<void>((resolve) => cbsSend.once('sendable', () => resolve()));
  let requests = 0;

  return {
    connection,
    putToken: (audience, rule) =>
      new Promise((resolve) => {
        cbsReply.once('message', (ctx: EventContext) =>
          resolve({
            status: ctx.message?.application_properties?.['status-code'],
            description: ctx.message?.application_properties?.['status-description'],
          }),
        );
        cbsSend.send({
          message_id: `put-${++requests}`,
          reply_to: 'cbs-reply',
          application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
          body: signSas(audience, rule, Math.floor(Date.now() / 1000) + 600),
        });
      }),
    receive: (address, options = {}) =>
      new Promise((resolve) => {
        const receiver = connection.open_receiver({
          source: {
            address,
            filter: { 'apache.org:selector-filter:string': options.filter ?? "amqp.annotation.x-opt-offset > '-1'" },
          },
          credit_window: 0,
        });
        const raw: RawReceiver = { receiver, received: [], bodies: [], error: undefined };
        receiver.on('message', (ctx: EventContext) => {
          raw.received.push(Number(ctx.message?.message_annotations?.['x-opt-sequence-number']));
          const body = ctx.message?.body as { content?: Buffer } | undefined;
          if (body?.content) raw.bodies.push(Buffer.from(body.content));
        });
        receiver.on('receiver_error', () => {
          raw.error = receiver.error as RawReceiver['error'];
        });
        receiver.on('receiver_close', () => {
          raw.error = (receiver.error as RawReceiver['error']) ?? raw.error;
          resolve(raw);
        });
        receiver.once('receiver_open', () => {
          // A refused attach comes back with a null source, then the detach that carries the error.
          if (!receiver.source?.address) return;
          if (options.credit) receiver.add_credit(options.credit);
          resolve(raw);
        });
      }),
    close: () => connection.close(),
  };
}
