/** One alert version → one Splunk event: the alert JSON as served, timed by its last-update time. */
import type { DefenderInputConfig } from '../config/types.js';
import type { RawAlert, SplunkEvent } from '../ports.js';
import { toEpochSecondsText, type ApiTime } from './api-time.js';

export function toEvent(alert: RawAlert, time: ApiTime | undefined, config: DefenderInputConfig): SplunkEvent {
  const event: SplunkEvent = { stanza: config.stanza, sourcetype: config.sourcetype, data: alert.json };
  if (time !== undefined) event.time = toEpochSecondsText(time);
  if (config.index !== undefined) event.index = config.index;
  if (config.host !== undefined) event.host = config.host;
  return event;
}
