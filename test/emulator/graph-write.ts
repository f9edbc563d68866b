/** Graph alerts_v2 writes (defender-api.md §3.4): PATCH and comments. */
import { graphErrorReply } from './api-errors.js';
import type { EmulatorContext } from './context.js';
import type { Reply, RequestContext } from './http-io.js';

/** `PATCH /v1.0/security/alerts_v2/{id}`. */
export function patchGraphAlert(ctx: RequestContext, _env: EmulatorContext, _id: string): Reply {
  return graphErrorReply(ctx, 501, 'NotImplemented', 'Not implemented yet.');
}

/** `POST /v1.0/security/alerts_v2/{id}/comments`. */
export function addGraphComment(ctx: RequestContext, _env: EmulatorContext, _id: string): Reply {
  return graphErrorReply(ctx, 501, 'NotImplemented', 'Not implemented yet.');
}
