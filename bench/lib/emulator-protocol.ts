/** What the benchmark and its emulator process (emulator-process.ts) say to each other, and the apps both know. */
import type { AlertApi } from '../../test/emulator/emulator.js';

/** What the parent asks for. */
export interface EmulatorRequest {
  api: AlertApi;
  /** Alerts (siem: detections) to load, spread over the last `days` days. */
  count: number;
  days: number;
  /** Number of app registrations (tenant i, client i, secret i), for the multi-tenant figures. */
  apps: number;
  /** More apis to load, `count` items each, over the same days (the fleet's mixed stanzas). */
  also?: AlertApi[];
}

/** What the child answers once listening. */
export interface EmulatorReady {
  urls: Record<'login' | 'graph' | 'mde' | 'siem', string>;
  caFile: string;
  loaded: number;
  loadSeconds: number;
}

/** The credentials of app registration i (the parent builds its stanzas from the same function). */
export function benchApp(i: number): { tenantId: string; clientId: string; secret: string } {
  const hex = i.toString(16).padStart(12, '0');
  return {
    tenantId: `8f1c3e4a-2b6d-4c1e-9a7f-${hex}`,
    clientId: `0b9e8d7c-6a5f-4e3d-8c2b-${hex}`,
    secret: `bench-secret~${i}~not-a-real-one`,
  };
}
