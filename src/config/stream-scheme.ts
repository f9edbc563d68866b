/** The `defender_stream` scheme (`--scheme`), built from its argument table. */
import type { SchemeDefinition } from '../modinput/scheme-types.js';
import { STREAM_ARGUMENTS } from './stream-arguments.js';

export const STREAM_SCHEME_TITLE = 'Microsoft Defender streaming (Event Hubs)';

/**
 * External validation on (every create/edit runs `--validate-arguments`); one long-running process per stanza.
 */
export function buildStreamScheme(): SchemeDefinition {
  return {
    title: STREAM_SCHEME_TITLE,
    description:
      'Reads the Microsoft Defender XDR Streaming API export (Advanced Hunting events) from an Azure event hub, one ' +
      'event per record, with a checkpoint per partition. Create each input on one heavy forwarder only, with a ' +
      'consumer group of its own.',
    useExternalValidation: true,
    useSingleInstance: false,
    streamingMode: 'xml',
    args: STREAM_ARGUMENTS.map(({ defaultValue: _default, ...argument }) => ({ ...argument })),
  };
}
