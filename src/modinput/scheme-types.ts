/** The model of a modular input scheme (`--scheme` output), independent of any particular input. */

export interface SchemeArgument {
  name: string;
  title: string;
  description: string;
  dataType: 'string' | 'number' | 'boolean';
  requiredOnCreate: boolean;
  requiredOnEdit: boolean;
  /** splunkd-side validation expression, e.g. `is_pos_int('x')`; optional. */
  validation?: string;
}

export interface SchemeDefinition {
  title: string;
  description: string;
  useExternalValidation: boolean;
  useSingleInstance: boolean;
  streamingMode: 'xml' | 'simple';
  args: SchemeArgument[];
}

/** One stanza of the input definition (run mode) or the item of a validation request. */
export interface StanzaDefinition {
  /** Run mode: `defender_alerts://name`; validation: the item name as splunkd sent it (opaque). */
  name: string;
  /** The app the stanza lives in, when splunkd says (`app=` attribute). */
  app: string | undefined;
  /** `param` values as strings; `param_list` values as arrays. */
  params: Record<string, string | string[]>;
}

/** What splunkd sends on stdin in run mode (`<input>`). */
export interface InputDefinition {
  serverHost: string;
  serverUri: string;
  sessionKey: string;
  checkpointDir: string;
  stanzas: StanzaDefinition[];
}

/** What splunkd sends on stdin with --validate-arguments (`<items>` with exactly one `<item>`). */
export interface ValidationDefinition {
  serverHost: string;
  serverUri: string;
  sessionKey: string;
  checkpointDir: string;
  item: StanzaDefinition;
}
