/**
 * The stderr logger (https://dev.splunk.com/enterprise/docs/developapps/manageknowledge/custominputs/modinputsscript/):
 * one line per message, `LEVEL message key=value …`. splunkd turns the leading level
 * word into the splunkd.log level and logs a line without one at ERROR, so every line starts with one and never
 * spans two lines. Registered secrets are masked in every line, whichever field they hide in.
 */
import type { LogFields, Logger } from '../ports.js';
import { LOG_LEVELS, type LogLevel } from '../toolkit/log-levels.js';
import { Redactor } from '../toolkit/redact.js';

export type { LogLevel };

/** Anything with a `write(string)`: process.stderr, a Writable, or a test's collector. */
export interface LineOutput {
  write(text: string): unknown;
}

/** Options of createLogger. */
export interface LoggerOptions {
  /** Messages below this level are dropped. */
  level: LogLevel;
  /** Fields appended to every line (e.g. `input=…`). */
  context?: LogFields;
}

/** The logger the modular input hands around: the Logger port plus FATAL, redaction and child loggers. */
export interface ScriptLogger extends Logger {
  fatal(message: string, fields?: LogFields): void;
  /** Masks `secret` (and its URL-encoded and JSON-escaped forms) as `***` in every later line of this logger tree. */
  redact(secret: string): void;
  /** A logger that adds `fields` to every line and shares the level, output and redactions. */
  child(fields: LogFields): ScriptLogger;
}

/** Creates the stderr logger. Secrets registered with redact() on it or any child are masked everywhere. */
export function createLogger(out: LineOutput, options: LoggerOptions): ScriptLogger {
  return buildLogger(
    { out, threshold: LOG_LEVELS.indexOf(options.level), redactor: new Redactor() },
    options.context ?? {},
  );
}

interface SharedState {
  out: LineOutput;
  threshold: number;
  redactor: Redactor;
}

function buildLogger(shared: SharedState, context: LogFields): ScriptLogger {
  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < shared.threshold) return;
    shared.out.write(formatLine(level, message, { ...context, ...fields }, shared.redactor) + '\n');
  };
  return {
    debug: (message, fields) => log('DEBUG', message, fields),
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARN', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    fatal: (message, fields) => log('FATAL', message, fields),
    redact: (secret) => shared.redactor.add(secret),
    child: (fields) => buildLogger(shared, { ...context, ...fields }),
  };
}

/** Formats one line without its newline (exported for tests and for writers that cannot hold a logger). */
export function formatLine(level: LogLevel, message: string, fields: LogFields, redactor?: Redactor): string {
  const mask = (text: string) => (redactor ? redactor.apply(text) : text);
  let line = `${level} ${escapeLineBreaks(mask(message))}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    line += ` ${key}=${quoteValue(escapeLineBreaks(mask(String(value))))}`;
  }
  // A second pass catches a secret that only appears once message and fields are joined (or escaped).
  return mask(line);
}

const LINE_BREAKS = /\r\n|\r|\n|\u2028|\u2029/g;
const NEEDS_QUOTES = /[\s"=]/;

/** Keeps a value on its line by writing its line breaks as the two characters `\\n`. */
function escapeLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, '\\n');
}

function quoteValue(value: string): string {
  if (value !== '' && !NEEDS_QUOTES.test(value)) return value;
  return `"${value.replace(/"/g, '\\"')}"`;
}
