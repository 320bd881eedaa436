/** Teams: shared model access and budget for their keys. */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { TeamRecord, TeamRepository, TeamUpdate } from '../../domain/ports/store.js';
import type { Database, TeamsTable } from '../schema.js';
import { fromJson, toJson } from './json.js';

const toRow = (t: TeamRecord): TeamsTable => ({
  team_id: t.teamId,
  team_alias: t.teamAlias,
  models: toJson(t.models),
  max_budget: t.maxBudget,
  budget_duration: t.budgetDuration,
  budget_reset_at_ms: t.budgetResetAtMs,
  spend: t.spend,
  metadata: toJson(t.metadata),
  created_at_ms: t.createdAtMs,
  updated_at_ms: t.updatedAtMs,
});

const fromRow = (r: Selectable<TeamsTable>): TeamRecord => ({
  teamId: r.team_id,
  teamAlias: r.team_alias,
  models: fromJson<string[]>(r.models),
  maxBudget: r.max_budget,
  budgetDuration: r.budget_duration,
  budgetResetAtMs: r.budget_reset_at_ms,
  spend: r.spend,
  metadata: fromJson<Record<string, unknown>>(r.metadata),
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
});

/** Only the fields present in the update are written. */
function updateRow(u: TeamUpdate): Updateable<TeamsTable> {
  const row: Updateable<TeamsTable> = {};
  if (u.teamAlias !== undefined) row.team_alias = u.teamAlias;
  if (u.models !== undefined) row.models = toJson(u.models);
  if (u.maxBudget !== undefined) row.max_budget = u.maxBudget;
  if (u.budgetDuration !== undefined) row.budget_duration = u.budgetDuration;
  if (u.budgetResetAtMs !== undefined) row.budget_reset_at_ms = u.budgetResetAtMs;
  if (u.spend !== undefined) row.spend = u.spend;
  if (u.metadata !== undefined) row.metadata = toJson(u.metadata);
  if (u.updatedAtMs !== undefined) row.updated_at_ms = u.updatedAtMs;
  return row;
}

export function teamRepository(db: Kysely<Database>): TeamRepository {
  return {
    insert: async (team) => {
      await db.insertInto('teams').values(toRow(team)).execute();
    },

    get: async (teamId) => {
      const row = await db.selectFrom('teams').selectAll().where('team_id', '=', teamId).executeTakeFirst();
      return row && fromRow(row);
    },

    update: async (teamId, update) => {
      const row = updateRow(update);
      // An UPDATE with an empty SET is not SQL; nothing to write is a no-op.
      if (Object.keys(row).length === 0) return;
      await db.updateTable('teams').set(row).where('team_id', '=', teamId).execute();
    },

    list: async () => {
      const rows = await db.selectFrom('teams').selectAll().orderBy('created_at_ms').orderBy('team_id').execute();
      return rows.map(fromRow);
    },

    // Incremented in SQL so concurrent bookings all count.
    addSpend: async (teamId, amount) => {
      await db
        .updateTable('teams')
        .set((eb) => ({ spend: eb('spend', '+', amount) }))
        .where('team_id', '=', teamId)
        .execute();
    },

    // Compare-and-set on (spend, reset time): a concurrent reset or booking makes this a no-op
    // and the caller reads again, so a reset never wipes spend it did not see.
    resetSpend: async (teamId, reset) => {
      const result = await db
        .updateTable('teams')
        .set({ spend: 0, budget_reset_at_ms: reset.nextResetAtMs, updated_at_ms: reset.updatedAtMs })
        .where('team_id', '=', teamId)
        .where('spend', '=', reset.expected.spend)
        .where('budget_reset_at_ms', '=', reset.expected.budgetResetAtMs)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
