/**
 * The modular-input protocol runner (splunklib's `run_script`): argv → mode, stdin → definition, handlers → stdout,
 * and an exit code back to the entry file, which alone touches `process`. It never exits by itself: it returns only
 * after everything it wrote to stdout has been handed to the OS.
 */
import type { Readable, Writable } from 'node:stream';
import { AddonError } from '../errors.js';
import type { EventSink } from '../ports.js';
import { XmlEventWriter } from './event-writer.js';
import { parseInputDefinition } from './input-definition.js';
import { createLogger, type LineOutput, type ScriptLogger } from './logger.js';
import { describeError, errorCodeOf } from '../toolkit/error-info.js';
import { readUntilComplete } from '../toolkit/read-until.js';
import { formatScheme } from './scheme.js';
import type { InputDefinition, SchemeDefinition, ValidationDefinition } from './scheme-types.js';
import { parseValidationDefinition } from './validation-definition.js';
import { decodeXmlBytes } from './xml-decode.js';
import { escapeXmlText } from './xml-text.js';

/** What the add-on plugs into the protocol. */
export interface ModularInputHandlers {
  /** The scheme `--scheme` prints. */
  scheme(): SchemeDefinition;
  /** Checks one stanza for `--validate-arguments`: an error message for the admin, or undefined to accept it. */
  validate(def: ValidationDefinition): Promise<string | undefined>;
  /** Run mode: writes events to `sink` and resolves with the exit code (it need not flush: the runner closes). */
  stream(def: InputDefinition, sink: EventSink, log: ScriptLogger): Promise<number>;
}

/** The process streams, passed in by the entry file. */
export interface ModularInputIo {
  stdin: AsyncIterable<Buffer> | Readable;
  stdout: Writable;
  stderr: LineOutput;
}

/** Options of runModularInput. */
export interface ModularInputOptions {
  /** How long to wait for splunkd's XML on stdin (default 30 s, as the JS SDK did). */
  readTimeoutMs?: number;
  /** The logger (default: INFO to `io.stderr`). */
  log?: ScriptLogger;
}

const DEFAULT_READ_TIMEOUT_MS = 30_000;
const USAGE = 'accepted: --scheme, --validate-arguments, or no argument (run mode: the input XML on stdin)';

/**
 * Runs one invocation of the modular input and resolves with the exit code:
 * - `--scheme`: prints the scheme XML; 0 (1 if the handler throws).
 * - `--validate-arguments`: reads `<items>`; on rejection prints `<error><message>…</message></error>` and returns 1,
 *   otherwise prints nothing and returns 0.
 * - no argument: reads `<input>`, streams events through an XmlEventWriter, closes the stream; the handler's code,
 *   or 1 if the input is unreadable, the handler throws or stdout fails. Nothing is written on malformed input.
 * - anything else: one ERROR line naming the accepted arguments; 2.
 */
export async function runModularInput(
  argv: string[],
  io: ModularInputIo,
  handlers: ModularInputHandlers,
  options: ModularInputOptions = {},
): Promise<number> {
  const log = options.log ?? createLogger(io.stderr, { level: 'INFO' });
  const timeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const [mode, ...rest] = argv;
  if (rest.length > 0 || (mode !== undefined && mode !== '--scheme' && mode !== '--validate-arguments')) {
    log.error(`Unknown arguments: ${argv.join(' ')}; ${USAGE}`, { action: 'usage' });
    return 2;
  }
  if (mode === '--scheme') return printScheme(io, handlers, log);
  if (mode === '--validate-arguments') return validateArguments(io, handlers, log, timeoutMs);
  return streamEvents(io, handlers, log, timeoutMs);
}

async function printScheme(io: ModularInputIo, handlers: ModularInputHandlers, log: ScriptLogger): Promise<number> {
  let xml: string;
  try {
    xml = formatScheme(handlers.scheme());
  } catch (error) {
    log.fatal(`Cannot build the scheme: ${describeError(error)}`, { action: 'scheme', error: errorCodeOf(error) });
    return 1;
  }
  return writeOut(io.stdout, xml, log);
}

async function validateArguments(
  io: ModularInputIo,
  handlers: ModularInputHandlers,
  log: ScriptLogger,
  timeoutMs: number,
): Promise<number> {
  let message: string | undefined;
  try {
    const definition = parseValidationDefinition(decodeXmlBytes(await readDocument(io, 'items', timeoutMs)));
    log.redact(definition.sessionKey);
    message = await handlers.validate(definition);
  } catch (error) {
    log.error(`Cannot validate the settings: ${describeError(error)}`, {
      action: 'validate',
      error: errorCodeOf(error),
    });
    // An AddonError message is written for the admin and carries no secret; anything else is a bug: point to the log.
    message =
      error instanceof AddonError
        ? error.message
        : 'The add-on failed while validating these settings; see splunkd.log (component ExecProcessor) for details.';
  }
  if (message === undefined) return 0;
  // splunkd shows this text to the user and refuses the change. No trailing newline, as in the SDKs' fixture.
  const written = await writeOut(io.stdout, `<error><message>${escapeXmlText(message)}</message></error>`, log);
  return written === 0 ? 1 : written;
}

async function streamEvents(
  io: ModularInputIo,
  handlers: ModularInputHandlers,
  log: ScriptLogger,
  timeoutMs: number,
): Promise<number> {
  let definition: InputDefinition;
  try {
    definition = parseInputDefinition(decodeXmlBytes(await readDocument(io, 'input', timeoutMs)));
  } catch (error) {
    log.error(`Cannot read the input definition from splunkd: ${describeError(error)}`, {
      action: 'read_input',
      error: errorCodeOf(error),
    });
    return 1;
  }
  log.redact(definition.sessionKey);
  const writer = new XmlEventWriter(io.stdout);
  let code: number;
  try {
    code = await handlers.stream(definition, writer, log);
  } catch (error) {
    log.fatal(`The input failed unexpectedly: ${describeError(error)}`, {
      action: 'stream',
      error: errorCodeOf(error),
    });
    code = 1;
  }
  try {
    await writer.close();
  } catch (error) {
    log.error(`The event stream could not be completed: ${describeError(error)}`, {
      action: 'close_stream',
      error: errorCodeOf(error),
      events: writer.eventCount,
    });
    code = code || 1;
  }
  log.debug('Event stream closed', {
    action: 'stream_closed',
    events: writer.eventCount,
    bytes: writer.byteCount,
    exit_code: code,
  });
  return code;
}

/** Reads the document; a timeout becomes an error that says what the script expects and how to provide it. */
async function readDocument(io: ModularInputIo, closingTag: string, timeoutMs: number): Promise<Buffer> {
  // splunkd may keep stdin open after the document (the Go add-on and the JS SDK stop at the closing tag) or close it
  // (splunklib reads to EOF); the tag may come in UTF-8 or in UTF-16 either way round.
  const tag = `</${closingTag}>`;
  const endings = [Buffer.from(tag, 'utf8'), Buffer.from(tag, 'utf16le'), Buffer.from(tag, 'utf16le').swap16()];
  const result = await readUntilComplete(io.stdin, {
    timeoutMs,
    isComplete: (bytes) => endings.some((e) => bytes.includes(e)),
  });
  if (result.kind !== 'complete') {
    throw new AddonError(
      'input_timeout',
      `No <${closingTag}> XML arrived on stdin within ${Math.round(timeoutMs / 1000)} s. This script is run by splunkd, which writes the ` +
        `definition to stdin; to run it by hand, pipe in what \`splunk cmd splunkd print-modinput-config defender_alerts defender_alerts://<name>\` prints.`,
    );
  }
  return result.bytes;
}

/** Writes `text` and resolves after its write callback: 0, or 1 with an ERROR line if stdout failed (EPIPE). */
function writeOut(stdout: Writable, text: string, log: ScriptLogger): Promise<number> {
  return new Promise((resolve) => {
    let settled = false;
    const onError = (error: Error) => {
      if (settled) return;
      settled = true;
      log.error(`Cannot write to stdout: ${describeError(error)}`, { action: 'write_stdout' });
      resolve(1);
    };
    stdout.once('error', onError);
    stdout.write(text, (error) => {
      stdout.off('error', onError);
      if (error) onError(error);
      else if (!settled) resolve(0);
    });
  });
}
