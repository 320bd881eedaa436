/**
 * The worker's poll schedule and leases. A claim picks due batches whose lease is free or expired
 * and takes each with a bump of its fencing token (`lease-claim.ts`: `FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, a compare-and-set on SQLite).
 */
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { PollLease, PollRepository } from '../../domain/ports/store.js';
import type { BatchesTable, Database } from '../schema.js';
import { claimLeases } from './lease-claim.js';
import { batchFromRow } from './batches.js';

export function pollRepository(db: Kysely<Database>, options: { readonly skipLocked: boolean }): PollRepository {
  return {
    claimDue: async ({ nowMs, limit, owner, leaseMs }) => {
      const free = (eb: ExpressionBuilder<Database, 'batches'>) => eb.or([eb('lease_expires_at_ms', 'is', null), eb('lease_expires_at_ms', '<', nowMs)]);
      const leaseOf = (r: Selectable<BatchesTable>): PollLease => ({ batch: batchFromRow(r), fence: { owner, token: r.lease_token }, attempts: r.poll_attempts });
      const rows = await claimLeases(db, {
        skipLocked: options.skipLocked,
        candidates: (executor, lock) => {
          const query = executor
            .selectFrom('batches')
            .select(['id', 'lease_token'])
            .where('state', '=', 'ready')
            .where('next_poll_at_ms', '<=', nowMs)
            .where(free)
            .orderBy('next_poll_at_ms')
            .limit(limit);
          return (lock ? query.forUpdate().skipLocked() : query).execute();
        },
        takeAll: (trx, due) =>
          trx
            .updateTable('batches')
            .set((eb) => ({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: eb('lease_token', '+', 1) }))
            .where(
              'id',
              'in',
              due.map((d) => d.id),
            )
            .returningAll()
            .execute(),
        takeOne: (executor, candidate) =>
          executor
            .updateTable('batches')
            .set({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: candidate.lease_token + 1 })
            .where('id', '=', candidate.id)
            .where('lease_token', '=', candidate.lease_token)
            .where(free)
            .returningAll()
            .executeTakeFirst(),
      });
      return rows.map(leaseOf);
    },

    release: async (id, fence, next) => {
      const result = await db
        .updateTable('batches')
        .set({
          lease_owner: null,
          lease_expires_at_ms: null,
          next_poll_at_ms: next.nextPollAtMs,
          poll_attempts: next.attempts,
          ...(next.refreshedAtMs === undefined ? {} : { refreshed_at_ms: next.refreshedAtMs }),
        })
        .where('id', '=', id)
        .where('lease_token', '=', fence.token)
        .where('lease_owner', '=', fence.owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    oldestDueMs: async (nowMs) => {
      const row = await db
        .selectFrom('batches')
        .select((eb) => eb.fn.min('next_poll_at_ms').as('due'))
        .where('state', '=', 'ready')
        .where('next_poll_at_ms', '<=', nowMs)
        .executeTakeFirst();
      return row?.due === null || row?.due === undefined ? null : Number(row.due);
    },

    pollSoon: async (id, atMs) => {
      // Only ever earlier: a batch with nothing left to do (null) or due sooner already is left alone.
      await db
        .updateTable('batches')
        .set({ next_poll_at_ms: atMs })
        .where('id', '=', id)
        .where('state', '=', 'ready')
        .where('next_poll_at_ms', 'is not', null)
        .where('next_poll_at_ms', '>', atMs)
        .execute();
    },
  };
}
