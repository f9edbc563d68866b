/**
 * Input XML shaped like what production splunkd sends: the declaration, the
 * metadata in splunkd's order, `app=` on each stanza, and the inherited system defaults, params sorted by name.
 */

/** One stanza as a test describes it: only the params the test cares about. */
export interface HarnessStanza {
  /** Full stanza name, e.g. `defender_alerts://prod`. */
  name: string;
  /** The app the stanza lives in (default `TA-microsoft-defender`). */
  app?: string;
  params: Record<string, string | string[]>;
}

/** The metadata splunkd sends in front of the configuration. */
export interface HarnessMetadata {
  serverHost?: string;
  serverUri: string;
  sessionKey: string;
  checkpointDir: string;
}

/** What splunkd adds from system defaults to every stanza (seen in the captures); a test's own params win. */
export const INHERITED_PARAMS: Readonly<Record<string, string>> = {
  disabled: '0',
  host: '$decideOnStartup',
  index: 'default',
  interval: '300',
  start_by_shell: 'false',
};

const DEFAULT_APP = 'TA-microsoft-defender';
const DEFAULT_SERVER_HOST = 'splunk-test-host';

/** Builds the run-mode `<input>` document. */
export function buildInputXml(options: HarnessMetadata & { stanzas: HarnessStanza[] }): string {
  const stanzas = options.stanzas.map((stanza) => {
    const params = { ...INHERITED_PARAMS, ...stanza.params };
    return [
      `    <stanza name="${escape(stanza.name)}" app="${escape(stanza.app ?? DEFAULT_APP)}">`,
      ...formatParams(params, '      '),
      '    </stanza>',
    ];
  });
  const configuration =
    stanzas.length === 0 ? ['  <configuration/>'] : ['  <configuration>', ...stanzas.flat(), '  </configuration>'];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<input>',
    ...formatMetadata(options),
    ...configuration,
    '</input>',
    '',
  ].join('\n');
}

/** Builds the `--validate-arguments` `<items>` document: one item with the params as submitted (nothing inherited). */
export function buildValidationXml(
  options: HarnessMetadata & { item: { name: string; app?: string; params: Record<string, string | string[]> } },
): string {
  const app = options.item.app === undefined ? '' : ` app="${escape(options.item.app)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<items>',
    ...formatMetadata(options),
    `  <item name="${escape(options.item.name)}"${app}>`,
    ...formatParams(options.item.params, '    '),
    '  </item>',
    '</items>',
    '',
  ].join('\n');
}

function formatMetadata(metadata: HarnessMetadata): string[] {
  return [
    `  <server_host>${escape(metadata.serverHost ?? DEFAULT_SERVER_HOST)}</server_host>`,
    `  <server_uri>${escape(metadata.serverUri)}</server_uri>`,
    `  <session_key>${escape(metadata.sessionKey)}</session_key>`,
    `  <checkpoint_dir>${escape(metadata.checkpointDir)}</checkpoint_dir>`,
  ];
}

function formatParams(params: Record<string, string | string[]>, indent: string): string[] {
  return Object.keys(params)
    .sort()
    .map((name) => {
      const value = params[name]!;
      if (typeof value === 'string') return `${indent}<param name="${escape(name)}">${escape(value)}</param>`;
      const values = value.map((item) => `<value>${escape(item)}</value>`).join('');
      return `${indent}<param_list name="${escape(name)}">${values}</param_list>`;
    });
}

/** Deliberately independent of src/modinput/xml-text.ts, so a bug there cannot hide in the tests' own input. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
