/**
 * The worker's poll schedule and leases. A claim picks due batches whose lease is free or expired
 * and takes each with a compare-and-set that bumps its fencing token; on PostgreSQL the candidates
 * are first locked with `FOR UPDATE SKIP LOCKED`, so concurrent workers pick disjoint batches
 * instead of colliding on the same rows. (SQLite has one writer; the compare-and-set suffices.)
 */
import type { Kysely } from 'kysely';
import type { PollLease, PollRepository } from '../../domain/ports/store.js';
import type { Database } from '../schema.js';
import { batchFromRow } from './batches.js';

export function pollRepository(db: Kysely<Database>, options: { readonly skipLocked: boolean }): PollRepository {
  return {
    claimDue: async ({ nowMs, limit, owner, leaseMs }) => {
      if (options.skipLocked) {
        return db.transaction().execute(async (trx) => {
          const due = await trx
            .selectFrom('batches')
            .select('id')
            .where('state', '=', 'ready')
            .where('next_poll_at_ms', '<=', nowMs)
            .where((eb) => eb.or([eb('lease_expires_at_ms', 'is', null), eb('lease_expires_at_ms', '<', nowMs)]))
            .orderBy('next_poll_at_ms')
            .limit(limit)
            .forUpdate()
            .skipLocked()
            .execute();
          if (due.length === 0) return [];
          const rows = await trx
            .updateTable('batches')
            .set((eb) => ({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: eb('lease_token', '+', 1) }))
            .where(
              'id',
              'in',
              due.map((d) => d.id),
            )
            .returningAll()
            .execute();
          return rows.map((r): PollLease => ({ batch: batchFromRow(r), fence: { owner, token: r.lease_token }, attempts: r.poll_attempts }));
        });
      }
      const due = await db
        .selectFrom('batches')
        .select(['id', 'lease_token'])
        .where('state', '=', 'ready')
        .where('next_poll_at_ms', '<=', nowMs)
        .where((eb) => eb.or([eb('lease_expires_at_ms', 'is', null), eb('lease_expires_at_ms', '<', nowMs)]))
        .orderBy('next_poll_at_ms')
        .limit(limit)
        .execute();
      const leases: PollLease[] = [];
      for (const candidate of due) {
        const row = await db
          .updateTable('batches')
          .set({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: candidate.lease_token + 1 })
          .where('id', '=', candidate.id)
          .where('lease_token', '=', candidate.lease_token)
          .where((eb) => eb.or([eb('lease_expires_at_ms', 'is', null), eb('lease_expires_at_ms', '<', nowMs)]))
          .returningAll()
          .executeTakeFirst();
        if (row !== undefined) leases.push({ batch: batchFromRow(row), fence: { owner, token: row.lease_token }, attempts: row.poll_attempts });
      }
      return leases;
    },

    release: async (id, fence, next) => {
      const result = await db
        .updateTable('batches')
        .set({ lease_owner: null, lease_expires_at_ms: null, next_poll_at_ms: next.nextPollAtMs, poll_attempts: next.attempts })
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
