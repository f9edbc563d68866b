/**
 * The start position a partition receiver asks for. @azure/event-hubs sends it as the link source filter
 * `apache.org:selector-filter:string` holding one SQL-like comparison on a message annotation, e.g.
 * `amqp.annotation.x-opt-sequence-number > '41'` (getEventPositionFilter in
 * node_modules/@azure/event-hubs/dist/esm/eventPosition.js). Earliest is the offset `-1`, latest the offset `@latest`.
 */

export const SELECTOR_FILTER_KEY = 'apache.org:selector-filter:string';

export type StartPosition =
  | { kind: 'offset'; offset: string; inclusive: boolean }
  | { kind: 'sequenceNumber'; sequenceNumber: number; inclusive: boolean }
  | { kind: 'enqueuedTime'; epochMs: number; inclusive: boolean };

/** A filter the broker cannot honour; the link is refused with `condition` and this message. */
export class SelectorFilterError extends Error {
  readonly condition = 'com.microsoft:argument-error';
}

const COMPARISON =
  /^\s*amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/;

/** Parses one selector expression; throws SelectorFilterError naming what is wrong. */
export function parseSelectorFilter(expression: string): StartPosition {
  const match = COMPARISON.exec(expression);
  if (!match) {
    throw new SelectorFilterError(
      `unsupported selector filter "${expression}": expected amqp.annotation.x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time followed by > or >= and a quoted value`,
    );
  }
  const [, annotation, operator, value] = match as unknown as [string, string, string, string];
  const inclusive = operator === '>=';
  if (annotation === 'x-opt-offset') {
    if (value !== '-1' && value !== '@latest' && !/^\d+$/.test(value)) {
      throw new SelectorFilterError(`offset '${value}' in the selector filter is not -1, @latest or a whole number`);
    }
    return { kind: 'offset', offset: value, inclusive };
  }
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new SelectorFilterError(`${annotation} '${value}' in the selector filter is not a whole number`);
  }
  return annotation === 'x-opt-sequence-number'
    ? { kind: 'sequenceNumber', sequenceNumber: number, inclusive }
    : { kind: 'enqueuedTime', epochMs: number, inclusive };
}

/**
 * Reads the expression out of an attach frame's source filter map, whose value arrives either as the bare string
 * or as a described type wrapping it (descriptor 0x468c00000004, the one @azure/event-hubs writes).
 */
export function selectorExpression(filter: unknown): string | undefined {
  if (!filter || typeof filter !== 'object') return undefined;
  const entry = (filter as Record<string, unknown>)[SELECTOR_FILTER_KEY];
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && 'value' in entry) {
    const inner = entry.value;
    if (typeof inner === 'string') return inner;
    if (inner && typeof inner === 'object' && 'value' in inner && typeof inner.value === 'string') {
      return (inner as { value: string }).value;
    }
  }
  return undefined;
}
