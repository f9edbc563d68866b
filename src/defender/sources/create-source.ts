/** Picks the alerts source for a stanza's api. */
import type { DefenderInputConfig } from '../../config/types.js';
import type { AlertsSource, HttpClient, IncidentsSource, Logger } from '../../ports.js';
import { GraphSource } from './graph-source.js';
import { GraphIncidentsSource } from './incidents-source.js';
import { MdeSource } from './mde-source.js';
import { SiemSource } from './siem-source.js';

/** Admin tuning from the app settings; absent values use each API's maximum page size. */
export interface SourceTuning {
  pageSize?: number;
}

/** The source for `config.api` (incidents: an IncidentsSource), reading `config.endpoints.alertsUrl` through `http`. */
export function createSource(
  config: DefenderInputConfig,
  http: HttpClient,
  log: Logger,
  tuning: SourceTuning = {},
): AlertsSource | IncidentsSource {
  const options = {
    http,
    log,
    alertsUrl: config.endpoints.alertsUrl,
    filter: config.filter,
    pageSize: tuning.pageSize,
  };
  switch (config.api) {
    case 'graph':
      return new GraphSource(options);
    case 'mde':
      return new MdeSource(options);
    case 'siem':
      // The exporter has no OData; a filter here would silently do nothing, so say so once.
      if (config.filter !== undefined && config.filter.trim() !== '') {
        log.warn('The filter setting is ignored for api=siem (the SIEM exporter has no $filter)', {
          input: config.name,
        });
      }
      return new SiemSource({ ...options, filter: undefined });
    case 'incidents':
      return new GraphIncidentsSource(options);
  }
}
