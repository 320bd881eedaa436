/** Gateway batches: where each lives upstream, who owns it, and the last wire object served. */
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Batch, BatchStatus } from '../../contracts/openai.js';
import { TERMINAL_BATCH_STATUSES } from '../../contracts/openai.js';
import type { BatchListQuery, BatchRecord, BatchRepository, BatchUpdate, ListedBatch, Page, PendingBatch } from '../../domain/ports/store.js';
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
  refreshed_at_ms: b.refreshedAtMs,
  // A batch stored ready and not yet terminal is due for its first poll now.
  next_poll_at_ms: TERMINAL_BATCH_STATUSES.has(b.status) ? null : b.updatedAtMs,
  version: 0,
  poll_attempts: 0,
  lease_owner: null,
  lease_expires_at_ms: null,
  lease_token: 0,
  cost_booked_at_ms: null,
  state: 'ready',
  pending_targets: null,
  idempotency_key: null,
  request_fingerprint: null,
  ...ownerColumns(b.owner),
});

export const batchFromRow = (r: Selectable<BatchesTable>): BatchRecord => ({
  id: r.id,
  deploymentId: r.deployment_id,
  upstreamRef: r.upstream_ref,
  inputFileId: r.input_file_id,
  modelGroup: r.model_group,
  status: r.status,
  object: fromJson<Batch>(r.object),
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
  refreshedAtMs: r.refreshed_at_ms ?? r.updated_at_ms,
  owner: ownerOfRow(r),
});

const fromRow = batchFromRow;

/** The columns an update writes; every write bumps the version compare-and-set relies on. */
const updateColumns =
  (update: BatchUpdate) =>
  (eb: ExpressionBuilder<Database, 'batches'>) => ({
    status: update.status,
    object: toJson(update.object),
    updated_at_ms: update.updatedAtMs,
    ...(update.refreshedAtMs === undefined ? {} : { refreshed_at_ms: update.refreshedAtMs }),
    version: eb('version', '+', 1),
  });

/** How often updateWith starts over after losing a race; each loss means another write landed. */
const CAS_ATTEMPTS = 8;

export function batchRepository(db: Kysely<Database>): BatchRepository {
  return {
    insert: async (batch) => {
      await db.insertInto('batches').values(toRow(batch)).execute();
    },

    get: async (id) => {
      const row = await db.selectFrom('batches').selectAll().where('id', '=', id).where('state', '=', 'ready').executeTakeFirst();
      return row && fromRow(row);
    },

    countByStatus: async () => {
      const rows = await db
        .selectFrom('batches')
        .select(['deployment_id', 'model_group', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('state', '=', 'ready')
        .groupBy(['deployment_id', 'model_group', 'status'])
        .execute();
      return rows.map((r) => ({ deploymentId: r.deployment_id, group: r.model_group ?? '', status: r.status, count: Number(r.n) }));
    },

    updateWith: async (id, change, fence) => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const row = await db.selectFrom('batches').selectAll().where('id', '=', id).where('state', '=', 'ready').executeTakeFirst();
        if (row === undefined) return undefined;
        if (fence !== undefined && (row.lease_token !== fence.token || row.lease_owner !== fence.owner)) return undefined;
        const current = fromRow(row);
        const update = change(current);
        if (update === null) return current;
        let qb = db
          .updateTable('batches')
          .set(updateColumns(update))
          .where('id', '=', id)
          .where('version', '=', row.version);
        if (fence !== undefined) qb = qb.where('lease_token', '=', fence.token);
        const result = await qb.executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) {
          return { ...current, status: update.status, object: update.object, updatedAtMs: update.updatedAtMs, refreshedAtMs: update.refreshedAtMs ?? current.refreshedAtMs };
        }
        if (fence !== undefined) {
          const now = await db.selectFrom('batches').select('lease_token').where('id', '=', id).executeTakeFirst();
          if (now?.lease_token !== fence.token) return undefined;
        }
      }
      throw new Error(`batch ${id}: kept losing compare-and-set races`);
    },

    list: async (query: BatchListQuery): Promise<Page<ListedBatch>> => {
      const scope = scopeCondition(query.scope);
      // `IN ()` is not SQL, and no group means no batch can match.
      if (scope === null || query.modelGroups?.length === 0) return emptyPage();
      let qb = db.selectFrom('batches').select(['id', 'created_at_ms', 'object']).where('state', '=', 'ready');
      if (scope !== undefined) qb = qb.where(scope);
      if (query.modelGroups !== undefined) qb = qb.where('model_group', 'in', [...query.modelGroups]);
      if (query.teamId !== undefined) qb = qb.where('owner_team_id', '=', query.teamId);
      if (query.after !== undefined) qb = qb.where(afterCondition(query.after, 'desc'));
      const rows = await qb
        .orderBy('created_at_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, (r) => ({ id: r.id, createdAtMs: r.created_at_ms, objectJson: r.object }));
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
          refreshed_at_ms: placement.updatedAtMs,
          next_poll_at_ms: placement.nextPollAtMs,
          version: (eb) => eb('version', '+', 1),
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
