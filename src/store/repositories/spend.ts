/**
 * Booked batch costs. Booking is one transaction: the batch's cost-booked mark is set by a
 * compare-and-set (only while unset), and only the caller that set it writes the spend row
 * (unique per batch as well) and adds to the key's and team's spend, which their budgets read.
 * Whatever the number of workers, retrieves or restarts, a batch is booked once.
 */
import type { Kysely, Selectable } from 'kysely';
import type { SpendRecord, SpendReportRow, SpendRepository } from '../../domain/ports/store.js';
import type { Database, SpendLogsTable } from '../schema.js';

const toRow = (s: SpendRecord): SpendLogsTable => ({
  id: s.id,
  batch_id: s.batchId,
  key_hash: s.owner.keyHash,
  user_id: s.owner.userId,
  team_id: s.owner.teamId,
  model_group: s.modelGroup,
  deployment_id: s.deploymentId,
  status: s.status,
  input_tokens: s.inputTokens,
  cached_input_tokens: s.cachedInputTokens,
  output_tokens: s.outputTokens,
  total_tokens: s.totalTokens,
  requests_completed: s.requestsCompleted,
  requests_failed: s.requestsFailed,
  cost_usd: s.costUsd,
  price_source: s.priceSource,
  created_at_ms: s.createdAtMs,
});

const fromRow = (r: Selectable<SpendLogsTable>): SpendRecord => ({
  id: r.id,
  batchId: r.batch_id,
  owner: { keyHash: r.key_hash, userId: r.user_id, teamId: r.team_id },
  modelGroup: r.model_group,
  deploymentId: r.deployment_id,
  status: r.status as SpendRecord['status'],
  inputTokens: Number(r.input_tokens),
  cachedInputTokens: Number(r.cached_input_tokens),
  outputTokens: Number(r.output_tokens),
  totalTokens: Number(r.total_tokens),
  requestsCompleted: Number(r.requests_completed),
  requestsFailed: Number(r.requests_failed),
  costUsd: Number(r.cost_usd),
  priceSource: r.price_source,
  createdAtMs: Number(r.created_at_ms),
});

const DAY_MS = 86_400_000;
const dayOf = (ms: number): string => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

export function spendRepository(db: Kysely<Database>): SpendRepository {
  return {
    book: (spend) =>
      db.transaction().execute(async (trx) => {
        const marked = await trx
          .updateTable('batches')
          .set({ cost_booked_at_ms: spend.createdAtMs })
          .where('id', '=', spend.batchId)
          .where('cost_booked_at_ms', 'is', null)
          .executeTakeFirst();
        if (Number(marked.numUpdatedRows) !== 1) return false;
        await trx.insertInto('spend_logs').values(toRow(spend)).execute();
        if (spend.costUsd !== 0) {
          if (spend.owner.keyHash !== null) {
            await trx
              .updateTable('keys')
              .set((eb) => ({ spend: eb('spend', '+', spend.costUsd) }))
              .where('key_hash', '=', spend.owner.keyHash)
              .execute();
          }
          if (spend.owner.teamId !== null) {
            await trx
              .updateTable('teams')
              .set((eb) => ({ spend: eb('spend', '+', spend.costUsd) }))
              .where('team_id', '=', spend.owner.teamId)
              .execute();
          }
        }
        return true;
      }),

    list: async (query) => {
      let qb = db.selectFrom('spend_logs').selectAll();
      if (query.keyHash !== undefined) qb = qb.where('key_hash', '=', query.keyHash);
      if (query.teamId !== undefined) qb = qb.where('team_id', '=', query.teamId);
      if (query.userId !== undefined) qb = qb.where('user_id', '=', query.userId);
      if (query.batchId !== undefined) qb = qb.where('batch_id', '=', query.batchId);
      if (query.startMs !== undefined) qb = qb.where('created_at_ms', '>=', query.startMs);
      if (query.endMs !== undefined) qb = qb.where('created_at_ms', '<', query.endMs);
      const rows = await qb.orderBy('created_at_ms', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map(fromRow);
    },

    // Summed in code rather than with date functions, which SQLite and PostgreSQL spell
    // differently; a report reads only the rows of its range.
    report: async ({ startMs, endMs, groupBy, keyHash }) => {
      let qb = db
        .selectFrom('spend_logs')
        .select(['created_at_ms', 'team_id', 'key_hash', 'cost_usd', 'input_tokens', 'output_tokens'])
        .where('created_at_ms', '>=', startMs)
        .where('created_at_ms', '<', endMs);
      if (keyHash !== undefined) qb = qb.where('key_hash', '=', keyHash);
      const rows = await qb.execute();
      const totals = new Map<string, { day: string; group: string | null; spend: number; inputTokens: number; outputTokens: number; batches: number }>();
      for (const r of rows) {
        const day = dayOf(Number(r.created_at_ms));
        const group = groupBy === 'team' ? r.team_id : r.key_hash;
        const key = `${day}\u0000${group ?? ''}`;
        const entry = totals.get(key) ?? { day, group, spend: 0, inputTokens: 0, outputTokens: 0, batches: 0 };
        entry.spend += Number(r.cost_usd);
        entry.inputTokens += Number(r.input_tokens);
        entry.outputTokens += Number(r.output_tokens);
        entry.batches += 1;
        totals.set(key, entry);
      }
      return [...totals.values()]
        .map((t): SpendReportRow => ({ ...t, spend: Math.round(t.spend * 1e9) / 1e9 }))
        .sort((a, b) => (a.day === b.day ? String(a.group).localeCompare(String(b.group)) : a.day < b.day ? -1 : 1));
    },
  };
}
