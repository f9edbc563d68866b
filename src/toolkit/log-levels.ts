/** The log levels of every entry point's stderr logger and of the app's `[logging] log_level` setting. */

/** The level words splunkd's ExecProcessor recognises at the start of a stderr line, lowest first. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** One of the level words splunkd maps. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Reads a level word case-insensitively (`warning` counts as WARN); undefined when it is none of them. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const word = text.trim().toUpperCase();
  if (word === 'WARNING') return 'WARN';
  return (LOG_LEVELS as readonly string[]).includes(word) ? (word as LogLevel) : undefined;
}
