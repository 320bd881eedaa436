/**
 * Budgets of keys and teams. Spend is what the store holds (booked by the lifecycle worker via
 * `addSpend`); when a `budget_duration` window has ended, the spend is reset to 0 in the store
 * before it is read, so every replica agrees on the window without a background job.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { addDuration } from '../keys/duration.js';
import type { BudgetReset } from '../ports/store.js';

export interface Budgeted {
  readonly spend: number;
  readonly maxBudget: number | null;
  readonly budgetDuration: string | null;
  readonly budgetResetAtMs: number | null;
}

/** A few tries: each failed compare-and-set means another writer made progress. */
const RESET_ATTEMPTS = 5;

/**
 * The record as of `now`: when its budget window has ended, a new one starts (spend 0, next reset
 * one `budget_duration` from now, as LiteLLM's reset job does) and is stored.
 */
export async function rollBudgetWindow<T extends Budgeted>(
  record: T,
  now: number,
  store: { reset(reset: BudgetReset): Promise<boolean>; reload(): Promise<T | undefined> },
): Promise<T> {
  let current = record;
  for (let attempt = 0; attempt < RESET_ATTEMPTS; attempt++) {
    const { budgetDuration, budgetResetAtMs, spend } = current;
    if (budgetDuration === null || budgetResetAtMs === null || budgetResetAtMs > now) return current;
    const nextResetAtMs = addDuration(now, budgetDuration, 'budget_duration');
    if (await store.reset({ expected: { spend, budgetResetAtMs }, nextResetAtMs, updatedAtMs: now })) {
      return { ...current, spend: 0, budgetResetAtMs: nextResetAtMs };
    }
    const reloaded = await store.reload();
    if (reloaded === undefined) return current;
    current = reloaded;
  }
  // Still contended: the window has ended whatever the row says, so its spend does not count.
  return { ...current, spend: 0 };
}

const money = (n: number): string => String(Math.round(n * 1e6) / 1e6);

/** 429 `budget_exceeded` once spend has reached max_budget (a budget of 0 admits nothing). */
export function assertWithinBudget(who: string, record: Budgeted): void {
  const { maxBudget, spend } = record;
  if (maxBudget === null || spend < maxBudget) return;
  const window =
    record.budgetDuration === null
      ? ''
      : ` The budget resets every ${record.budgetDuration}${
          record.budgetResetAtMs === null ? '' : `, next at ${new Date(record.budgetResetAtMs).toISOString()}`
        }.`;
  throw new GatewayError(
    'budget_exceeded',
    `Budget has been exceeded for ${who}: spend ${money(spend)} has reached max_budget ${money(maxBudget)}.${window}`,
  );
}
