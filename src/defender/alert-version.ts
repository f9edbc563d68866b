/**
 * What identifies one version of an alert: its id plus its last-update time. The SIEM exporter serves
 * detections, several per alert sharing `AlertId`, so there the id is `FullId` and the time `LastProcessedTimeUtc`.
 */
import type { Api } from '../config/types.js';
import type { RawAlert } from '../ports.js';
import type { AlertKeyFields } from './alert-key-reader.js';
import { parseApiTime, type ApiTime } from './api-time.js';

/** One alert version, keyed for de-duplication. */
export interface AlertVersion {
  id: string;
  /** The last-update time, exact to 100 ns. */
  time: ApiTime;
  /** The last-update time as the API wrote it. */
  timeText: string;
}

/** Why an alert has no usable version: names the field and what is wrong with it. */
export interface AlertVersionProblem {
  problem: string;
}

const FIELDS: Record<Api, AlertKeyFields> = {
  graph: { id: 'id', time: 'lastUpdateDateTime' },
  mde: { id: 'id', time: 'lastUpdateTime' },
  siem: { id: 'FullId', time: 'LastProcessedTimeUtc' },
  // An incident's version: its id plus its own last-update time (its alerts are keyed as graph alerts).
  incidents: { id: 'id', time: 'lastUpdateDateTime' },
};

/** The fields versionOf reads, for the JSON splitter to pick out of each alert without parsing it. */
export function keyFieldsOf(api: Api): AlertKeyFields {
  return FIELDS[api];
}

/** Reads the version of one alert from its key fields, or says which field is missing or unusable. */
export function versionOf(api: Api, alert: Pick<RawAlert, 'id' | 'time'>): AlertVersion | AlertVersionProblem {
  const { id: idField, time: timeField } = FIELDS[api];
  const id = alert.id;
  if (typeof id !== 'string' || id === '') {
    return { problem: `the alert's "${idField}" is ${describe(id)}; expected a non-empty string` };
  }
  const timeText = alert.time;
  if (typeof timeText !== 'string') {
    return { problem: `alert ${id}: "${timeField}" is ${describe(timeText)}; expected an ISO-8601 time` };
  }
  const time = parseApiTime(timeText);
  if (time === undefined) {
    return { problem: `alert ${id}: "${timeField}" is ${describe(timeText)}, which is not an ISO-8601 time` };
  }
  return { id, time, timeText };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === '') return 'empty';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
