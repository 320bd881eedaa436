/**
 * The budget check of a running gateway-executed batch (issue 9, point 5): the spend booked for
 * the key (and its team) plus what this batch has cost so far, against their `max_budget`. When it
 * is reached, dispatch stops and the rest of the batch goes to the error file (`budget_exceeded`).
 * Other batches of the key still running are booked when they end, so two running at once can
 * together overshoot by what each had in flight.
 */
import { currentKey, currentTeam } from '../limits/current.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { Owner } from '../principal.js';

export class BudgetGuard {
  constructor(private readonly deps: { readonly store: Store; readonly clock: Clock }) {}

  /** Whether the owner's key or team has reached its budget, counting this batch's cost so far. */
  async reached(batchId: string, owner: Owner): Promise<boolean> {
    if (owner.keyHash === null) return false;
    const { store, clock } = this.deps;
    const now = clock.now();
    const found = await store.keys.get(owner.keyHash);
    const key = found === undefined ? undefined : await currentKey(store, found, now);
    const teamFound = owner.teamId === null ? undefined : await store.teams.get(owner.teamId);
    const team = teamFound === undefined ? undefined : await currentTeam(store, teamFound, now);
    const limited = [key, team].filter((r) => r !== undefined && r.maxBudget !== null);
    if (limited.length === 0) return false;
    const running = await store.executions.costSoFar(batchId);
    return limited.some((r) => r !== undefined && r.maxBudget !== null && r.spend + running >= r.maxBudget);
  }
}
