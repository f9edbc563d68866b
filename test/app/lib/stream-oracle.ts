/**
 * What each CIM field of a Defender XDR streaming record (sourcetype ms:defender:eventhub) should be, computed from the
 * parsed record in plain TypeScript: the specification props.conf's [ms:defender:eventhub] is checked against
 * (test/app/stream-knowledge.test.ts). Written from Microsoft's Advanced Hunting table pages and the CIM data model
 * field lists, not from props.conf, so a mistake has to be made twice, in two languages, to pass.
 */
import type { CimValues } from './cim-oracle.js';

type Json = Record<string, unknown>;

/** A value as present: a non-empty string other than "null" (Splunk cannot tell a JSON null from the text), a number. */
function present(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string' || value === '' || value === 'null') return undefined;
  return value;
}

const first = (...values: unknown[]): string | undefined => values.map(present).find((v) => v !== undefined);

/** Network ActionTypes whose remote side started the connection (DeviceNetworkEvents in-portal schema reference). */
const isInbound = (actionType: string | undefined): boolean => actionType?.startsWith('Inbound') ?? false;

const CONNECTED = ['ConnectionSuccess', 'ConnectionAttempt', 'ConnectionAcknowledged', 'ConnectionRequest'];

/** The CIM fields of one record (name → values; absent fields left out). */
export function expectedStreamCim(record: Json): CimValues {
  const out: CimValues = {};
  const set = (field: string, value: string | string[] | undefined): void => {
    const list = (Array.isArray(value) ? value : [value]).filter((v): v is string => v !== undefined);
    if (list.length > 0) out[field] = list;
  };
  const table = typeof record.category === 'string' ? record.category.replace(/^AdvancedHunting-/, '') : '';
  const p = (record.properties ?? {}) as Json;
  const actionType = present(p.ActionType);
  const vendorProduct = table.startsWith('Device')
    ? 'Microsoft Defender for Endpoint'
    : table === 'EmailEvents'
      ? 'Microsoft Defender for Office 365'
      : table.startsWith('Identity')
        ? 'Microsoft Defender for Identity'
        : table === 'AlertInfo'
          ? (present(p.ServiceSource) ?? 'Microsoft Defender XDR')
          : 'Microsoft Defender XDR';
  set('vendor_product', vendorProduct);

  // The process behind a network connection or logon: Splunk_TA_MS_Security maps these to the Processes fields too.
  const initiatingProcess = (): void => {
    set('process', present(p.InitiatingProcessCommandLine));
    set('process_name', present(p.InitiatingProcessFileName));
    set('process_exec', present(p.InitiatingProcessFileName));
    set('process_path', present(p.InitiatingProcessFolderPath));
    set('process_id', present(p.InitiatingProcessId));
    set('process_hash', first(p.InitiatingProcessSHA256, p.InitiatingProcessSHA1));
    const level = present(p.InitiatingProcessIntegrityLevel)?.toLowerCase();
    set('process_integrity_level', level === 'none' ? undefined : level);
    set('original_file_name', first(p.InitiatingProcessVersionInfoOriginalFileName, p.InitiatingProcessFileName));
    set('parent_process_name', present(p.InitiatingProcessParentFileName));
    set('parent_process_id', present(p.InitiatingProcessParentId));
  };

  switch (table) {
    case 'DeviceProcessEvents': {
      set('action', 'allowed');
      set('dest', present(p.DeviceName));
      set('user', present(p.AccountName));
      set('user_id', first(p.AccountSid, p.AccountObjectId));
      set('process', present(p.ProcessCommandLine));
      set('process_name', present(p.FileName));
      set('process_exec', present(p.FileName));
      set('process_path', present(p.FolderPath));
      set('process_id', present(p.ProcessId));
      set('process_hash', first(p.SHA256, p.SHA1));
      const level = present(p.ProcessIntegrityLevel)?.toLowerCase();
      set('process_integrity_level', level === 'none' ? undefined : level);
      set('original_file_name', first(p.ProcessVersionInfoOriginalFileName, p.FileName));
      set('parent_process', present(p.InitiatingProcessCommandLine));
      set('parent_process_name', present(p.InitiatingProcessFileName));
      set('parent_process_exec', present(p.InitiatingProcessFileName));
      set('parent_process_path', present(p.InitiatingProcessFolderPath));
      set('parent_process_id', present(p.InitiatingProcessId));
      break;
    }
    case 'DeviceNetworkEvents': {
      const inbound = isInbound(actionType);
      const device = present(p.DeviceName);
      const [local, remote] = [present(p.LocalIP), present(p.RemoteIP)];
      const [localPort, remotePort] = [present(p.LocalPort), present(p.RemotePort)];
      const allowed = actionType !== undefined && [
        ...CONNECTED,
        'InboundConnectionAccepted',
        'InboundInternetScanInspected',
      ];
      set(
        'action',
        allowed && allowed.includes(actionType ?? '')
          ? 'allowed'
          : actionType === 'ConnectionFailed'
            ? 'blocked'
            : undefined,
      );
      set(
        'direction',
        inbound ? 'inbound' : [...CONNECTED, 'ConnectionFailed'].includes(actionType ?? '') ? 'outbound' : undefined,
      );
      set('src', inbound ? remote : device);
      set('src_ip', inbound ? remote : local);
      set('src_port', inbound ? remotePort : localPort);
      set('dest', inbound ? device : remote);
      set('dest_ip', inbound ? local : remote);
      set('dest_port', inbound ? localPort : remotePort);
      set(
        'transport',
        present(p.Protocol)
          ?.toLowerCase()
          .replace(/v[46]$/, ''),
      );
      set('dvc', device);
      set('user', present(p.InitiatingProcessAccountName));
      set('process_id', present(p.InitiatingProcessId));
      initiatingProcess();
      break;
    }
    case 'DeviceLogonEvents':
    case 'IdentityLogonEvents': {
      set(
        'action',
        ({ LogonSuccess: 'success', LogonFailed: 'failure', LogonAttempted: 'unknown' } as Record<string, string>)[
          actionType ?? ''
        ],
      );
      set('user', first(p.AccountName, p.AccountUpn));
      set('user_id', first(p.AccountSid, p.AccountObjectId));
      set('authentication_method', present(p.Protocol));
      set('reason', present(p.FailureReason));
      set('signature', actionType);
      if (table === 'DeviceLogonEvents') {
        set('dest', present(p.DeviceName));
        set('src', first(p.RemoteDeviceName, p.RemoteIP, p.DeviceName));
        set('src_ip', present(p.RemoteIP));
        initiatingProcess();
      } else {
        set('app', present(p.Application));
        set('dest', first(p.DestinationDeviceName, p.DestinationIPAddress, p.Application));
        set('dest_ip', present(p.DestinationIPAddress));
        set('dest_port', present(p.DestinationPort));
        set('src', first(p.DeviceName, p.IPAddress));
        set('src_ip', present(p.IPAddress));
        set('src_port', present(p.Port));
      }
      break;
    }
    case 'EmailEvents': {
      const location = present(p.DeliveryLocation);
      const delivery = present(p.DeliveryAction);
      set(
        'action',
        location === 'Quarantine'
          ? 'quarantined'
          : location === 'Deleted items'
            ? 'deleted'
            : delivery === 'Blocked'
              ? 'blocked'
              : ['Delivered', 'Junked', 'Replaced'].includes(delivery ?? '')
                ? 'delivered'
                : undefined,
      );
      const recipient = present(p.RecipientEmailAddress);
      set('recipient', recipient);
      set('dest', recipient);
      set('recipient_domain', recipient?.includes('@') ? recipient.replace(/^.*@/, '') : undefined);
      set('src_user', present(p.SenderFromAddress));
      set('src_user_domain', present(p.SenderFromDomain));
      set('return_addr', present(p.SenderMailFromAddress));
      set('subject', present(p.Subject));
      set('message_id', present(p.InternetMessageId));
      set('internal_message_id', present(p.NetworkMessageId));
      set('src', first(p.SenderIPv4, p.SenderIPv6));
      set('src_ip', first(p.SenderIPv4, p.SenderIPv6));
      break;
    }
    case 'AlertInfo': {
      const severity = present(p.Severity)?.toLowerCase() ?? '';
      const ids: Record<string, string> = { high: '4', medium: '3', low: '2', informational: '1' };
      set('app', 'ms:defender');
      set('type', 'alert');
      set('id', present(p.AlertId));
      set('signature', present(p.Title));
      set('subject', present(p.Title));
      set('product', present(p.ServiceSource) ?? 'Microsoft Defender XDR');
      set('vendor_account', present(record.tenantId));
      set('vendor_severity', present(p.Severity));
      set('severity', ids[severity] ? severity : 'unknown');
      set('severity_id', ids[severity] ?? '0');
      set('mitre_technique_id', [...new Set(String(p.AttackTechniques ?? '').match(/T\d{4}(?:\.\d{3})?(?=\))/g))]);
      break;
    }
    case 'DeviceFileEvents': {
      // Not a table this add-on maps to a data model; the values Splunk_TA_MS_Security gives it (Filesystem).
      set(
        'action',
        actionType === 'FileCreated'
          ? 'created'
          : ['FileModified', 'FileRenamed'].includes(actionType ?? '')
            ? 'modified'
            : actionType === 'FileDeleted'
              ? 'deleted'
              : undefined,
      );
      set('dest', present(p.DeviceName));
      set('user', present(p.InitiatingProcessAccountName));
      set('process_id', present(p.InitiatingProcessId));
      break;
    }
    default:
      break;
  }
  return out;
}
