/** The `defender_alerts` scheme (`--scheme`), built from the argument table so the two cannot drift apart. */
import type { SchemeDefinition } from '../modinput/scheme-types.js';
import { INPUT_ARGUMENTS } from './arguments.js';

/** Title of the input in Splunk Web (Settings → Data inputs). */
export const SCHEME_TITLE = 'Microsoft Defender alerts';

/**
 * The scheme splunkd registers: external validation on, so every create/edit runs
 * `--validate-arguments`; one process per stanza, so each stanza keeps its own interval; XML streaming.
 */
export function buildScheme(): SchemeDefinition {
  return {
    title: SCHEME_TITLE,
    description:
      'Collects Microsoft Defender alerts (Microsoft Graph alerts_v2, Defender for Endpoint or the legacy SIEM API) ' +
      'into Splunk, each alert version once. Create inputs on one heavy forwarder or a standalone search head: ' +
      'an input enabled on a search-head cluster runs on every member, so each alert is collected once per member.',
    useExternalValidation: true,
    useSingleInstance: false,
    streamingMode: 'xml',
    // Copies, so a caller that edits the scheme cannot change the shared table; defaultValue is ours, not splunkd's.
    args: INPUT_ARGUMENTS.map(({ defaultValue: _default, ...argument }) => ({ ...argument })),
  };
}
