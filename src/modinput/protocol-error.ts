import { AddonError, type ProtocolErrorCode } from '../errors.js';

/**
 * splunkd sent something the modular-input protocol does not allow (malformed or unexpected XML on stdin), or the
 * add-on tried to write an event the protocol forbids.
 */
export class ModinputProtocolError extends AddonError {
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
