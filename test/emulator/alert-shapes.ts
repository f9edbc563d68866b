/**
 * What the store needs to know about each alerts API's item shape: the version key, the cursor time field, the
 * filterable properties (as each list API documents them) and the alternative rendering an item gets when a request
 * does not ask for the full one (Graph without `Prefer: include-unknown-enum-members`, MDE lists without
 * `$expand=evidence`).
 */
import type { FilterSchema } from './odata-filter.js';

/** The three alerts APIs, and Graph incidents (whose alerts are the graph alerts that name them in `incidentId`). */
export type AlertApi = 'graph' | 'mde' | 'siem' | 'incidents';

/** The emulator listener that serves an api (incidents are a Graph resource). */
export function serviceOf(api: AlertApi): 'graph' | 'mde' | 'siem' {
  return api === 'incidents' ? 'graph' : api;
}

/** Static description of one API's alert items. */
export interface AlertShape {
  /** Field that identifies a version together with the time (siem: FullId, since detections share AlertId). */
  keyField: string;
  /** Field holding the alert id (siem: AlertId). */
  idField: string;
  /** The last-update time field: the cursor. */
  timeField: string;
  /** `$filter` properties (graph, mde) or the fields the SIEM query reads. */
  filter: FilterSchema;
  /** The rendering served by default when it differs from the full item; undefined when it does not. */
  variant?: (alert: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** A string field that groups items (graph: `incidentId`, the incident an alert belongs to). */
  groupField?: string;
}

/**
 * Graph evolvable enum members (those listed after `unknownFutureValue`): without the Prefer header Graph serves
 * them as `unknownFutureValue` (doc).
 */
export const GRAPH_EVOLVABLE: Record<string, ReadonlySet<string>> = {
  serviceSource: new Set(['microsoftDefenderForCloud', 'microsoftSentinel', 'microsoftInsiderRiskManagement']),
  detectionSource: new Set([
    'microsoftDefenderForCloud',
    'microsoftDefenderForIoT',
    'microsoftDefenderForServers',
    'microsoftDefenderForStorage',
    'microsoftDefenderForDNS',
    'microsoftDefenderForDatabases',
    'microsoftDefenderForContainers',
    'microsoftDefenderForNetwork',
    'microsoftDefenderForAppService',
    'microsoftDefenderForKeyVault',
    'microsoftDefenderForResourceManager',
    'microsoftDefenderForApiManagement',
    'nrtAlerts',
    'scheduledAlerts',
    'microsoftDefenderThreatIntelligenceAnalytics',
    'builtInMl',
    'microsoftInsiderRiskManagement',
    'microsoftSentinel',
  ]),
};

function graphWithoutEvolvableMembers(alert: Record<string, unknown>): Record<string, unknown> | undefined {
  let changed: Record<string, unknown> | undefined;
  for (const [field, members] of Object.entries(GRAPH_EVOLVABLE)) {
    const value = alert[field];
    if (typeof value === 'string' && members.has(value)) {
      changed ??= { ...alert };
      changed[field] = 'unknownFutureValue';
    }
  }
  return changed;
}

/** Incident status `awaitingAction` is an evolvable member of incidentStatus (doc). */
function incidentWithoutEvolvableMembers(incident: Record<string, unknown>): Record<string, unknown> | undefined {
  return incident.status === 'awaitingAction' ? { ...incident, status: 'unknownFutureValue' } : undefined;
}

function mdeWithoutEvidence(alert: Record<string, unknown>): Record<string, unknown> | undefined {
  if (Array.isArray(alert.evidence) && alert.evidence.length === 0) return undefined;
  return { ...alert, evidence: [] };
}

/** Shapes per API. */
export const ALERT_SHAPES: Record<AlertApi, AlertShape> = {
  graph: {
    keyField: 'id',
    idField: 'id',
    timeField: 'lastUpdateDateTime',
    filter: {
      properties: {
        lastUpdateDateTime: { kind: 'time' },
        createdDateTime: { kind: 'time' },
        assignedTo: { kind: 'string' },
        classification: { kind: 'string' },
        determination: { kind: 'string' },
        severity: { kind: 'string' },
        serviceSource: { kind: 'string' },
        status: { kind: 'string' },
      },
    },
    variant: graphWithoutEvolvableMembers,
    groupField: 'incidentId',
  },
  incidents: {
    keyField: 'id',
    idField: 'id',
    timeField: 'lastUpdateDateTime',
    // The list-incidents page: $filter on assignedTo, classification, createdDateTime, determination,
    // lastUpdateDateTime, severity and status.
    filter: {
      properties: {
        lastUpdateDateTime: { kind: 'time' },
        createdDateTime: { kind: 'time' },
        assignedTo: { kind: 'string' },
        classification: { kind: 'string' },
        determination: { kind: 'string' },
        severity: { kind: 'string' },
        status: { kind: 'string' },
      },
    },
    variant: incidentWithoutEvolvableMembers,
  },
  mde: {
    keyField: 'id',
    idField: 'id',
    timeField: 'lastUpdateTime',
    filter: {
      caseInsensitive: true,
      properties: {
        alertCreationTime: { kind: 'time' },
        lastUpdateTime: { kind: 'time' },
        lastEventTime: { kind: 'time' },
        incidentId: { kind: 'number' },
        InvestigationId: { kind: 'number', field: 'investigationId' },
        id: { kind: 'string' },
        assignedTo: { kind: 'string' },
        detectionSource: { kind: 'string' },
        status: { kind: 'string' },
        severity: { kind: 'string' },
        category: { kind: 'string' },
      },
    },
    variant: mdeWithoutEvidence,
  },
  siem: {
    keyField: 'FullId',
    idField: 'AlertId',
    timeField: 'LastProcessedTimeUtc',
    filter: {
      properties: {
        LastProcessedTimeUtc: { kind: 'time' },
        MachineGroup: { kind: 'string' },
        DeviceCreatedMachineTags: { kind: 'string' },
        CloudCreatedMachineTags: { kind: 'string' },
      },
    },
  },
};
