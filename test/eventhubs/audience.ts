/**
 * Audiences and entity paths. The client puts a token for an audience URI such as
 * `sb://<namespace>/<hub>/ConsumerGroups/<cg>/Partitions/<id>` or `sb://<namespace>/<hub>/$management`
 * (getReceiverAudience / getManagementAudience in node_modules/@azure/event-hubs/dist/esm/eventhubConnectionConfig.js);
 * a token for a URI grants that entity and everything under it (a SAS token for `sb://ns/hub` opens every partition
 * of the hub). Host and path are compared without case and the scheme and port are ignored, because the same
 * namespace is written `sb://`, `amqps://` or `https://` by different clients, and the port appears when the
 * connection string names one (Endpoint=sb://localhost:5672).
 */

export interface EntityRef {
  /** Lower-case host without port. */
  host: string;
  /** Lower-case path segments, e.g. ['hub', 'consumergroups', '$default', 'partitions', '0']. */
  segments: string[];
}

export function parseAudience(uri: string): EntityRef | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^/:]+)(?::\d+)?(\/.*)?$/i.exec(uri.trim());
  if (!match) return undefined;
  const host = match[1]!.toLowerCase();
  const segments = (match[2] ?? '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => s.toLowerCase());
  return { host, segments };
}

/** Entity path (no namespace) as segments, e.g. entitySegments('hub/ConsumerGroups/$Default/Partitions/0'). */
export function entitySegments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => s.toLowerCase());
}

/** Whether a grant for `grant` covers `entity`: same host, and the grant's path is a leading part of the entity's. */
export function covers(grant: EntityRef, entity: EntityRef): boolean {
  return (
    grant.host === entity.host &&
    grant.segments.length <= entity.segments.length &&
    grant.segments.every((s, i) => entity.segments[i] === s)
  );
}

export function formatEntity(ref: EntityRef): string {
  return `sb://${ref.host}/${ref.segments.join('/')}`;
}
