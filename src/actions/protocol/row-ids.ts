/**
 * The ids an update action acts on, read from every result row: one item per distinct id (a multi-valued field is one
 * item per value), in row order. What cannot be acted on (no id, a malformed id, an id seen in an earlier row) becomes
 * an outcome for the row instead, returned for recording once the run's context is known.
 */
import { describeFailure } from '../defender/http-json.js';
import { ConfigError } from '../../errors.js';
import type { RowOutcome } from './outcomes.js';
import { allValues } from './result-rows.js';
import type { ActionRun } from './run-action.js';

/** One id of one row. */
export interface RowIdItem {
  row: number;
  id: string;
}

/** How an action recognises and names its ids. */
export interface RowIdRules {
  /** `alert`, `incident`: used in the outcome sentences. */
  noun: string;
  /** Whether a value is an id of this kind. */
  isId: (value: string) => boolean;
  /** Appended to "is not a Defender <noun> id", e.g. ` (letters, digits, _ - . : only)`. */
  idRule?: string;
  /** Appended to the advice for a row without an id, e.g. `, e.g. incidentId for alert events`. */
  missingHint?: string;
}

/** Reads every row's ids in `idField`; ids are compared without case (Defender's ids are case-insensitive). */
export async function collectRowIds(
  run: ActionRun,
  idField: string,
  rules: RowIdRules,
): Promise<{ items: RowIdItem[]; early: RowOutcome[] }> {
  const items: RowIdItem[] = [];
  const early: RowOutcome[] = [];
  const firstRow = new Map<string, number>();
  const Noun = rules.noun.charAt(0).toUpperCase() + rules.noun.slice(1);
  let rowNumber = 0;
  for await (const row of run.services.readRows(run.payload)) {
    rowNumber++;
    const ids = allValues(row, idField);
    if (ids.length === 0) {
      early.push({
        row: rowNumber,
        outcome: 'skipped',
        error:
          `The row has no value in field ${idField} (set id_field to the field that holds the ${rules.noun} id` +
          `${rules.missingHint ?? ''}).`,
      });
      continue;
    }
    for (const id of ids) {
      const key = id.toLowerCase();
      if (!rules.isId(id)) {
        early.push({
          row: rowNumber,
          id,
          outcome: 'invalid',
          error: `${JSON.stringify(id.slice(0, 80))} in field ${idField} is not a Defender ${rules.noun} id${rules.idRule ?? ''}.`,
        });
      } else if (firstRow.has(key)) {
        early.push({
          row: rowNumber,
          id,
          outcome: 'skipped',
          error: `${Noun} ${id} already appears in row ${firstRow.get(key)}; it is updated once.`,
        });
      } else {
        firstRow.set(key, rowNumber);
        items.push({ row: rowNumber, id });
      }
    }
  }
  return { items, early };
}

/**
 * An id action's setup: `prepare` checks its parameters and finds its target. When it fails, every row gets an outcome
 * saying why (recordUnactionable) and the error goes on. Otherwise the early outcomes are recorded; on a dry run each
 * id is then recorded as `dry_run` and undefined is returned: nothing is sent.
 */
export async function prepareIdAction<T>(
  run: ActionRun,
  collected: { items: readonly RowIdItem[]; early: readonly RowOutcome[] },
  prepare: () => Promise<T>,
): Promise<T | undefined> {
  const { items, early } = collected;
  let prepared: T;
  try {
    prepared = await prepare();
  } catch (error) {
    await recordUnactionable(run, early, items, error);
    throw error;
  }
  for (const outcome of early) await run.record(outcome);
  if (!run.dryRun) return prepared;
  for (const item of items) await run.record({ row: item.row, id: item.id, outcome: 'dry_run' });
  return undefined;
}

/**
 * The run cannot act on its rows (bad parameters, no credentials): the early outcomes are recorded, and every item
 * still gets an outcome event saying why, `invalid` for a configuration error and `failure` otherwise.
 */
export async function recordUnactionable(
  run: ActionRun,
  early: readonly RowOutcome[],
  items: readonly RowIdItem[],
  error: unknown,
): Promise<void> {
  for (const outcome of early) await run.record(outcome);
  const failure = describeFailure(error);
  const outcome = error instanceof ConfigError ? 'invalid' : 'failure';
  for (const item of items) {
    await run.record({ row: item.row, id: item.id, outcome, httpStatus: failure.httpStatus, error: failure.message });
  }
}
