/** Shared bits of the source tests: alert bodies and iteration helpers. */
import { parseApiTime, type ApiTime } from '../../../../src/defender/api-time.js';
import type { AlertsSource, PageInfo, RawAlert, TimeWindow } from '../../../../src/ports.js';

export const t = (text: string): ApiTime => {
  const time = parseApiTime(text);
  if (time === undefined) throw new Error(`bad test time ${text}`);
  return time;
};

export const WINDOW: TimeWindow = { from: t('2024-05-01T10:00:00Z'), to: t('2024-05-01T11:00:00Z') };

/** `count` Graph-like alerts with ids `<prefix>1…`. */
export function graphAlerts(prefix: string, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    lastUpdateDateTime: `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00.1234567Z`,
    title: 'Suspicious execution of hidden file',
  }));
}

/** An OData page body. */
export function odataPage(value: unknown[], nextLink?: string): object {
  return nextLink === undefined
    ? { '@odata.context': 'ctx', value }
    : { '@odata.context': 'ctx', value, '@odata.nextLink': nextLink };
}

/** Everything a source yields for one window, and the onPage calls. */
export async function collect(
  source: AlertsSource,
  window: TimeWindow = WINDOW,
  options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void } = {},
): Promise<{ alerts: RawAlert[]; pages: PageInfo[] }> {
  const pages: PageInfo[] = [];
  const alerts: RawAlert[] = [];
  for await (const alert of source.alerts(window, {
    signal: options.signal,
    onPage: (info) => {
      pages.push(info);
      options.onPage?.(info);
    },
  })) {
    alerts.push(alert);
  }
  return { alerts, pages };
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

export const ids = (alerts: RawAlert[]): unknown[] => alerts.map((alert) => alert.id);
