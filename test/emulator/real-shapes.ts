/**
 * Alerts shaped like the ones Microsoft's APIs really return, built only from documented properties (Graph
 * `microsoft.graph.security.alert` and its evidence types,
 * https://learn.microsoft.com/graph/api/resources/security-alert;
 * Defender for Endpoint's alert resource, https://learn.microsoft.com/defender-endpoint/api/alerts; the SIEM exporter's
 * detection fields): ids `da` + GUID + `_1` (graph alerts not from Defender for Endpoint), `alertWebUrl` with `?tid=`,
 * `alertPolicyId`, `additionalData`, device evidence with `vmMetadata`, JSON nulls where the API leaves a value out,
 * sometimes no `productName`, and `\/` in strings on the wire (see toWireJson). A "large" alert carries tens of KB:
 * long texts first, then dozens of evidence items, so its evidence (and the user and device in it) starts past the
 * first 5,000 bytes, as on real multi-stage alerts. Everything is drawn from the caller's seeded PRNG: same seed, same
 * alerts.
 */
import type { AlertApi } from './alert-shapes.js';

type Item = Record<string, unknown>;

/** Marks an item whose wire form escapes `/` as `\/` (as Microsoft's serializer does on some responses). */
export const ESCAPED_SLASHES: unique symbol = Symbol('escaped-slashes');

/** Everything the builders need for one item. */
export interface RealShapeContext {
  rand: () => number;
  seed: number;
  index: number;
  /** Last-update time text; created/first/last activity derive from it. */
  updated: string;
  created: string;
  firstActivity: string;
  lastActivity: string;
  /** Build a large alert (tens of KB, evidence past byte 5,000). */
  large: boolean;
}

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const MDE_TENANT = 'a839b112-1253-6432-9bf6-94542403f21c';

function hex(rand: () => number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(rand() * 16).toString(16);
  return out;
}

/** A GUID unique per (seed, index): both are encoded in it, the rest is random. */
function guid(rand: () => number, seed: number, index: number): string {
  const s = (seed >>> 0).toString(16).padStart(8, '0');
  const i = index.toString(16).padStart(12, '0').slice(-12);
  return `${s}-${hex(rand, 4)}-4${hex(rand, 3)}-${(8 + Math.floor(rand() * 4)).toString(16)}${hex(rand, 3)}-${i}`;
}

function pick<T>(list: readonly T[], rand: () => number): T {
  return list[Math.floor(rand() * list.length)] as T;
}

/** The Graph services (serviceSource), with a matching detectionSource and the productName Graph gives them. */
const GRAPH_SOURCES = [
  {
    serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: 'antivirus',
    productName: 'Microsoft Defender for Endpoint',
    category: 'Malware',
  },
  {
    serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: 'microsoftDefenderForEndpoint',
    productName: 'Microsoft Defender for Endpoint',
    category: 'Execution',
  },
  {
    serviceSource: 'microsoftDefenderForOffice365',
    detectionSource: 'microsoftDefenderForOffice365',
    productName: 'Microsoft Defender for Office 365',
    category: 'InitialAccess',
  },
  {
    serviceSource: 'microsoftDefenderForIdentity',
    detectionSource: 'microsoftDefenderForIdentity',
    productName: 'Microsoft Defender for Identity',
    category: 'CredentialAccess',
  },
  {
    serviceSource: 'microsoftDefenderForCloudApps',
    detectionSource: 'cloudAppSecurity',
    productName: 'Microsoft Defender for Cloud Apps',
    category: 'Exfiltration',
  },
  {
    serviceSource: 'microsoftDefenderForCloud',
    detectionSource: 'microsoftDefenderForServers',
    productName: 'Microsoft Defender for Cloud',
    category: 'Execution',
  },
  {
    serviceSource: 'azureAdIdentityProtection',
    detectionSource: 'azureAdIdentityProtection',
    productName: 'Microsoft Entra ID Protection',
    category: 'InitialAccess',
  },
  {
    serviceSource: 'microsoft365Defender',
    detectionSource: 'customDetection',
    productName: 'Microsoft Defender XDR',
    category: 'Persistence',
  },
] as const;

const TITLES = [
  'Suspicious PowerShell command line',
  'Possible credential dumping',
  'Ransomware behavior detected',
  'Suspicious process injection observed',
  'Anomalous sign-in from an unfamiliar location',
  'Malicious URL clicked',
  'Suspicious scheduled task created',
  'Outbound connection to a known C2 server',
];
const HOSTS = ['fin-ws-042', 'dc01', 'web-01', 'hr-lt-117', 'dev-ws-009', 'sql-02', 'kiosk-3'];
const USERS = ['pat.lee', 'jdoe', 'a.kowalski', 'svc_backup', 'm.garcia', 'redteam01'];
const PROCESSES = [
  { name: 'powershell.exe', path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0' },
  { name: 'rundll32.exe', path: 'C:\\Windows\\System32' },
  { name: 'cmd.exe', path: 'C:\\Windows\\System32' },
  { name: 'invoice.pdf.exe', path: 'C:\\Users\\Public\\Downloads' },
];
const GUIDANCE =
  'Review the device timeline around the alert time for suspicious activity, isolate the device if the ' +
  'activity is not expected, collect the investigation package, and reset the credentials of the users involved. ';

function evidenceBase(type: string, created: string, rand: () => number): Item {
  return {
    '@odata.type': `#microsoft.graph.security.${type}`,
    createdDateTime: created,
    verdict: pick(['unknown', 'suspicious', 'malicious'], rand),
    remediationStatus: pick(['none', 'remediated', 'prevented'], rand),
    remediationStatusDetails: null,
    roles: [],
    detailedRoles: [],
    tags: [],
  };
}

function userAccount(name: string, rand: () => number): Item {
  return {
    accountName: name,
    domainName: 'CORP',
    userSid: `S-1-5-21-1004336348-1177238915-682003330-${1000 + Math.floor(rand() * 9000)}`,
    azureAdUserId: null,
    userPrincipalName: `${name}@corp.contoso.com`,
    displayName: null,
  };
}

function deviceEvidence(host: string, created: string, rand: () => number, user: string): Item {
  const onAzure = rand() < 0.5;
  return {
    ...evidenceBase('deviceEvidence', created, rand),
    roles: ['compromised'],
    firstSeenDateTime: created,
    mdeDeviceId: hex(rand, 40),
    azureAdDeviceId: null,
    // A device the sensor has not resolved has no DNS name yet: the mapping must fall back to hostName.
    deviceDnsName: rand() < 0.15 ? null : `${host}.corp.contoso.com`,
    hostName: host,
    ntDomain: 'CORP',
    dnsDomain: 'corp.contoso.com',
    osPlatform: 'Windows11',
    osBuild: 22631,
    version: '23H2',
    healthStatus: 'active',
    riskScore: pick(['low', 'medium', 'high'], rand),
    rbacGroupId: 75,
    rbacGroupName: 'Workstations',
    onboardingStatus: 'onboarded',
    defenderAvStatus: 'updated',
    lastIpAddress: `10.20.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`,
    lastExternalIpAddress: '20.57.241.104',
    ipInterfaces: ['10.20.30.42', 'fe80::1c2d:3e4f:5a6b:7c8d'],
    vmMetadata: onAzure
      ? {
          cloudProvider: 'azure',
          resourceId: `/subscriptions/${hex(rand, 8)}/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/${host}`,
          subscriptionId: hex(rand, 8),
          vmId: hex(rand, 32),
        }
      : null,
    loggedOnUsers: [{ accountName: user, domainName: 'CORP' }],
  };
}

function processEvidence(created: string, rand: () => number, account: string): Item {
  const p = pick(PROCESSES, rand);
  return {
    ...evidenceBase('processEvidence', created, rand),
    processId: 1000 + Math.floor(rand() * 60000),
    parentProcessId: 600 + Math.floor(rand() * 400),
    processCommandLine: `"${p.name}" -NoProfile -EncodedCommand ${hex(rand, 48)}`,
    processCreationDateTime: created,
    parentProcessCreationDateTime: created,
    detectionStatus: 'detected',
    mdeDeviceId: hex(rand, 40),
    imageFile: {
      sha1: hex(rand, 40),
      sha256: hex(rand, 64),
      fileName: p.name,
      filePath: p.path,
      fileSize: 450000,
      filePublisher: null,
      signer: null,
      issuer: null,
    },
    parentProcessImageFile: {
      sha1: null,
      sha256: null,
      fileName: 'explorer.exe',
      filePath: 'C:\\Windows',
      fileSize: 4800000,
      filePublisher: 'Microsoft Corporation',
      signer: null,
      issuer: null,
    },
    // Processes run as users and as SYSTEM or service accounts: never a "user" of the alert in CIM terms.
    userAccount: userAccount(account, rand),
  };
}

function fileEvidence(created: string, rand: () => number): Item {
  return {
    ...evidenceBase('fileEvidence', created, rand),
    detectionStatus: 'detected',
    mdeDeviceId: hex(rand, 40),
    fileDetails: {
      sha1: hex(rand, 40),
      sha256: hex(rand, 64),
      md5: hex(rand, 32),
      fileName: `payload-${hex(rand, 6)}.dll`,
      filePath: 'C:\\Users\\Public\\AppData\\Local\\Temp',
      fileSize: Math.floor(rand() * 1e6),
      filePublisher: null,
      signer: null,
      issuer: null,
    },
  };
}

function userEvidence(name: string, created: string, rand: () => number): Item {
  return {
    ...evidenceBase('userEvidence', created, rand),
    roles: ['compromised'],
    stream: null,
    userAccount: userAccount(name, rand),
  };
}

function ipEvidence(created: string, rand: () => number): Item {
  return {
    ...evidenceBase('ipEvidence', created, rand),
    roles: ['attacker'],
    ipAddress: `203.0.113.${Math.floor(rand() * 255)}`,
    countryLetterCode: 'NL',
    stream: null,
  };
}

function urlEvidence(created: string, rand: () => number): Item {
  return {
    ...evidenceBase('urlEvidence', created, rand),
    url: `https://login-micros0ft.example.net/owa/?session=${hex(rand, 8)}&next=%2Finbox`,
  };
}

function mailboxEvidence(name: string, created: string, rand: () => number): Item {
  return {
    ...evidenceBase('mailboxEvidence', created, rand),
    roles: ['destination'],
    displayName: name,
    primaryAddress: `${name}@contoso.com`,
    userAccount: userAccount(name, rand),
  };
}

/** The evidence of one graph alert: what its service would attach, many items on a large alert. */
function graphEvidence(
  service: (typeof GRAPH_SOURCES)[number],
  ctx: RealShapeContext,
  host: string,
  user: string,
): Item[] {
  const { rand, created } = ctx;
  const out: Item[] = [];
  const processes = ctx.large ? 25 + Math.floor(rand() * 15) : 1;
  const files = ctx.large ? 15 + Math.floor(rand() * 10) : rand() < 0.5 ? 1 : 0;
  switch (service.serviceSource) {
    case 'microsoftDefenderForOffice365':
      out.push(mailboxEvidence(user, created, rand), urlEvidence(created, rand), ipEvidence(created, rand));
      break;
    case 'azureAdIdentityProtection':
    case 'microsoftDefenderForCloudApps':
      out.push(ipEvidence(created, rand));
      break;
    default:
      out.push(deviceEvidence(host, created, rand, user));
      for (let i = 0; i < processes; i++) out.push(processEvidence(created, rand, i % 3 === 0 ? 'SYSTEM' : user));
      for (let i = 0; i < files; i++) out.push(fileEvidence(created, rand));
      if (ctx.large) out.push(deviceEvidence(pick(HOSTS, rand), created, rand, user), ipEvidence(created, rand));
  }
  out.push(userEvidence(user, created, rand));
  return out;
}

/** A Graph alerts_v2 item. Keeps every key of `base` (the fixture template) and sets the real-shaped ones. */
export function realGraphAlert(base: Item, ctx: RealShapeContext): Item {
  const { rand, seed, index } = ctx;
  // A large alert is a multi-stage one on devices: dozens of processes and files.
  const service = pick(
    ctx.large
      ? GRAPH_SOURCES.filter(
          (x) => x.serviceSource === 'microsoftDefenderForEndpoint' || x.serviceSource === 'microsoft365Defender',
        )
      : GRAPH_SOURCES,
    rand,
  );
  const fromEndpoint = service.serviceSource === 'microsoftDefenderForEndpoint';
  const id = fromEndpoint
    ? `da${(638_000_000_000_000_000 + seed * 1_000_000 + index).toString()}_${Math.floor(rand() * 2 ** 31) - 2 ** 30}`
    : `da${guid(rand, seed, index)}_1`;
  const status = pick(['new', 'new', 'inProgress', 'resolved'], rand);
  const host = pick(HOSTS, rand);
  const user = pick(USERS, rand);
  const incidentId = String(30000 + Math.floor(rand() * 50000));
  const item: Item = {
    ...base,
    '@odata.type': '#microsoft.graph.security.alert',
    id,
    providerAlertId: fromEndpoint ? id : guid(rand, seed, index),
    incidentId,
    status,
    severity: pick(['informational', 'low', 'medium', 'high', 'high'], rand),
    classification: status === 'resolved' ? 'falsePositive' : null,
    determination: status === 'resolved' ? 'notMalicious' : null,
    serviceSource: service.serviceSource,
    detectionSource: service.detectionSource,
    productName: service.productName,
    detectorId: guid(rand, seed ^ 0x5a5a, index),
    tenantId: TENANT,
    title: pick(TITLES, rand),
    description: ctx.large
      ? GUIDANCE.repeat(8)
      : 'Suspicious activity was observed on the device; see the evidence for the processes, files and users involved.',
    recommendedActions: ctx.large ? `A. Validate the alert.\n${GUIDANCE.repeat(10)}` : GUIDANCE,
    category: service.category,
    assignedTo: status === 'new' ? null : 'secop2@contoso.com',
    alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=${TENANT}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${incidentId}?tid=${TENANT}`,
    actorDisplayName: null,
    threatDisplayName: null,
    threatFamilyName: null,
    mitreTechniques: ['T1059.001', 'T1105'].slice(0, 1 + Math.floor(rand() * 2)),
    createdDateTime: ctx.created,
    lastUpdateDateTime: ctx.updated,
    resolvedDateTime: status === 'resolved' ? ctx.updated : null,
    firstActivityDateTime: ctx.firstActivity,
    lastActivityDateTime: ctx.lastActivity,
    alertPolicyId: fromEndpoint ? null : guid(rand, seed ^ 0x3c3c, index),
    additionalData: { 'Detected by': service.productName, IsPreview: 'False' },
    comments:
      status === 'new'
        ? []
        : [{ comment: 'Looking into it', createdByDisplayName: 'secop2@contoso.com', createdDateTime: ctx.updated }],
    systemTags: [],
    evidence: [],
  };
  // Real alerts_v2 objects can lack productName: the mapping must name the product from serviceSource then.
  if (rand() < 0.3) delete item.productName;
  // evidence is the last key, as Graph sends it.
  delete item.evidence;
  item.evidence = graphEvidence(service, ctx, host, user);
  Object.defineProperty(item, ESCAPED_SLASHES, { value: true, enumerable: true });
  return item;
}

function mdeEntity(entityType: string, fields: Item): Item {
  const keys = [
    'evidenceCreationTime',
    'sha1',
    'sha256',
    'fileName',
    'filePath',
    'processId',
    'processCommandLine',
    'processCreationTime',
    'parentProcessId',
    'parentProcessCreationTime',
    'parentProcessFileName',
    'parentProcessFilePath',
    'ipAddress',
    'url',
    'registryKey',
    'registryHive',
    'registryValueType',
    'registryValue',
    'registryValueName',
    'accountName',
    'domainName',
    'userSid',
    'aadUserId',
    'userPrincipalName',
    'detectionStatus',
  ];
  // Every MDE evidence item has every key, null when it does not apply.
  const item: Item = { entityType };
  for (const key of keys) item[key] = fields[key] ?? null;
  return item;
}

/** A Defender for Endpoint /api/alerts item (with `$expand=evidence`). */
export function realMdeAlert(base: Item, ctx: RealShapeContext): Item {
  const { rand, seed, index } = ctx;
  const status = pick(['New', 'New', 'InProgress', 'Resolved'], rand);
  const host = pick(HOSTS, rand);
  const user = pick(USERS, rand);
  const hasUser = rand() < 0.6;
  const evidence: Item[] = [];
  const processes = ctx.large ? 40 + Math.floor(rand() * 20) : 1 + Math.floor(rand() * 2);
  for (let i = 0; i < processes; i++) {
    const p = pick(PROCESSES, rand);
    evidence.push(
      mdeEntity('Process', {
        evidenceCreationTime: ctx.created,
        sha1: hex(rand, 40),
        sha256: hex(rand, 64),
        fileName: p.name,
        filePath: p.path,
        processId: 1000 + Math.floor(rand() * 60000),
        processCommandLine: `${p.name} /c ${hex(rand, 24)}`,
        processCreationTime: ctx.created,
        parentProcessId: 700,
        parentProcessCreationTime: ctx.created,
        parentProcessFileName: 'explorer.exe',
        parentProcessFilePath: 'C:\\Windows',
        // A process's account is the process owner (often SYSTEM), never a user entity.
        accountName: i % 2 === 0 ? 'SYSTEM' : user,
        domainName: i % 2 === 0 ? 'NT AUTHORITY' : 'CORP',
        detectionStatus: 'Detected',
      }),
    );
  }
  if (hasUser)
    evidence.push(
      mdeEntity('User', {
        evidenceCreationTime: ctx.created,
        accountName: user,
        domainName: 'CORP',
        userSid: 'S-1-5-21-1004336348-1177238915-682003330-2105',
        aadUserId: guid(rand, seed, index),
        userPrincipalName: `${user}@corp.contoso.com`,
      }),
    );
  evidence.push(
    mdeEntity('Ip', { evidenceCreationTime: ctx.created, ipAddress: `203.0.113.${Math.floor(rand() * 255)}` }),
  );
  return {
    ...base,
    id: `da${(637_000_000_000_000_000 + seed * 1_000_000 + index).toString()}_${Math.floor(rand() * 2 ** 31) - 2 ** 30}`,
    incidentId: 1_000_000 + Math.floor(rand() * 900_000),
    investigationId: rand() < 0.5 ? null : 8000 + Math.floor(rand() * 1000),
    assignedTo: status === 'New' ? null : 'secop2@contoso.com',
    severity: pick(['UnSpecified', 'Informational', 'Low', 'Medium', 'High', 'High'], rand),
    status,
    classification: null,
    determination: null,
    investigationState: pick(['Queued', 'Running', 'Benign', 'UnsupportedAlertType'], rand),
    detectionSource: pick(
      ['WindowsDefenderAtp', 'WindowsDefenderAv', 'CustomDetection', 'AutomatedInvestigation'],
      rand,
    ),
    detectorId: guid(rand, seed ^ 0x5a5a, index),
    category: pick(['Execution', 'CredentialAccess', 'Malware', 'DefenseEvasion'], rand),
    threatFamilyName: null,
    title: pick(TITLES, rand),
    description: ctx.large
      ? GUIDANCE.repeat(24)
      : 'A suspicious process ran on the device. Review the process tree and the files it wrote.',
    alertCreationTime: ctx.created,
    firstEventTime: ctx.firstActivity,
    lastEventTime: ctx.lastActivity,
    lastUpdateTime: ctx.updated,
    resolvedTime: status === 'Resolved' ? ctx.updated : null,
    machineId: hex(rand, 40),
    // The API sends null when the device has no DNS name (yet): the mapping must not make "null" a device.
    computerDnsName: rand() < 0.1 ? null : `${host}.corp.contoso.com`,
    rbacGroupName: 'Workstations',
    aadTenantId: MDE_TENANT,
    threatName: null,
    mitreTechniques: ['T1059.001'],
    relatedUser: hasUser ? { userName: user, domainName: 'CORP' } : null,
    loggedOnUsers: [{ accountName: user, domainName: 'CORP' }],
    comments: [],
    domains: [],
    evidence,
  };
}

/** A SIEM exporter detection: every documented field, absent strings as JSON null (the 2017 example) or "". */
export function realSiemDetection(base: Item, ctx: RealShapeContext & { alertId: string; part: number }): Item {
  const { rand } = ctx;
  const host = pick(HOSTS, rand);
  const absent = rand() < 0.5 ? null : '';
  const withUser = rand() < 0.6;
  const item: Item = {
    ...base,
    AlertTime: ctx.created,
    ComputerDnsName: rand() < 0.1 ? null : `${host}.corp.contoso.com`,
    AlertTitle: pick(TITLES, rand),
    Category: pick(['Malware', 'SuspiciousActivity', 'Discovery', 'CredentialAccess'], rand),
    Severity: pick(['Informational', 'Low', 'Medium', 'High'], rand),
    AlertId: ctx.alertId,
    Actor: absent,
    LinkToWDATP: `https://securitycenter.windows.com/alert/${ctx.alertId}`,
    IoaDefinitionId: guid(rand, ctx.seed ^ 0x5a5a, ctx.index),
    UserName: withUser ? pick(USERS, rand) : absent,
    UserDomain: withUser ? 'CORP' : absent,
    MachineName: host,
    Description: ctx.large ? GUIDANCE.repeat(25) : 'A suspicious process ran on the device.',
    IncidentLinkToMTP: `https://security.microsoft.com/incidents/${2000 + Math.floor(rand() * 1000)}`,
    // Older detections carry no portal link: the mapping falls back to LinkToWDATP.
    LinkToMTP: rand() < 0.2 ? absent : `https://security.microsoft.com/alert/${ctx.alertId}`,
    LastProcessedTimeUtc: ctx.updated,
    AlertPart: ctx.part,
  };
  Object.defineProperty(item, ESCAPED_SLASHES, { value: true, enumerable: true });
  return item;
}

/** The builders per API. */
export const REAL_SHAPES: Record<
  Exclude<AlertApi, 'siem' | 'incidents'>,
  (base: Item, ctx: RealShapeContext) => Item
> = {
  graph: realGraphAlert,
  mde: realMdeAlert,
};

/** An item's bytes on the wire: compact JSON, with `/` escaped as `\/` in items marked ESCAPED_SLASHES. */
export function toWireJson(item: Item): string {
  const text = JSON.stringify(item);
  // Outside strings, compact JSON has no "/": escaping every one is escaping exactly the ones inside strings.
  return (item as { [ESCAPED_SLASHES]?: boolean })[ESCAPED_SLASHES] ? text.replace(/\//g, '\\/') : text;
}
