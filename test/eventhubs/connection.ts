/**
 * One client connection: how it authenticated (SASL), the CBS grants it holds, its request/response reply links and
 * its open partition links.
 *
 * SASL: the broker offers MSSBCBS, PLAIN and ANONYMOUS. The service's AMQP guide describes PLAIN (the SAS rule name
 * as user name, its key as password, the rule's rights for the whole connection) and ANONYMOUS (the client then
 * authorizes each entity with CBS put-token); MSSBCBS is the service's own name for "authorization follows over
 * CBS" and passes like ANONYMOUS. @azure/core-amqp always picks ANONYMOUS: it gives rhea a user name (the SAS key
 * name, or "defaultKeyName" for Entra ID credentials) and no password (ConnectionContextBase.js and
 * createConnectionContext in @azure/event-hubs), and rhea then enables only ANONYMOUS (rhea/lib/connection.js).
 */
import type { Connection, Sender } from 'rhea';
import { ConnectionGrants } from './authorization.js';
import type { SasRule } from './sas-token.js';

/** A rhea server-side SASL mechanism (rhea/lib/sasl.js calls start, then step while `outcome` is undefined). */
interface ServerMechanism {
  outcome?: boolean;
  username?: string;
  start(response: Buffer | undefined, hostname?: string): void;
  step?(response: Buffer): void;
}

class PassMechanism implements ServerMechanism {
  outcome?: boolean;
  username?: string;
  constructor(readonly name: string) {}
  start(response: Buffer | undefined): void {
    this.outcome = true;
    this.username = response && response.length ? response.toString('utf8').replace(/^\0/, '') : 'anonymous';
  }
}

export class PlainMechanism implements ServerMechanism {
  outcome?: boolean;
  username?: string;
  rule?: SasRule;
  constructor(private readonly rules: readonly SasRule[]) {}
  start(response: Buffer | undefined): void {
    const [, user, password] = (response ?? Buffer.alloc(0)).toString('utf8').split('\0');
    this.rule = this.rules.find((r) => r.keyName === user && r.key === password);
    this.outcome = this.rule !== undefined;
    this.username = user;
  }
}

/** The `sasl_server_mechanisms` object for a rhea container, in the order offered. */
export function saslMechanisms(rules: readonly SasRule[]): Record<string, () => ServerMechanism> {
  return {
    MSSBCBS: () => new PassMechanism('MSSBCBS'),
    PLAIN: () => new PlainMechanism(rules),
    ANONYMOUS: () => new PassMechanism('ANONYMOUS'),
  };
}

/** The mechanism a connection authenticated with, read from rhea's SASL layer (undefined without SASL). */
export function saslMechanismOf(connection: Connection): ServerMechanism | undefined {
  // rhea wraps the SASL layer in a SelectiveServer (which also admits clients that skip SASL) when ANONYMOUS is
  // offered; the chosen layer is its `selected`.
  type Layer = { mechanism?: ServerMechanism; selected?: Layer };
  const transport = (connection as unknown as { sasl_transport?: Layer }).sasl_transport;
  return transport?.mechanism ?? transport?.selected?.mechanism;
}

export interface PartitionLinkHandle {
  readonly connection: BrokerConnection;
  readonly hubName: string;
  readonly consumerGroup: string;
  readonly partitionId: string;
  readonly epoch: number | undefined;
  /** Detaches the link with an AMQP error. */
  detach(condition: string, description: string): void;
}

export class BrokerConnection {
  readonly grants = new ConnectionGrants();
  /** Reply links by name and by target address: responses go where the request's reply-to points. */
  readonly replyLinks = new Map<string, Sender>();
  readonly partitionLinks = new Set<PartitionLinkHandle>();
  expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly amqp: Connection,
  ) {}

  close(condition?: string, description?: string): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.amqp.close(condition ? { condition, description } : undefined);
  }
}
