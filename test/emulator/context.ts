/**
 * The emulator's switches (behaviours Microsoft does not document, made configurable) and the state every
 * handler shares. Settings are a plain mutable object: a test may flip `emu.settings.mdeNextLink` between requests.
 */
import type { Directory } from './entra.js';
import type { IndicatorStore } from './indicators.js';
import type { RateLimiter } from './rate-limit.js';
import type { AlertStore } from './store.js';

/** Behaviour switches. */
export interface EmulatorSettings {
  /** Graph page size when the request has no `$top` (undocumented; 100 here). */
  graphPageSize: number;
  /** Graph clamps `$top` to this (1000, seen). */
  graphMaxTop: number;
  /** Where Graph puts `@odata.nextLink`: before `value`, as in the doc example, or after it. */
  graphNextLinkPosition: 'before' | 'after';
  /** Graph incidents page size when the request has no `$top` (undocumented; 20 here). */
  incidentsPageSize: number;
  /** MDE page size when the request has no `$top`. */
  mdePageSize: number;
  /** MDE answers 400 for a larger `$top` ("Maximum page size is 10,000"). */
  mdeMaxTop: number;
  /** MDE emits `@odata.nextLink` (absolute, with `$skip`) when more items remain. Off by default, as reported. */
  mdeNextLink: boolean;
  /** MDE order without `$orderby`: a stable pseudo-random order by hash of id (default), or by lastUpdateTime. */
  mdeOrder: 'unordered' | 'asc' | 'desc';
  /** Active indicators allowed per tenant. */
  indicatorCap: number;
  /** SIEM window when the request has no time parameter. */
  siemDefaultWindowMs: number;
}

/** Defaults: the documented or observed behaviour. */
export const DEFAULT_SETTINGS: EmulatorSettings = {
  graphPageSize: 100,
  graphMaxTop: 1000,
  graphNextLinkPosition: 'before',
  incidentsPageSize: 20,
  mdePageSize: 10_000,
  mdeMaxTop: 10_000,
  mdeNextLink: false,
  mdeOrder: 'unordered',
  indicatorCap: 15_000,
  siemDefaultWindowMs: 2 * 3_600_000,
};

/** What handlers share. */
export interface EmulatorContext {
  settings: EmulatorSettings;
  directory: Directory;
  store: AlertStore;
  indicators: IndicatorStore;
  limiter: RateLimiter;
  /** The emulator's clock, epoch ms. */
  now(): number;
}
