/** MDE alert writes (defender-api.md §5.6, §5.7). */
import { mdeErrorReply } from './api-errors.js';
import type { EmulatorContext } from './context.js';
import type { Reply, RequestContext } from './http-io.js';

/** `PATCH /api/alerts/{id}`. */
export function patchMdeAlert(ctx: RequestContext, _env: EmulatorContext, _id: string): Reply {
  return mdeErrorReply(ctx, 501, 'NotImplemented', 'Not implemented yet.');
}

/** `POST /api/alerts/batchUpdate`. */
export function batchUpdateMdeAlerts(ctx: RequestContext, _env: EmulatorContext): Reply {
  return mdeErrorReply(ctx, 501, 'NotImplemented', 'Not implemented yet.');
}
