/** Gateway batches: where each lives upstream, who owns it, and the last wire object served. */
import type { Kysely, Selectable } from 'kysely';
import type { Batch, BatchStatus } from '../../contracts/openai.js';
import { TERMINAL_BATCH_STATUSES } from '../../contracts/openai.js';
import type { BatchListQuery, BatchRecord, BatchRepository, Page, PendingBatch } from '../../domain/ports/store.js';
import type { BatchesTable, Database } from '../schema.js';
import { fromJson, toJson } from './json.js';
import { afterCondition, emptyPage, ownerColumns, ownerOfRow, scopeCondition, toPage } from './listing.js';

const TERMINAL: BatchStatus[] = [...TERMINAL_BATCH_STATUSES];

const toRow = (b: BatchRecord): BatchesTable => ({
  id: b.id,
  deployment_id: b.deploymentId,
  upstream_ref: b.upstreamRef,
  input_file_id: b.inputFileId,
  model_group: b.modelGroup,
  status: b.status,
  object: toJson(b.object),
  created_at_ms: b.createdAtMs,
  updated_at_ms: b.updatedAtMs,
  state: 'ready',
  pending_targets: null,
  idempotency_key: null,
  request_fingerprint: null,
  ...ownerColumns(b.owner),
});

const fromRow = (r: Selectable<BatchesTable>): BatchRecord => ({
  id: r.id,
  deploymentId: r.deployment_id,
  upstreamRef: r.upstream_ref,
  inputFileId: r.input_file_id,
  modelGroup: r.model_group,
  status: r.status,
  object: fromJson<Batch>(r.object),
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
  owner: ownerOfRow(r),
});

export function batchRepository(db: Kysely<Database>): BatchRepository {
  return {
    insert: async (batch) => {
      await db.insertInto('batches').values(toRow(batch)).execute();
    },

    get: async (id) => {
      const row = await db.selectFrom('batches').selectAll().where('id', '=', id).where('state', '=', 'ready').executeTakeFirst();
      return row && fromRow(row);
    },

    update: async (id, update) => {
      await db
        .updateTable('batches')
        .set({ status: update.status, object: toJson(update.object), updated_at_ms: update.updatedAtMs })
        .where('id', '=', id)
        .execute();
    },

    list: async (query: BatchListQuery): Promise<Page<BatchRecord>> => {
      const scope = scopeCondition(query.scope);
      // `IN ()` is not SQL, and no group means no batch can match.
      if (scope === null || query.modelGroups?.length === 0) return emptyPage();
      let qb = db.selectFrom('batches').selectAll().where('state', '=', 'ready');
      if (scope !== undefined) qb = qb.where(scope);
      if (query.modelGroups !== undefined) qb = qb.where('model_group', 'in', [...query.modelGroups]);
      if (query.after !== undefined) qb = qb.where(afterCondition(query.after, 'desc'));
      const rows = await qb
        .orderBy('created_at_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, fromRow);
    },

    countActiveForInputFile: async (fileId) => {
      const row = await db
        .selectFrom('batches')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('input_file_id', '=', fileId)
        .where('status', 'not in', TERMINAL)
        .executeTakeFirstOrThrow();
      // COUNT is int8 on PostgreSQL, read as a number by the pool's parser; Number() keeps the
      // promise honest should a driver ever hand back a string.
      return Number(row.n);
    },

    insertPending: async (batch, targets, idempotency) => {
      const inserted = await db
        .insertInto('batches')
        .values({
          ...toRow(batch),
          state: 'pending',
          pending_targets: toJson(targets),
          idempotency_key: idempotency?.key ?? null,
          request_fingerprint: idempotency?.fingerprint ?? null,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    findByIdempotencyKey: async (key) => {
      const row = await db.selectFrom('batches').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
      return row && { batch: fromRow(row), state: row.state, fingerprint: row.request_fingerprint };
    },

    complete: async (id, placement) => {
      const result = await db
        .updateTable('batches')
        .set({
          state: 'ready',
          pending_targets: null,
          deployment_id: placement.deploymentId,
          upstream_ref: placement.upstreamRef,
          model_group: placement.modelGroup,
          status: placement.status,
          object: toJson(placement.object),
          updated_at_ms: placement.updatedAtMs,
        })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    listPending: async (updatedBeforeMs, limit): Promise<PendingBatch[]> => {
      const rows = await db
        .selectFrom('batches')
        .selectAll()
        .where('state', '=', 'pending')
        .where('updated_at_ms', '<', updatedBeforeMs)
        .orderBy('created_at_ms')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        batch: fromRow(r),
        targets: r.pending_targets === null ? [] : fromJson<string[]>(r.pending_targets),
        idempotencyKey: r.idempotency_key,
      }));
    },

    findByUpstream: async (deploymentId, upstreamRef) => {
      const row = await db
        .selectFrom('batches')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .where('upstream_ref', '=', upstreamRef)
        .where('state', '=', 'ready')
        .executeTakeFirst();
      return row && fromRow(row);
    },

    delete: async (id) => {
      await db.deleteFrom('batches').where('id', '=', id).execute();
    },
  };
}
