/**
 * A test-only Azure Event Hubs broker on rhea that the real @azure/event-hubs client talks to unchanged: SASL,
 * CBS put-token (SAS and Entra ID JWT), the $management reads, partition receivers with start-position filters and
 * link credit, and fault hooks (faults.ts). What it does and does not implement: test/eventhubs/README.md.
 *
 *   const broker = await startEventHubsBroker({ hubs: [{ name: 'defender', partitionCount: 4 }] });
 *   broker.publish('defender', '0', { records: [...] });
 *   const client = new EventHubConsumerClient('$Default', broker.connectionString('defender'));
 *   ...
 *   await broker.close();
 *
 * Transport: plain AMQP (the default) is what Microsoft's emulator speaks: the client connects without TLS when its
 * connection string says `UseDevelopmentEmulator=true`, to the port in `Endpoint=sb://localhost:<port>`
 * (ConnectionContextBase.create in node_modules/@azure/core-amqp/dist/esm/ConnectionContextBase.js). With
 * `tls: true` the broker listens with the throw-away test CA (test/helpers/tls.ts) and the client reaches it
 * through `customEndpointAddress` (the namespace stays in the audiences) while trusting the CA file
 * (NODE_EXTRA_CA_CERTS): this is the only way for Entra ID credentials, for which the SDK always uses TLS.
 */
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import rhea, { type Connection, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import { testTls } from '../helpers/tls.js';
import { startWebSocketListener } from './websocket-listener.js';
import { entitySegments, formatEntity } from './audience.js';
import type { AuthConfig } from './authorization.js';
import { handlePutToken, type NodeReply, type PutTokenRecord } from './cbs-node.js';
import { BrokerConnection, PlainMechanism, saslMechanismOf, saslMechanisms } from './connection.js';
import { BrokerFaults } from './faults.js';
import type { JwtIssuer } from './jwt-token.js';
import { handleManagementRequest } from './management-node.js';
import { PartitionLink, RUNTIME_METRIC_CAPABILITY } from './partition-link.js';
import type { SasRule } from './sas-token.js';
import { parseSelectorFilter, selectorExpression, SelectorFilterError } from './selector-filter.js';
import {
  EventStore,
  PositionOutOfRangeError,
  type HubSpec,
  type PartitionLog,
  type PublishOptions,
  type StoredEvent,
} from './store.js';

/** The SAS rule tests use unless they configure their own (not a secret: it opens only this test broker). */
export const TEST_SAS_RULE: SasRule = {
  keyName: 'ListenRule',
  key: 'broker-test-key~not-a-real-one',
  rights: ['Listen'],
};

export interface BrokerOptions {
  /** The namespace host audiences must name. Default 'localhost' (what the plain-AMQP connection string uses). */
  namespace?: string;
  /** Default one hub 'defender' with 4 partitions and the consumer group $Default. */
  hubs?: HubSpec[];
  /** Accepted SAS rules; default [TEST_SAS_RULE]. */
  sasRules?: SasRule[];
  /** Accept Entra ID tokens from this issuer. */
  jwt?: JwtIssuer;
  /** Listen with TLS (the test CA) instead of plain AMQP. */
  tls?: boolean;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The broker clock in epoch ms (enqueued times, token expiry). Default Date.now. */
  now?: () => number;
  /** Also serve AMQP over WebSockets (TLS, test CA) on a port of its own: `webSocketPort` (websocket-listener.ts). */
  webSocket?: boolean;
}

export interface EventHubsBroker {
  readonly port: number;
  readonly namespace: string;
  readonly tls: boolean;
  readonly store: EventStore;
  readonly faults: BrokerFaults;
  /** Every put-token answered, in order (tokens not kept). */
  readonly putTokens: readonly PutTokenRecord[];
  /** Every partition link attach answered, in order. */
  readonly attaches: readonly AttachRecord[];
  /** Appends one event; `body` objects are written as JSON, strings as UTF-8. */
  publish(hub: string, partitionId: string, body: Buffer | string | object, options?: PublishOptions): StoredEvent;
  /**
   * A connection string for `hub` with `rule`'s key. Plain broker: the emulator form (Endpoint=sb://localhost:<port>,
   * UseDevelopmentEmulator=true). TLS broker: the namespace form; pass `customEndpointAddress` to the client too.
   */
  connectionString(hub: string, rule?: { keyName: string; key: string }): string;
  /** `sb://localhost:<port>`: the client option that points a TLS client at this broker. */
  readonly customEndpointAddress: string;
  /** The WebSocket listener's port, when started with `webSocket: true`. */
  readonly webSocketPort: number | undefined;
  /** Open client connections. */
  connectionCount(): number;
  /** Stops listening and drops every connection; the data stays. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface AttachRecord {
  address: string;
  filter: string | undefined;
  /** 'attached', or the error condition the attach was refused with. */
  outcome: string;
  description?: string;
}

const PARTITION_ADDRESS = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i;

export async function startEventHubsBroker(options: BrokerOptions = {}): Promise<EventHubsBroker> {
  const now = options.now ?? Date.now;
  const namespace = (options.namespace ?? 'localhost').toLowerCase();
  const sasRules = options.sasRules ?? [TEST_SAS_RULE];
  const auth: AuthConfig = { namespaces: [namespace], sasRules, ...(options.jwt ? { jwt: options.jwt } : {}) };
  const store = new EventStore(now);
  for (const spec of options.hubs ?? [{ name: 'defender', partitionCount: 4 }]) store.createHub(spec);

  const connections = new Map<Connection, BrokerConnection>();
  const partitionLinks = new WeakMap<Sender, PartitionLink>();
  const putTokens: PutTokenRecord[] = [];
  const attaches: AttachRecord[] = [];
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;
  let server: Server | undefined;
  let port = options.port ?? 0;

  const container = rhea.create_container({ id: `eventhubs-test-broker-${namespace}` });
  container.sasl_server_mechanisms = saslMechanisms(sasRules);

  const faults: BrokerFaults = new BrokerFaults({
    connections: () => [...connections.values()],
    store,
    stop: () => stop(),
    start: () => start(),
    enforceExpiry: () => {
      for (const c of connections.values()) enforceExpiry(c);
    },
    now,
  });

  const entityOf = (link: PartitionLink) => ({
    host: namespace,
    segments: [
      ...entitySegments(link.hubName),
      'consumergroups',
      link.consumerGroup.toLowerCase(),
      'partitions',
      link.partitionId,
    ],
  });

  /** Detaches links no live token covers any more, and arms a timer for the next expiry. */
  function enforceExpiry(connection: BrokerConnection): void {
    if (connection.expiryTimer) clearTimeout(connection.expiryTimer);
    connection.expiryTimer = undefined;
    const at = now();
    for (const link of [...connection.partitionLinks]) {
      const entity = entityOf(link as PartitionLink);
      if (!connection.grants.allows(entity, 'Listen', at)) {
        link.detach(
          'com.microsoft:auth-failed',
          `ExpiredToken: The token is expired. Resource: '${formatEntity(entity)}'`,
        );
      }
    }
    const next = connection.grants.nextExpiry(at);
    if (next !== undefined) {
      // setTimeout holds at most 2^31-1 ms; a later expiry is checked again then.
      const delay = Math.min(Math.max(0, next - now()) + 5, 2 ** 31 - 1);
      connection.expiryTimer = setTimeout(() => enforceExpiry(connection), delay);
      connection.expiryTimer.unref();
    }
  }

  const stopListeningToStore = store.onAppend((log: PartitionLog) => {
    for (const c of connections.values()) {
      for (const link of c.partitionLinks) {
        if ((link as PartitionLink).log === log) (link as PartitionLink).pump();
      }
    }
  });

  function brokerConnection(amqp: Connection): BrokerConnection {
    let found = connections.get(amqp);
    if (!found) {
      found = new BrokerConnection(nextConnectionId++, amqp);
      connections.set(amqp, found);
    }
    return found;
  }

  function forget(amqp: Connection): void {
    const found = connections.get(amqp);
    if (!found) return;
    if (found.expiryTimer) clearTimeout(found.expiryTimer);
    for (const link of [...found.partitionLinks]) (link as PartitionLink).forget();
    connections.delete(amqp);
  }

  container.on('connection_open', (ctx: EventContext) => {
    const connection = brokerConnection(ctx.connection);
    const mechanism = saslMechanismOf(ctx.connection);
    if (mechanism instanceof PlainMechanism && mechanism.rule) {
      // SASL PLAIN: the rule's rights hold for the whole connection (the service's AMQP guide).
      connection.grants.add({
        entity: { host: namespace, segments: [] },
        expiresAtMs: Number.POSITIVE_INFINITY,
        rights: mechanism.rule.rights ?? ['Listen'],
        tokenType: 'sasl-plain',
      });
    }
  });

  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender!;
    const connection = brokerConnection(ctx.connection);
    const address = sender.source?.address ?? '';
    if (address === '$cbs' || address.endsWith('$management')) {
      sender.set_source({ address });
      const target = sender.target?.address;
      if (target) sender.set_target({ address: target });
      connection.replyLinks.set(sender.name, sender);
      if (target) connection.replyLinks.set(target, sender);
      return;
    }
    attachPartitionReceiver(connection, sender, address);
  });

  function refuse(
    sender: Sender,
    address: string,
    filter: string | undefined,
    condition: string,
    description: string,
  ): void {
    attaches.push({ address, filter, outcome: condition, description });
    sender.close({ condition, description });
  }

  function attachPartitionReceiver(connection: BrokerConnection, sender: Sender, address: string): void {
    const filter = selectorExpression(sender.source?.filter);
    const match = PARTITION_ADDRESS.exec(address);
    if (!match) {
      refuse(
        sender,
        address,
        filter,
        'amqp:not-found',
        `The messaging entity 'sb://${namespace}/${address}' could not be found: receivers attach to <hub>/ConsumerGroups/<group>/Partitions/<id>.`,
      );
      return;
    }
    const [, hubName, group, partitionId] = match as unknown as [string, string, string, string];
    const entity = { host: namespace, segments: entitySegments(address) };
    // The service authorizes before it looks the entity up, so a caller without rights learns nothing about names.
    if (!connection.grants.allows(entity, 'Listen', now())) {
      const reason = connection.grants.reaches(entity, now())
        ? `Unauthorized access. 'Listen' claim(s) are required to perform this operation. Resource: '${formatEntity(entity)}'.`
        : `Unauthorized access. No valid token was put for '${formatEntity(entity)}' (put-token on $cbs first).`;
      refuse(sender, address, filter, 'amqp:unauthorized-access', reason);
      return;
    }
    const hub = store.hub(hubName);
    if (!hub) {
      refuse(
        sender,
        address,
        filter,
        'amqp:not-found',
        `The messaging entity 'sb://${namespace}/${hubName}' could not be found.`,
      );
      return;
    }
    if (!hub.hasConsumerGroup(group)) {
      refuse(
        sender,
        address,
        filter,
        'amqp:not-found',
        `The messaging entity 'sb://${namespace}/${hubName}/consumergroups/${group}' could not be found.`,
      );
      return;
    }
    const log = hub.partition(partitionId);
    if (!log) {
      refuse(
        sender,
        address,
        filter,
        'com.microsoft:argument-out-of-range',
        `The specified partition is invalid for an EventHub partition sender or receiver. It should be between 0 and ${hub.partitions.length - 1}.`,
      );
      return;
    }
    let first: number;
    try {
      first = log.firstSequenceNumberFor(parseSelectorFilter(filter ?? `amqp.annotation.x-opt-offset > '-1'`));
    } catch (error) {
      if (error instanceof SelectorFilterError || error instanceof PositionOutOfRangeError) {
        refuse(sender, address, filter, error.condition, error.message);
        return;
      }
      throw error;
    }
    const epoch = epochOf(sender.properties);
    if (!admitEpoch(sender, address, filter, hub.name, group, partitionId, epoch)) return;

    sender.set_source({ address, ...(sender.source?.filter ? { filter: sender.source.filter } : {}) });
    if (sender.target?.address) sender.set_target({ address: sender.target.address });
    const local = (sender as unknown as { local: { attach: Record<string, unknown> } }).local.attach;
    local.snd_settle_mode = 1;
    const desired = [sender.desired_capabilities ?? []].flat();
    const runtimeMetric = desired.includes(RUNTIME_METRIC_CAPABILITY);
    if (runtimeMetric) local.offered_capabilities = [RUNTIME_METRIC_CAPABILITY];
    const link = new PartitionLink(connection, sender, hub.name, group, log, first, epoch, runtimeMetric, now);
    partitionLinks.set(sender, link);
    connection.partitionLinks.add(link);
    attaches.push({ address, filter, outcome: 'attached' });
    link.pump();
  }

  /**
   * Owner level (epoch, the `com.microsoft:epoch` link property): a receiver with a higher or equal epoch takes the
   * partition and the older receivers are detached with amqp:link:stolen; a lower one is refused.
   */
  function admitEpoch(
    sender: Sender,
    address: string,
    filter: string | undefined,
    hub: string,
    group: string,
    partitionId: string,
    epoch: number | undefined,
  ): boolean {
    const rivals = faults.links({ hub, consumerGroup: group, partitionId });
    const highest = Math.max(-1, ...rivals.map((l) => l.epoch ?? -1));
    if (epoch === undefined) {
      if (highest >= 0) {
        refuse(
          sender,
          address,
          filter,
          'amqp:link:stolen',
          `A receiver with epoch '${highest}' already exists; a receiver without epoch cannot be created.`,
        );
        return false;
      }
      return true;
    }
    if (epoch < highest) {
      refuse(
        sender,
        address,
        filter,
        'amqp:link:stolen',
        `Receiver with epoch '${epoch}' is refused: a receiver with the higher epoch '${highest}' exists.`,
      );
      return false;
    }
    for (const rival of rivals) {
      rival.detach(
        'amqp:link:stolen',
        `New receiver with higher epoch of '${epoch}' is created hence current receiver with epoch '${rival.epoch ?? 'none'}' is getting disconnected.`,
      );
    }
    return true;
  }

  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver!;
    const address = receiver.target?.address ?? '';
    if (address === '$cbs' || address.endsWith('$management')) {
      receiver.set_target({ address });
      if (receiver.source?.address) receiver.set_source({ address: receiver.source.address });
      return;
    }
    receiver.close({
      condition: 'amqp:not-implemented',
      description: `This test broker does not accept events over AMQP ('${address}'): tests publish with broker.publish().`,
    });
  });

  container.on('message', (ctx: EventContext) => {
    const receiver = ctx.receiver as Receiver;
    const message = ctx.message as Message;
    const connection = brokerConnection(ctx.connection);
    const address = receiver.target?.address ?? '';
    if (address === '$cbs') {
      reply(
        connection,
        message,
        handlePutToken({ auth, faults, now, granted: enforceExpiry, log: putTokens }, connection, message),
      );
    } else if (address.endsWith('$management')) {
      const answer = () =>
        reply(connection, message, handleManagementRequest({ auth, store, now }, connection, namespace, message));
      if (faults.managementDelayMs > 0) setTimeout(answer, faults.managementDelayMs).unref();
      else answer();
    }
  });

  function reply(connection: BrokerConnection, request: Message, answer: NodeReply): void {
    const replyTo = typeof request.reply_to === 'string' ? request.reply_to : '';
    const link = connection.replyLinks.get(replyTo);
    if (!link || link.is_closed()) return;
    link.send({
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: answer.properties,
      body: answer.body ?? null,
    });
  }

  container.on('sendable', (ctx: EventContext) => {
    const link = ctx.sender ? partitionLinks.get(ctx.sender) : undefined;
    link?.pump();
  });

  const linkEnded = (ctx: EventContext) => {
    const link = ctx.sender ? partitionLinks.get(ctx.sender) : undefined;
    link?.forget();
  };
  container.on('sender_close', linkEnded);
  container.on('sender_error', linkEnded);
  container.on('connection_close', (ctx: EventContext) => forget(ctx.connection));
  container.on('connection_error', (ctx: EventContext) => forget(ctx.connection));
  container.on('disconnected', (ctx: EventContext) => forget(ctx.connection));
  container.on('protocol_error', () => {
    /* the socket is closed by rhea; 'disconnected' cleans up */
  });
  container.on('error', () => {
    /* a client that misbehaves must not crash the tests */
  });

  async function start(): Promise<void> {
    if (server) return;
    const listenOptions = options.tls
      ? { port, host: options.host ?? '127.0.0.1', transport: 'tls' as const, key: testTls().key, cert: testTls().cert }
      : { port, host: options.host ?? '127.0.0.1' };
    const listening = container.listen(listenOptions);
    listening.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('listening', resolve);
      listening.once('error', reject);
    });
    const address = listening.address();
    if (address && typeof address === 'object') port = address.port;
    server = listening;
  }

  async function stop(): Promise<void> {
    const current = server;
    if (!current) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    for (const amqp of [...connections.keys()]) forget(amqp);
    await closed;
  }

  await start();
  const webSocket = options.webSocket
    ? await startWebSocketListener(container, options.host ?? '127.0.0.1')
    : undefined;

  return {
    webSocketPort: webSocket?.port,
    get port() {
      return port;
    },
    namespace,
    tls: options.tls === true,
    store,
    faults,
    putTokens,
    attaches,
    publish: (hub, partitionId, body, publishOptions) => store.publish(hub, partitionId, body, publishOptions),
    connectionString(hub: string, rule = sasRules[0] ?? TEST_SAS_RULE): string {
      const endpoint = options.tls ? `sb://${namespace}/` : `sb://${namespace}:${port}`;
      const emulator = options.tls ? '' : ';UseDevelopmentEmulator=true';
      return `Endpoint=${endpoint};SharedAccessKeyName=${rule.keyName};SharedAccessKey=${rule.key};EntityPath=${hub}${emulator}`;
    },
    get customEndpointAddress() {
      return `sb://localhost:${port}`;
    },
    connectionCount: () => connections.size,
    stop,
    start,
    async close() {
      stopListeningToStore();
      await webSocket?.close();
      await stop();
    },
  };
}

function epochOf(properties: Record<string, unknown> | undefined): number | undefined {
  const value = properties?.['com.microsoft:epoch'];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}
