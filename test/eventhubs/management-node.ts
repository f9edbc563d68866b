/**
 * The `$management` node: the two READ operations @azure/event-hubs uses (ManagementClient in
 * node_modules/@azure/event-hubs/dist/esm/managementClient.js). A request carries application properties
 * `operation=READ`, `name=<hub>`, `type=com.microsoft:eventhub` or `com.microsoft:partition` (+ `partition=<id>`)
 * and `security_token` (a SAS token for sb://<namespace>/<hub>, or the Entra ID token). Replies carry
 * `status-code` 200 and a map body:
 *   hub:       name, created_at, partition_ids, (georeplication_factor)
 *   partition: name, partition, begin_sequence_number, last_enqueued_sequence_number, last_enqueued_offset,
 *              last_enqueued_time_utc, is_partition_empty
 * Errors: 401 for a missing or refused token, 404 (amqp:not-found) for an unknown hub, 400
 * (com.microsoft:argument-out-of-range) for an unknown partition; the SDK maps the code or `error-condition` to its
 * error (onMessageReceived in node_modules/@azure/core-amqp/dist/esm/requestResponseLink.js).
 */
import rhea, { type Message } from 'rhea';
import { entitySegments } from './audience.js';
import { authorizePutToken, JWT_TOKEN_TYPE, SAS_TOKEN_TYPE, type AuthConfig } from './authorization.js';
import type { NodeReply } from './cbs-node.js';
import type { BrokerConnection } from './connection.js';
import type { EventStore } from './store.js';

export interface ManagementContext {
  auth: AuthConfig;
  store: EventStore;
  now: () => number;
}

function failure(status: number, condition: string, description: string): NodeReply {
  return { properties: { 'status-code': status, 'status-description': description, 'error-condition': condition } };
}

function authorized(
  ctx: ManagementContext,
  connection: BrokerConnection,
  namespace: string,
  hubName: string,
  token: unknown,
): NodeReply | undefined {
  const hubEntity = { host: namespace, segments: [...entitySegments(hubName), '$management'] };
  if (typeof token === 'string' && token.length > 0) {
    const type = token.startsWith('SharedAccessSignature ') ? SAS_TOKEN_TYPE : JWT_TOKEN_TYPE;
    const outcome = authorizePutToken(ctx.auth, { type, name: `sb://${namespace}/${hubName}`, token }, ctx.now());
    if (outcome.status !== 202) return failure(401, 'amqp:unauthorized-access', outcome.description);
    if (outcome.grant.rights.includes('Listen')) return undefined;
    return failure(
      401,
      'amqp:unauthorized-access',
      `Unauthorized access. 'Listen' claim(s) are required to perform this operation. Resource: 'sb://${namespace}/${hubName}'.`,
    );
  }
  if (connection.grants.allows(hubEntity, 'Listen', ctx.now())) return undefined;
  return failure(
    401,
    'amqp:unauthorized-access',
    `Unauthorized access. No security_token in the request and no token put for 'sb://${namespace}/${hubName}/$management'.`,
  );
}

export function handleManagementRequest(
  ctx: ManagementContext,
  connection: BrokerConnection,
  namespace: string,
  request: Message,
): NodeReply {
  const props = request.application_properties ?? {};
  if (props.operation !== 'READ') {
    return failure(
      501,
      'amqp:not-implemented',
      `Unsupported $management operation '${String(props.operation)}': only READ`,
    );
  }
  const hubName = typeof props.name === 'string' ? props.name : '';
  const denied = authorized(ctx, connection, namespace, hubName, props.security_token);
  if (denied) return denied;
  const hub = ctx.store.hub(hubName);
  if (!hub) {
    return failure(404, 'amqp:not-found', `The messaging entity 'sb://${namespace}/${hubName}' could not be found.`);
  }
  if (props.type === 'com.microsoft:eventhub') {
    return {
      properties: { 'status-code': 200, 'status-description': 'OK' },
      body: {
        name: hub.name,
        created_at: hub.createdAt,
        partition_count: hub.partitions.length,
        partition_ids: hub.partitions.map((p) => p.id),
        georeplication_factor: 1,
      },
    };
  }
  if (props.type === 'com.microsoft:partition') {
    const id = String(props.partition ?? '');
    const log = hub.partition(id);
    if (!log) {
      return failure(
        400,
        'com.microsoft:argument-out-of-range',
        `The specified partition '${id}' is invalid for EventHub '${hub.name}'. It should be between 0 and ${hub.partitions.length - 1}.`,
      );
    }
    const p = log.properties();
    return {
      properties: { 'status-code': 200, 'status-description': 'OK' },
      body: {
        name: hub.name,
        partition: p.partitionId,
        begin_sequence_number: rhea.types.wrap_long(p.beginSequenceNumber),
        last_enqueued_sequence_number: rhea.types.wrap_long(p.lastSequenceNumber),
        last_enqueued_offset: p.lastOffset,
        last_enqueued_time_utc: p.lastEnqueuedTime,
        is_partition_empty: p.isEmpty,
      },
    };
  }
  return failure(
    400,
    'com.microsoft:argument-error',
    `Unsupported READ type '${String(props.type)}': com.microsoft:eventhub or com.microsoft:partition`,
  );
}
