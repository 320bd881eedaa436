/**
 * The webhook outbox. Enqueue is insert-or-nothing on a deterministic id, so a finished batch
 * reported twice stores one row per endpoint. A claim leases due rows to one delivery loop and
 * counts the attempt; every later write is fenced by the lease (owner and token), so a loop whose
 * lease expired (stalled, or presumed dead) can no longer mark a row another loop now holds. On
 * PostgreSQL candidates are locked with `FOR UPDATE SKIP LOCKED`, so concurrent loops take
 * disjoint rows; SQLite has one writer, and the claim is a single conditional UPDATE.
 */
import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool, UpdateObject } from 'kysely';
import type {
  NewOutboxEntry,
  OutboxClaim,
  OutboxEntry,
  OutboxFence,
  OutboxRepository,
  WebhookTarget,
} from '../../domain/ports/store.js';
import type { Database, WebhookOutboxTable } from '../schema.js';

type Row = Selectable<WebhookOutboxTable>;

const targetColumns = (target: WebhookTarget): Pick<WebhookOutboxTable, 'target_kind' | 'target_ref'> =>
  target.kind === 'config' ? { target_kind: 'config', target_ref: target.url } : { target_kind: 'key', target_ref: target.keyHash };

const targetOf = (row: Row): WebhookTarget =>
  row.target_kind === 'config' ? { kind: 'config', url: row.target_ref } : { kind: 'key', keyHash: row.target_ref };

const toRow = (e: NewOutboxEntry): WebhookOutboxTable => ({
  webhook_id: e.webhookId,
  event_type: e.eventType,
  batch_id: e.batchId,
  payload: e.payload,
  ...targetColumns(e.target),
  url: e.url,
  state: 'pending',
  attempts: 0,
  next_attempt_at_ms: e.createdAtMs,
  last_error: null,
  lease_owner: null,
  leased_until_ms: null,
  lease_token: 0,
  created_at_ms: e.createdAtMs,
  updated_at_ms: e.createdAtMs,
  finished_at_ms: null,
});

const fromRow = (r: Row): OutboxEntry => ({
  webhookId: r.webhook_id,
  eventType: r.event_type,
  batchId: r.batch_id,
  payload: r.payload,
  target: targetOf(r),
  url: r.url,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAtMs: r.next_attempt_at_ms,
  lastError: r.last_error,
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
  finishedAtMs: r.finished_at_ms,
});

const claimOf = (r: Row): OutboxClaim => ({
  entry: fromRow(r),
  fence: { owner: r.lease_owner ?? '', token: r.lease_token },
});

/** Oldest due first, then by id, so claims are deterministic for equal times. */
const byDue = (a: Row, b: Row): number =>
  a.next_attempt_at_ms - b.next_attempt_at_ms || (a.webhook_id < b.webhook_id ? -1 : a.webhook_id > b.webhook_id ? 1 : 0);

type OutboxEb = ExpressionBuilder<Database, 'webhook_outbox'>;

/** Pending, due, and not held by a live lease. */
const claimable =
  (nowMs: number) =>
  (eb: OutboxEb): Expression<SqlBool> =>
    eb.and([
      eb('state', '=', 'pending'),
      eb('next_attempt_at_ms', '<=', nowMs),
      eb.or([eb('leased_until_ms', 'is', null), eb('leased_until_ms', '<=', nowMs)]),
    ]);

/** Rows are never split across statements: a batch of entries is at most this many per INSERT. */
const INSERT_CHUNK = 200;

export function outboxRepository(db: Kysely<Database>, options: { readonly skipLocked: boolean }): OutboxRepository {
  /** A write that ends (or renews) a claim, only while the claim still holds. */
  const fenced = async (webhookId: string, fence: OutboxFence, set: UpdateObject<Database, 'webhook_outbox'>): Promise<boolean> => {
    const result = await db
      .updateTable('webhook_outbox')
      .set({ ...set, lease_owner: null, leased_until_ms: null })
      .where('webhook_id', '=', webhookId)
      .where('state', '=', 'pending')
      .where('lease_owner', '=', fence.owner)
      .where('lease_token', '=', fence.token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  };

  const leaseSet = (owner: string, nowMs: number, leaseMs: number) => (eb: OutboxEb) => ({
    lease_owner: owner,
    leased_until_ms: nowMs + leaseMs,
    lease_token: eb('lease_token', '+', 1),
    attempts: eb('attempts', '+', 1),
    updated_at_ms: nowMs,
  });

  return {
    enqueue: async (entries) => {
      let added = 0;
      for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
        const rows = await db
          .insertInto('webhook_outbox')
          .values(entries.slice(i, i + INSERT_CHUNK).map(toRow))
          .onConflict((oc) => oc.column('webhook_id').doNothing())
          .returning('webhook_id')
          .execute();
        added += rows.length;
      }
      return added;
    },

    claimDue: async ({ nowMs, limit, owner, leaseMs }) => {
      if (limit <= 0) return [];
      if (options.skipLocked) {
        return db.transaction().execute(async (trx) => {
          const due = await trx
            .selectFrom('webhook_outbox')
            .select('webhook_id')
            .where(claimable(nowMs))
            .orderBy('next_attempt_at_ms')
            .orderBy('webhook_id')
            .limit(limit)
            .forUpdate()
            .skipLocked()
            .execute();
          if (due.length === 0) return [];
          const rows = await trx
            .updateTable('webhook_outbox')
            .set(leaseSet(owner, nowMs, leaseMs))
            .where(
              'webhook_id',
              'in',
              due.map((d) => d.webhook_id),
            )
            // Re-checked under the row locks: a row that stopped being claimable is left alone.
            .where(claimable(nowMs))
            .returningAll()
            .execute();
          return rows.sort(byDue).map(claimOf);
        });
      }
      // Most passes find nothing: a read first, so an idle loop never takes SQLite's write lock.
      const any = await db.selectFrom('webhook_outbox').select('webhook_id').where(claimable(nowMs)).limit(1).executeTakeFirst();
      if (any === undefined) return [];
      // One statement: SQLite runs it under its single write lock, so two processes sharing the
      // file cannot both take a row.
      const rows = await db
        .updateTable('webhook_outbox')
        .set(leaseSet(owner, nowMs, leaseMs))
        .where('webhook_id', 'in', (eb) =>
          eb
            .selectFrom('webhook_outbox')
            .select('webhook_id')
            .where(claimable(nowMs))
            .orderBy('next_attempt_at_ms')
            .orderBy('webhook_id')
            .limit(limit),
        )
        .where(claimable(nowMs))
        .returningAll()
        .execute();
      return rows.sort(byDue).map(claimOf);
    },

    markDelivered: (webhookId, fence, atMs) =>
      fenced(webhookId, fence, { state: 'delivered', last_error: null, updated_at_ms: atMs, finished_at_ms: atMs }),

    retryLater: (webhookId, fence, failure) =>
      fenced(webhookId, fence, {
        last_error: failure.lastError,
        next_attempt_at_ms: failure.nextAttemptAtMs,
        updated_at_ms: failure.atMs,
        ...(failure.refundAttempt === true ? { attempts: (eb: OutboxEb) => eb('attempts', '-', 1) } : {}),
      }),

    giveUp: (webhookId, fence, failure) =>
      fenced(webhookId, fence, {
        state: 'given_up',
        last_error: failure.lastError,
        updated_at_ms: failure.atMs,
        finished_at_ms: failure.atMs,
      }),

    get: async (webhookId) => {
      const row = await db.selectFrom('webhook_outbox').selectAll().where('webhook_id', '=', webhookId).executeTakeFirst();
      return row && fromRow(row);
    },

    listForBatch: async (batchId) => {
      const rows = await db
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('batch_id', '=', batchId)
        .orderBy('created_at_ms')
        .orderBy('webhook_id')
        .execute();
      return rows.map(fromRow);
    },

    countPending: async () => {
      const row = await db
        .selectFrom('webhook_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'pending')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
