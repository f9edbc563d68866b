/** `--scheme` output: the SchemeDefinition as splunkd's introspection XML. */
import type { SchemeArgument, SchemeDefinition } from './scheme-types.js';
import { escapeXmlAttribute, escapeXmlText } from './xml-text.js';

/**
 * Formats the scheme XML that `--scheme` prints (no XML declaration, as the SDKs do). Every tag that has a default is
 * always written, booleans lower-case, because splunkd's defaults for absent tags are undocumented (its own default
 * streaming mode is `simple`). Only empty titles, descriptions and absent validations are left out, as the SDKs do.
 */
export function formatScheme(def: SchemeDefinition): string {
  const lines = ['<scheme>'];
  pushOptional(lines, '  ', 'title', def.title);
  pushOptional(lines, '  ', 'description', def.description);
  lines.push(
    `  <use_external_validation>${def.useExternalValidation}</use_external_validation>`,
    `  <use_single_instance>${def.useSingleInstance}</use_single_instance>`,
    `  <streaming_mode>${def.streamingMode}</streaming_mode>`,
    '  <endpoint>',
    '    <args>',
  );
  for (const arg of def.args) lines.push(formatArgument(arg, '      '));
  lines.push('    </args>', '  </endpoint>', '</scheme>');
  return lines.join('\n') + '\n';
}

/** Formats one `<arg>` element (also used alone by conformance tests against the SDKs' argument fixtures). */
export function formatArgument(arg: SchemeArgument, indent = ''): string {
  const inner = `${indent}  `;
  const lines = [`${indent}<arg name="${escapeXmlAttribute(arg.name)}">`];
  pushOptional(lines, inner, 'title', arg.title);
  pushOptional(lines, inner, 'description', arg.description);
  pushOptional(lines, inner, 'validation', arg.validation);
  lines.push(
    `${inner}<data_type>${arg.dataType}</data_type>`,
    `${inner}<required_on_edit>${arg.requiredOnEdit}</required_on_edit>`,
    `${inner}<required_on_create>${arg.requiredOnCreate}</required_on_create>`,
    `${indent}</arg>`,
  );
  return lines.join('\n');
}

function pushOptional(lines: string[], indent: string, tag: string, value: string | undefined): void {
  if (value) lines.push(`${indent}<${tag}>${escapeXmlText(value)}</${tag}>`);
}
