/** MDE indicators (defender-api.md §6). */
import { mdeErrorReply } from './api-errors.js';
import type { EmulatorContext } from './context.js';
import type { Reply, RequestContext } from './http-io.js';

/** Indicators per tenant. */
export class IndicatorStore {
  constructor(private readonly now: () => number) {}
}

/** Routes `/api/indicators/...`. */
export function handleIndicators(ctx: RequestContext, _env: EmulatorContext, _rest: string[]): Reply {
  return mdeErrorReply(ctx, 501, 'NotImplemented', 'Not implemented yet.');
}
