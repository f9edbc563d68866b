/**
 * Fault hooks: the ways a real namespace misbehaves that a consumer must survive. Each one is observable by the
 * real client as the service would show it:
 *
 *   detachReceivers  a partition link detached with an AMQP error, e.g. com.microsoft:server-busy (retryable),
 *                    amqp:link:detach-forced (retryable), amqp:link:stolen (another reader took the partition)
 *   closeConnections the connection closed by the broker with amqp:connection:forced
 *   restart          the listener goes away and comes back on the same port, data kept (stop() / start())
 *   addPartition     the hub grows a partition
 *   managementDelayMs  $management answers only after this delay (the client's operation timeout applies)
 *   refuseTokens     every put-token answered 401 until acceptTokens()
 *   expireTokens     every token on every connection expires now: links covered by them are detached
 *   expireEvents     retention drops a partition's oldest events
 * Condition names and retryability: ConditionErrorNameMapper and retryableErrors in
 * node_modules/@azure/core-amqp/dist/esm/errors.js.
 */
import type { BrokerConnection, PartitionLinkHandle } from './connection.js';
import type { EventStore } from './store.js';

/** Switches the CBS and $management nodes read on every request. */
export interface FaultSwitches {
  managementDelayMs: number;
  tokenRefusal: { status: 401 | 403; description: string } | undefined;
}

export interface LinkSelector {
  hub?: string;
  consumerGroup?: string;
  partitionId?: string;
}

export interface FaultTargets {
  connections(): BrokerConnection[];
  store: EventStore;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Re-checks every connection's grants now, detaching links whose tokens ended. */
  enforceExpiry(): void;
  now(): number;
}

export class BrokerFaults implements FaultSwitches {
  managementDelayMs = 0;
  tokenRefusal: FaultSwitches['tokenRefusal'] = undefined;

  constructor(private readonly targets: FaultTargets) {}

  /** Open partition links, optionally only those of one hub, consumer group or partition. */
  links(selector: LinkSelector = {}): PartitionLinkHandle[] {
    const lower = (s: string | undefined) => s?.toLowerCase();
    return this.targets
      .connections()
      .flatMap((c) => [...c.partitionLinks])
      .filter(
        (l) =>
          (selector.hub === undefined || lower(l.hubName) === lower(selector.hub)) &&
          (selector.consumerGroup === undefined || lower(l.consumerGroup) === lower(selector.consumerGroup)) &&
          (selector.partitionId === undefined || l.partitionId === selector.partitionId),
      );
  }

  /** Detaches the selected partition links with this AMQP error; returns how many. */
  detachReceivers(condition: string, description: string, selector: LinkSelector = {}): number {
    const links = this.links(selector);
    for (const link of links) link.detach(condition, description);
    return links.length;
  }

  /** Closes every client connection with amqp:connection:forced (or `condition`); returns how many. */
  closeConnections(
    condition = 'amqp:connection:forced',
    description = 'The connection was closed by the broker (test fault).',
  ): number {
    const connections = this.targets.connections();
    for (const c of connections) c.close(condition, description);
    return connections.length;
  }

  /** Stops the listener (sockets dropped without a close frame, like a crashed host) and starts it again. */
  async restart(downtimeMs = 0): Promise<void> {
    await this.targets.stop();
    if (downtimeMs > 0) await new Promise((resolve) => setTimeout(resolve, downtimeMs));
    await this.targets.start();
  }

  /** Adds a partition to `hub`; returns its id. */
  addPartition(hub: string): string {
    const found = this.targets.store.hub(hub);
    if (!found) throw new Error(`no hub '${hub}' in the broker`);
    return found.addPartition().id;
  }

  refuseTokens(description = 'InvalidSignature: The token has an invalid signature.', status: 401 | 403 = 401): void {
    this.tokenRefusal = { status, description };
  }

  acceptTokens(): void {
    this.tokenRefusal = undefined;
  }

  /** Every token on every connection expires now; links that no live token covers are detached. */
  expireTokens(): void {
    const now = this.targets.now();
    for (const c of this.targets.connections()) c.grants.expireAll(now);
    this.targets.enforceExpiry();
  }

  /** Retention: drops the events of a partition before `sequenceNumber`; returns how many. */
  expireEvents(hub: string, partitionId: string, beforeSequenceNumber: number): number {
    const log = this.targets.store.hub(hub)?.partition(partitionId);
    if (!log) throw new Error(`no partition '${partitionId}' in hub '${hub}'`);
    return log.expireBefore(beforeSequenceNumber);
  }

  /** Back to normal service: no delay, tokens accepted. */
  clear(): void {
    this.managementDelayMs = 0;
    this.tokenRefusal = undefined;
  }
}
