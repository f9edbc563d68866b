/**
 * The `$cbs` node: answers put-token requests. An accepted token becomes a grant on the connection; when a grant
 * expires the broker detaches the links it covered (the guide: "When a token expires, Service Bus promptly drops all
 * links on the connection to the respective entity"), with `com.microsoft:auth-failed` and an ExpiredToken
 * description, the condition the service sends (Azure/azure-service-bus-java#354).
 */
import type { Message } from 'rhea';
import { authorizePutToken, type AuthConfig, type PutTokenOutcome } from './authorization.js';
import type { BrokerConnection } from './connection.js';
import type { FaultSwitches } from './faults.js';

export interface NodeReply {
  properties: Record<string, string | number>;
  body?: unknown;
}

/** One put-token as the broker saw it (the token itself is not kept: tests must not see secrets). */
export interface PutTokenRecord {
  connectionId: number;
  audience: string;
  tokenType: string;
  status: number;
  description: string;
}

export interface CbsContext {
  auth: AuthConfig;
  faults: FaultSwitches;
  now: () => number;
  /** Called after a grant was added, so the broker can (re)arm the connection's expiry timer. */
  granted: (connection: BrokerConnection) => void;
  log: PutTokenRecord[];
}

export function handlePutToken(ctx: CbsContext, connection: BrokerConnection, request: Message): NodeReply {
  const props = request.application_properties ?? {};
  const name = props.name;
  const type = props.type;
  let outcome: PutTokenOutcome;
  if (props.operation !== 'put-token') {
    outcome = {
      status: 400,
      description: `Unsupported $cbs operation '${String(props.operation)}': only put-token`,
      condition: 'com.microsoft:argument-error',
    };
  } else if (ctx.faults.tokenRefusal) {
    outcome = {
      status: ctx.faults.tokenRefusal.status,
      description: ctx.faults.tokenRefusal.description,
      condition: 'amqp:unauthorized-access',
    };
  } else {
    outcome = authorizePutToken(ctx.auth, { type, name, token: request.body }, ctx.now());
  }
  ctx.log.push({
    connectionId: connection.id,
    audience: typeof name === 'string' ? name : String(name),
    tokenType: typeof type === 'string' ? type : String(type),
    status: outcome.status,
    description: outcome.description,
  });
  if (outcome.status === 202) {
    connection.grants.add(outcome.grant);
    ctx.granted(connection);
    return { properties: { 'status-code': 202, 'status-description': 'Accepted' } };
  }
  // The documented reply has only status-code and status-description; the SDK maps 401 to amqp:unauthorized-access.
  return { properties: { 'status-code': outcome.status, 'status-description': outcome.description } };
}
