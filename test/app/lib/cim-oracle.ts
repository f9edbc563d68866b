/**
 * What each CIM field of an alert should be, computed from the parsed alert in plain TypeScript: the specification
 * that props.conf's SPL is checked against (test/app/cim-fields.test.ts). It is written from the API documentation,
 * not from props.conf, so a mistake has to be made twice, in two languages, to pass.
 */
import type { Shape } from './knowledge.js';

/** Display names of Graph's documented serviceSource members (microsoft.graph.security.serviceSource). */
export const SERVICE_SOURCE_PRODUCTS: Readonly<Record<string, string>> = {
  microsoftDefenderForEndpoint: 'Microsoft Defender for Endpoint',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity',
  microsoftDefenderForCloudApps: 'Microsoft Defender for Cloud Apps',
  microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoft365Defender: 'Microsoft Defender XDR',
  azureAdIdentityProtection: 'Microsoft Entra ID Protection',
  microsoftAppGovernance: 'App governance',
  dataLossPrevention: 'Microsoft Purview Data Loss Prevention',
  microsoftDefenderForCloud: 'Microsoft Defender for Cloud',
  microsoftSentinel: 'Microsoft Sentinel',
  microsoftInsiderRiskManagement: 'Microsoft Purview Insider Risk Management',
  microsoftThreatIntelligence: 'Microsoft Threat Intelligence',
};

/** serviceSource members that name no product: the mapping falls back to detectionSource. */
export const SERVICE_SOURCE_UNNAMED = ['unknown', 'unknownFutureValue'];

/**
 * Products of Graph's documented detectionSource members (microsoft.graph.security.detectionSource), where one is
 * clear.
 */
export const DETECTION_SOURCE_PRODUCTS: Readonly<Record<string, string>> = {
  microsoftDefenderForEndpoint: 'Microsoft Defender for Endpoint',
  antivirus: 'Microsoft Defender for Endpoint',
  smartScreen: 'Microsoft Defender for Endpoint',
  customTi: 'Microsoft Defender for Endpoint',
  automatedInvestigation: 'Microsoft Defender for Endpoint',
  microsoftThreatExperts: 'Microsoft Defender for Endpoint',
  microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity',
  cloudAppSecurity: 'Microsoft Defender for Cloud Apps',
  microsoft365Defender: 'Microsoft Defender XDR',
  customDetection: 'Microsoft Defender XDR',
  azureAdIdentityProtection: 'Microsoft Entra ID Protection',
  microsoftDataLossPrevention: 'Microsoft Purview Data Loss Prevention',
  appGovernancePolicy: 'App governance',
  appGovernanceDetection: 'App governance',
  microsoftDefenderForCloud: 'Microsoft Defender for Cloud',
  microsoftDefenderForServers: 'Microsoft Defender for Cloud',
  microsoftDefenderForStorage: 'Microsoft Defender for Cloud',
  microsoftDefenderForDNS: 'Microsoft Defender for Cloud',
  microsoftDefenderForDatabases: 'Microsoft Defender for Cloud',
  microsoftDefenderForContainers: 'Microsoft Defender for Cloud',
  microsoftDefenderForNetwork: 'Microsoft Defender for Cloud',
  microsoftDefenderForAppService: 'Microsoft Defender for Cloud',
  microsoftDefenderForKeyVault: 'Microsoft Defender for Cloud',
  microsoftDefenderForResourceManager: 'Microsoft Defender for Cloud',
  microsoftDefenderForApiManagement: 'Microsoft Defender for Cloud',
  microsoftDefenderForAIServices: 'Microsoft Defender for Cloud',
  microsoftDefenderForIoT: 'Microsoft Defender for IoT',
  microsoftSentinel: 'Microsoft Sentinel',
  nrtAlerts: 'Microsoft Sentinel',
  scheduledAlerts: 'Microsoft Sentinel',
  builtInMl: 'Microsoft Sentinel',
  microsoftThreatIntelligence: 'Microsoft Threat Intelligence',
  microsoftDefenderThreatIntelligenceAnalytics: 'Microsoft Threat Intelligence',
  securityCopilot: 'Microsoft Security Copilot',
};

/** detectionSource members that name no single product (the mapping falls back to productName). */
export const DETECTION_SOURCE_UNNAMED = ['unknown', 'manual', 'unknownFutureValue'];

/** The expected CIM fields: name → values (one entry per value; absent fields are left out). */
export type CimValues = Record<string, string[]>;

type Json = Record<string, unknown>;

/**
 * A value as present: a non-empty string other than "null" (Splunk cannot tell a JSON null from the text), or a number.
 */
function present(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '' || value === 'null') return undefined;
  return value;
}

function dedup(values: string[]): string[] {
  return [...new Set(values)];
}

/** Every object anywhere inside value (value itself included), depth first in document order. */
function objects(value: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const v of value) objects(v, out);
  else if (value !== null && typeof value === 'object') {
    out.push(value as Json);
    for (const v of Object.values(value)) objects(v, out);
  }
  return out;
}

function severityOf(vendor: string | undefined): { severity: string; severity_id: string } {
  const lower = vendor?.toLowerCase() ?? '';
  const ids: Record<string, string> = { critical: '5', high: '4', medium: '3', low: '2', informational: '1' };
  return ids[lower] ? { severity: lower, severity_id: ids[lower] } : { severity: 'unknown', severity_id: '0' };
}

function statusOf(vendor: string | undefined): string {
  const lower = vendor?.toLowerCase() ?? '';
  return (
    ({ new: 'new', inprogress: 'in_progress', resolved: 'resolved' } as Record<string, string>)[lower] ?? 'unknown'
  );
}

function graphUsers(alert: Json): string[] {
  return objects(alert)
    .filter((o) => o['@odata.type'] === '#microsoft.graph.security.userEvidence')
    .map((o) => present((o.userAccount as Json | null | undefined)?.accountName))
    .filter((v): v is string => v !== undefined);
}

function mdeUsers(alert: Json): string[] {
  return objects(alert)
    .filter((o) => o.entityType === 'User')
    .map((o) => present(o.accountName))
    .filter((v): v is string => v !== undefined);
}

function valuesOfKey(alert: Json, key: string): string[] {
  return objects(alert)
    .map((o) => present(o[key]))
    .filter((v): v is string => v !== undefined);
}

function set(out: CimValues, field: string, values: (string | undefined)[] | string | undefined): void {
  const list = (Array.isArray(values) ? values : [values]).filter((v): v is string => v !== undefined);
  if (list.length > 0) out[field] = list;
}

/** The CIM fields an alert of `shape` should get on `sourcetype` (the atp sourcetype may carry graph alerts). */
export function expectedCim(alert: Json, shape: Shape, sourcetype: string): CimValues {
  const out: CimValues = { app: ['ms:defender'], type: ['alert'], vendor: ['Microsoft'] };
  if (shape === 'siem') {
    const dest = present(alert.ComputerDnsName) ?? present(alert.MachineName);
    set(out, 'id', present(alert.AlertId));
    set(out, 'product', 'Microsoft Defender for Endpoint');
    set(out, 'vendor_product', 'Microsoft Defender for Endpoint');
    set(out, 'description', present(alert.Description));
    set(out, 'body', present(alert.Description));
    set(out, 'signature', present(alert.AlertTitle));
    set(out, 'subject', present(alert.AlertTitle));
    set(out, 'signature_id', present(alert.IoaDefinitionId) ?? present(alert.IoaDefinitiondId));
    set(out, 'category', present(alert.Category));
    set(out, 'alert_url', present(alert.LinkToMTP) ?? present(alert.LinkToWDATP));
    for (const f of ['dest', 'src']) set(out, f, dest);
    for (const f of ['dest_type', 'src_type']) set(out, f, dest === undefined ? undefined : 'host');
    for (const f of ['user', 'user_name']) set(out, f, present(alert.UserName));
    set(out, 'vendor_severity', present(alert.Severity));
    const s = severityOf(present(alert.Severity));
    set(out, 'severity', s.severity);
    set(out, 'severity_id', s.severity_id);
    return out;
  }
  const onAtp = sourcetype === 'ms:defender:atp:alerts';
  const serviceSource = present(alert.serviceSource);
  const detectionSource = present(alert.detectionSource);
  const product =
    (serviceSource && SERVICE_SOURCE_PRODUCTS[serviceSource]) ??
    (detectionSource && DETECTION_SOURCE_PRODUCTS[detectionSource]) ??
    present(alert.productName) ??
    (onAtp ? 'Microsoft Defender for Endpoint' : 'Microsoft Defender');
  const deviceNames = dedup(valuesOfKey(alert, 'deviceDnsName'));
  const hostNames = dedup(valuesOfKey(alert, 'hostName'));
  const computer = onAtp ? present(alert.computerDnsName) : undefined;
  const dest = computer !== undefined ? [computer] : deviceNames.length > 0 ? deviceNames : hostNames;
  const relatedUser = onAtp ? present((alert.relatedUser as Json | null | undefined)?.userName) : undefined;
  const mde = onAtp ? dedup(mdeUsers(alert)) : [];
  const users = relatedUser !== undefined ? [relatedUser] : mde.length > 0 ? mde : dedup(graphUsers(alert));
  const id = present(alert.id);
  const tenant = onAtp ? (present(alert.aadTenantId) ?? present(alert.tenantId)) : present(alert.tenantId);
  const aadTenant = present(alert.aadTenantId);
  const url =
    present(alert.alertWebUrl) ??
    (onAtp && id !== undefined
      ? `https://security.microsoft.com/alerts/${id}${aadTenant ? `?tid=${aadTenant}` : ''}`
      : undefined);

  set(out, 'id', id);
  set(out, 'product', product);
  set(out, 'vendor_product', product);
  set(out, 'description', present(alert.description));
  set(out, 'body', present(alert.description));
  set(out, 'signature', present(alert.title));
  set(out, 'subject', present(alert.title));
  set(out, 'signature_id', present(alert.detectorId));
  set(out, 'category', present(alert.category));
  set(
    out,
    'mitre_technique_id',
    dedup(
      Array.isArray(alert.mitreTechniques)
        ? alert.mitreTechniques.map(present).filter((v): v is string => v !== undefined)
        : [],
    ),
  );
  set(out, 'vendor_account', tenant);
  set(out, 'alert_url', url);
  for (const f of ['dest', 'src']) set(out, f, dest);
  for (const f of ['dest_type', 'src_type']) set(out, f, dest.length > 0 ? 'host' : undefined);
  for (const f of ['user', 'user_name']) set(out, f, users);
  set(out, 'vendor_severity', present(alert.severity));
  const s = severityOf(present(alert.severity));
  set(out, 'severity', s.severity);
  set(out, 'severity_id', s.severity_id);
  set(out, 'vendor_status', present(alert.status));
  set(out, 'status', statusOf(present(alert.status)));
  return out;
}

/** The CIM fields the oracle knows, in the order reports list them. */
export const CIM_FIELDS = [
  'app',
  'type',
  'vendor',
  'id',
  'product',
  'vendor_product',
  'description',
  'body',
  'signature',
  'subject',
  'signature_id',
  'category',
  'mitre_technique_id',
  'vendor_account',
  'alert_url',
  'dest',
  'src',
  'dest_type',
  'src_type',
  'user',
  'user_name',
  'vendor_severity',
  'severity',
  'severity_id',
  'vendor_status',
  'status',
];
