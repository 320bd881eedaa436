/** Virtual keys, by the hash of the key. */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { KeyRecord, KeyRepository, KeyUpdate } from '../../domain/ports/store.js';
import type { Database, KeysTable } from '../schema.js';
import { fromJson, toJson } from './json.js';

const toRow = (k: KeyRecord): KeysTable => ({
  key_hash: k.keyHash,
  key_name: k.keyName,
  key_alias: k.keyAlias,
  user_id: k.userId,
  team_id: k.teamId,
  models: toJson(k.models),
  max_budget: k.maxBudget,
  budget_duration: k.budgetDuration,
  budget_reset_at_ms: k.budgetResetAtMs,
  spend: k.spend,
  rpm_limit: k.rpmLimit,
  tpm_limit: k.tpmLimit,
  metadata: toJson(k.metadata),
  expires_at_ms: k.expiresAtMs,
  created_at_ms: k.createdAtMs,
  updated_at_ms: k.updatedAtMs,
  webhook_url: k.webhookUrl ?? null,
  webhook_secret: k.webhookSecret ?? null,
});

const fromRow = (r: Selectable<KeysTable>): KeyRecord => ({
  keyHash: r.key_hash,
  keyName: r.key_name,
  keyAlias: r.key_alias,
  userId: r.user_id,
  teamId: r.team_id,
  models: fromJson<string[]>(r.models),
  maxBudget: r.max_budget,
  budgetDuration: r.budget_duration,
  budgetResetAtMs: r.budget_reset_at_ms,
  spend: r.spend,
  rpmLimit: r.rpm_limit,
  tpmLimit: r.tpm_limit,
  metadata: fromJson<Record<string, unknown>>(r.metadata),
  expiresAtMs: r.expires_at_ms,
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
  // Only when set, so a key without a webhook reads as it did before migration 0005.
  ...(r.webhook_url === null ? {} : { webhookUrl: r.webhook_url }),
  ...(r.webhook_secret === null ? {} : { webhookSecret: r.webhook_secret }),
});

/** Only the fields present in the update are written. */
function updateRow(u: KeyUpdate): Updateable<KeysTable> {
  const row: Updateable<KeysTable> = {};
  if (u.keyAlias !== undefined) row.key_alias = u.keyAlias;
  if (u.userId !== undefined) row.user_id = u.userId;
  if (u.teamId !== undefined) row.team_id = u.teamId;
  if (u.models !== undefined) row.models = toJson(u.models);
  if (u.maxBudget !== undefined) row.max_budget = u.maxBudget;
  if (u.budgetDuration !== undefined) row.budget_duration = u.budgetDuration;
  if (u.budgetResetAtMs !== undefined) row.budget_reset_at_ms = u.budgetResetAtMs;
  if (u.spend !== undefined) row.spend = u.spend;
  if (u.rpmLimit !== undefined) row.rpm_limit = u.rpmLimit;
  if (u.tpmLimit !== undefined) row.tpm_limit = u.tpmLimit;
  if (u.metadata !== undefined) row.metadata = toJson(u.metadata);
  if (u.expiresAtMs !== undefined) row.expires_at_ms = u.expiresAtMs;
  if (u.updatedAtMs !== undefined) row.updated_at_ms = u.updatedAtMs;
  if (u.webhookUrl !== undefined) row.webhook_url = u.webhookUrl;
  if (u.webhookSecret !== undefined) row.webhook_secret = u.webhookSecret;
  return row;
}

export function keyRepository(db: Kysely<Database>): KeyRepository {
  return {
    insert: async (key) => {
      await db.insertInto('keys').values(toRow(key)).execute();
    },

    get: async (keyHash) => {
      const row = await db.selectFrom('keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return row && fromRow(row);
    },

    update: async (keyHash, update) => {
      const row = updateRow(update);
      // An UPDATE with an empty SET is not SQL; nothing to write is a no-op.
      if (Object.keys(row).length === 0) return;
      await db.updateTable('keys').set(row).where('key_hash', '=', keyHash).execute();
    },

    delete: async (keyHash) => {
      const result = await db.deleteFrom('keys').where('key_hash', '=', keyHash).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    list: async ({ teamId, userId }) => {
      let qb = db.selectFrom('keys').selectAll();
      if (teamId !== undefined) qb = qb.where('team_id', '=', teamId);
      if (userId !== undefined) qb = qb.where('user_id', '=', userId);
      const rows = await qb.orderBy('created_at_ms').orderBy('key_hash').execute();
      return rows.map(fromRow);
    },

    // Increments in SQL, never read-modify-write, so concurrent bookings all count. The team's
    // share is found by a subquery in the same statement, so a key moving team cannot split it.
    addSpend: (keyHash, amount) =>
      db.transaction().execute(async (trx) => {
        await trx
          .updateTable('keys')
          .set((eb) => ({ spend: eb('spend', '+', amount) }))
          .where('key_hash', '=', keyHash)
          .execute();
        await trx
          .updateTable('teams')
          .set((eb) => ({ spend: eb('spend', '+', amount) }))
          .where('team_id', '=', (eb) => eb.selectFrom('keys').select('team_id').where('key_hash', '=', keyHash))
          .execute();
      }),

    // Compare-and-set on (spend, reset time): a concurrent reset or booking makes this a no-op
    // and the caller reads again, so a reset never wipes spend it did not see.
    resetSpend: async (keyHash, reset) => {
      const result = await db
        .updateTable('keys')
        .set({ spend: 0, budget_reset_at_ms: reset.nextResetAtMs, updated_at_ms: reset.updatedAtMs })
        .where('key_hash', '=', keyHash)
        .where('spend', '=', reset.expected.spend)
        .where('budget_reset_at_ms', '=', reset.expected.budgetResetAtMs)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
