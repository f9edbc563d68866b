import { AddonError } from '../errors.js';

/**
 * splunkd sent something the modular-input protocol does not allow (malformed or unexpected XML on stdin), or the
 * add-on tried to write an event the protocol forbids. `code` is `input_malformed` or `event_invalid`.
 */
export class ModinputProtocolError extends AddonError {
  constructor(code: 'input_malformed' | 'event_invalid', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
