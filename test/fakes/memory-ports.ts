/** In-memory implementations of the ports, for use-case tests (adapters are tested against real servers elsewhere). */
import type { CheckpointStore, Clock, EventSink, Logger, LogFields, SplunkEvent } from '../../src/ports.js';

export class MemoryCheckpointStore implements CheckpointStore {
  readonly docs = new Map<string, string>();
  /** When set, saves are silently lost (the process was SIGKILLed). */
  dead = false;
  saves = 0;
  async load(key: string): Promise<unknown> {
    const text = this.docs.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }
  async save(key: string, value: unknown): Promise<void> {
    if (this.dead) return;
    this.saves++;
    this.docs.set(key, JSON.stringify(value));
  }
}

/** An event as a test reads it: its data decoded to text. */
export type TextEvent = SplunkEvent & { data: string };

/** Records events (their data as text, however it came); `flushed` holds those a flush() covered. */
export class MemorySink implements EventSink {
  readonly written: TextEvent[] = [];
  flushedCount = 0;
  failFlush = false;
  write(event: SplunkEvent): void {
    const data = typeof event.data === 'string' ? event.data : Buffer.from(event.data).toString('utf8');
    this.written.push({ ...event, data });
  }
  async flush(): Promise<void> {
    if (this.failFlush) throw new Error('EPIPE');
    this.flushedCount = this.written.length;
  }
}

export class ManualClock implements Clock {
  constructor(public ms: number) {}
  nowMs(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
}

export interface LogLine {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

/** A clock at real time whose sleeps return at once and are recorded, so Retry-After: 7 costs no real time. */
export class InstantClock implements Clock {
  readonly sleeps: number[] = [];
  nowMs(): number {
    return Date.now();
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
  }
}

export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = [];
  /** Every line as text, for assertion messages and for checking that no secret shows. */
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`).join('\n');
  }
  debug(message: string, fields?: LogFields) {
    this.lines.push({ level: 'DEBUG', message, fields });
  }
  info(message: string, fields?: LogFields) {
    this.lines.push({ level: 'INFO', message, fields });
  }
  warn(message: string, fields?: LogFields) {
    this.lines.push({ level: 'WARN', message, fields });
  }
  error(message: string, fields?: LogFields) {
    this.lines.push({ level: 'ERROR', message, fields });
  }
}
