/** Keys and teams as of now: their budget window rolled over in the store when it has ended. */
import type { KeyRecord, Store, TeamRecord } from '../ports/store.js';
import { rollBudgetWindow } from './budget.js';

export const currentKey = (store: Store, key: KeyRecord, now: number): Promise<KeyRecord> =>
  rollBudgetWindow(key, now, {
    reset: (reset) => store.keys.resetSpend(key.keyHash, reset),
    reload: () => store.keys.get(key.keyHash),
  });

export const currentTeam = (store: Store, team: TeamRecord, now: number): Promise<TeamRecord> =>
  rollBudgetWindow(team, now, {
    reset: (reset) => store.teams.resetSpend(team.teamId, reset),
    reload: () => store.teams.get(team.teamId),
  });
