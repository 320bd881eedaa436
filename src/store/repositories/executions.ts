/**
 * Gateway-executed batches: the execution rows the phase worker leases, the chunks dispatchers
 * lease, and the write-once result rows. Every claim bumps a fencing token and every fenced write
 * carries it, so a process that lost its lease can no longer write. On PostgreSQL claim candidates
 * are locked `FOR UPDATE SKIP LOCKED` (chunks alone, not the executions they are joined to), so
 * concurrent claimers take disjoint rows; on SQLite (one writer) each candidate is taken with a
 * compare-and-set on its token. Unfenced changes are a compare-and-set on a hidden version, which
 * every write of the record bumps.
 */
import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool, UpdateObject } from 'kysely';
import type { BatchError } from '../../contracts/openai.js';
import type {
  ChunkLease,
  ChunkRecord,
  ExecutionLease,
  ExecutionPatch,
  ExecutionRecord,
  ExecutionRepository,
  ExecutionResult,
} from '../../domain/ports/executions.js';
import { claimLeases } from './lease-claim.js';
import type { Database, ExecutionChunksTable, ExecutionResultsTable, ExecutionsTable } from '../schema.js';
import { fromJson, toJson } from './json.js';

type ExecutionRow = Selectable<ExecutionsTable>;
type ChunkRow = Selectable<ExecutionChunksTable>;
type ResultRow = Selectable<ExecutionResultsTable>;

const toRow = (e: ExecutionRecord): ExecutionsTable => ({
  batch_id: e.batchId,
  deployment_id: e.deploymentId,
  model_group: e.modelGroup,
  input_ref: e.inputRef,
  endpoint: e.endpoint,
  completion_window: e.completionWindow,
  metadata: e.metadata === null ? null : toJson(e.metadata),
  status: e.status,
  stop_reason: e.stopReason,
  errors: e.errors === null ? null : toJson(e.errors),
  total: e.total,
  completed: e.completed,
  failed: e.failed,
  output_ref: e.outputRef,
  error_ref: e.errorRef,
  created_at_ms: e.createdAtMs,
  expires_at_ms: e.expiresAtMs,
  in_progress_at_ms: e.inProgressAtMs,
  cancelling_at_ms: e.cancellingAtMs,
  finalizing_at_ms: e.finalizingAtMs,
  ended_at_ms: e.endedAtMs,
  next_step_at_ms: e.nextStepAtMs,
  updated_at_ms: e.updatedAtMs,
  version: 0,
  lease_owner: null,
  lease_expires_at_ms: null,
  lease_token: 0,
});

export const executionFromRow = (r: ExecutionRow): ExecutionRecord => ({
  batchId: r.batch_id,
  deploymentId: r.deployment_id,
  modelGroup: r.model_group,
  inputRef: r.input_ref,
  endpoint: r.endpoint,
  completionWindow: r.completion_window,
  metadata: r.metadata === null ? null : fromJson<Record<string, string>>(r.metadata),
  status: r.status,
  stopReason: r.stop_reason,
  errors: r.errors === null ? null : fromJson<BatchError[]>(r.errors),
  total: r.total,
  completed: r.completed,
  failed: r.failed,
  outputRef: r.output_ref,
  errorRef: r.error_ref,
  createdAtMs: r.created_at_ms,
  expiresAtMs: r.expires_at_ms,
  inProgressAtMs: r.in_progress_at_ms,
  cancellingAtMs: r.cancelling_at_ms,
  finalizingAtMs: r.finalizing_at_ms,
  endedAtMs: r.ended_at_ms,
  nextStepAtMs: r.next_step_at_ms,
  updatedAtMs: r.updated_at_ms,
});

export const chunkFromRow = (r: Pick<ChunkRow, 'batch_id' | 'chunk_no' | 'first_line' | 'line_count' | 'byte_start' | 'state'>): ChunkRecord => ({
  batchId: r.batch_id,
  chunkNo: r.chunk_no,
  firstLine: r.first_line,
  lineCount: r.line_count,
  byteStart: r.byte_start,
  state: r.state,
});

export const resultFromRow = (r: ResultRow): ExecutionResult => ({
  batchId: r.batch_id,
  lineNo: r.line_no,
  customId: r.custom_id,
  outcome: r.outcome,
  line: r.line,
  costUsd: r.cost_usd,
  createdAtMs: r.created_at_ms,
});

/** The columns a patch writes; fields it leaves out are not touched. */
function patchColumns(patch: ExecutionPatch): UpdateObject<Database, 'executions'> {
  const set: UpdateObject<Database, 'executions'> = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.stopReason !== undefined) set.stop_reason = patch.stopReason;
  if (patch.errors !== undefined) set.errors = patch.errors === null ? null : toJson(patch.errors);
  if (patch.total !== undefined) set.total = patch.total;
  if (patch.completed !== undefined) set.completed = patch.completed;
  if (patch.failed !== undefined) set.failed = patch.failed;
  if (patch.outputRef !== undefined) set.output_ref = patch.outputRef;
  if (patch.errorRef !== undefined) set.error_ref = patch.errorRef;
  if (patch.inProgressAtMs !== undefined) set.in_progress_at_ms = patch.inProgressAtMs;
  if (patch.cancellingAtMs !== undefined) set.cancelling_at_ms = patch.cancellingAtMs;
  if (patch.finalizingAtMs !== undefined) set.finalizing_at_ms = patch.finalizingAtMs;
  if (patch.endedAtMs !== undefined) set.ended_at_ms = patch.endedAtMs;
  if (patch.nextStepAtMs !== undefined) set.next_step_at_ms = patch.nextStepAtMs;
  return set;
}

/** A patched write of the record: stamped, and bumping the version updateWith compares. */
const recordWrite = (patch: ExecutionPatch, nowMs: number) => (eb: ExpressionBuilder<Database, 'executions'>) => ({
  ...patchColumns(patch),
  updated_at_ms: nowMs,
  version: eb('version', '+', 1),
});

type ExecutionEb = ExpressionBuilder<Database, 'executions'>;
type ChunkEb = ExpressionBuilder<Database, 'execution_chunks'>;

/** Due, and not held by a live lease. A lease holds while `nowMs` is before its expiry. */
const executionClaimable =
  (nowMs: number) =>
  (eb: ExecutionEb): Expression<SqlBool> =>
    eb.and([
      eb('next_step_at_ms', 'is not', null),
      eb('next_step_at_ms', '<=', nowMs),
      eb.or([eb('lease_expires_at_ms', 'is', null), eb('lease_expires_at_ms', '<=', nowMs)]),
    ]);

/** Still to run, and not held by a live lease. */
const chunkClaimable =
  (nowMs: number) =>
  (eb: ChunkEb): Expression<SqlBool> =>
    eb.and([
      eb('execution_chunks.state', '=', 'todo'),
      eb.or([eb('execution_chunks.lease_expires_at_ms', 'is', null), eb('execution_chunks.lease_expires_at_ms', '<=', nowMs)]),
    ]);

/** Oldest due first, then by id, so claims are deterministic for equal times. */
const byDue = (a: ExecutionRow, b: ExecutionRow): number =>
  (a.next_step_at_ms ?? 0) - (b.next_step_at_ms ?? 0) || (a.batch_id < b.batch_id ? -1 : a.batch_id > b.batch_id ? 1 : 0);

/** Chunk rows per INSERT: 9 columns each stays far below either database's parameter limit. */
const INSERT_CHUNK = 500;
/** Result rows per INSERT: 7 columns each, likewise. */
const RESULT_INSERT_ROWS = 500;

/** How often updateWith starts over after losing a race; each loss means another write landed. */
const CAS_ATTEMPTS = 5;

export function executionRepository(db: Kysely<Database>, options: { readonly skipLocked: boolean }): ExecutionRepository {
  /** A write to a chunk, only while the lease still holds. */
  const fencedChunk = async (lease: ChunkLease, set: UpdateObject<Database, 'execution_chunks'>): Promise<boolean> => {
    const result = await db
      .updateTable('execution_chunks')
      .set(set)
      .where('batch_id', '=', lease.chunk.batchId)
      .where('chunk_no', '=', lease.chunk.chunkNo)
      .where('state', '=', 'todo')
      .where('lease_owner', '=', lease.fence.owner)
      .where('lease_token', '=', lease.fence.token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  };

  /** The chunk claim's candidates, round-robin over executions: chunk order first, then oldest execution. */
  const chunkCandidates = (executor: Kysely<Database>, nowMs: number, limit: number) =>
    executor
      .selectFrom('execution_chunks')
      .innerJoin('executions', 'executions.batch_id', 'execution_chunks.batch_id')
      .select(['execution_chunks.batch_id', 'execution_chunks.chunk_no', 'execution_chunks.lease_token'])
      .where('executions.status', '=', 'in_progress')
      .where('executions.stop_reason', 'is', null)
      .where(chunkClaimable(nowMs))
      .orderBy('execution_chunks.chunk_no')
      .orderBy('executions.created_at_ms')
      .orderBy('execution_chunks.batch_id')
      .limit(limit);

  return {
    insert: async (execution) => {
      const inserted = await db
        .insertInto('executions')
        .values(toRow(execution))
        .onConflict((oc) => oc.column('batch_id').doNothing())
        .returning('batch_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    get: async (batchId) => {
      const row = await db.selectFrom('executions').selectAll().where('batch_id', '=', batchId).executeTakeFirst();
      return row && executionFromRow(row);
    },

    listCreatedSince: async (sinceMs, limit) => {
      if (limit <= 0) return [];
      const rows = await db
        .selectFrom('executions')
        .selectAll()
        .where('created_at_ms', '>=', sinceMs)
        .orderBy('created_at_ms', 'desc')
        .orderBy('batch_id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(executionFromRow);
    },

    countActiveForInput: async (inputRef) => {
      const row = await db
        .selectFrom('executions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('input_ref', '=', inputRef)
        .where('status', 'not in', ['completed', 'failed', 'expired', 'cancelled'])
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    claimDue: async ({ nowMs, owner, leaseMs, limit }) => {
      if (limit <= 0) return [];
      const leaseOf = (r: ExecutionRow): ExecutionLease => ({ execution: executionFromRow(r), fence: { owner, token: r.lease_token } });
      const rows = await claimLeases(db, {
        skipLocked: options.skipLocked,
        candidates: (executor, lock) => {
          const query = executor
            .selectFrom('executions')
            .select(['batch_id', 'lease_token'])
            .where(executionClaimable(nowMs))
            .orderBy('next_step_at_ms')
            .orderBy('batch_id')
            .limit(limit);
          return (lock ? query.forUpdate().skipLocked() : query).execute();
        },
        takeAll: async (trx, due) =>
          (
            await trx
              .updateTable('executions')
              .set((eb) => ({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: eb('lease_token', '+', 1) }))
              .where(
                'batch_id',
                'in',
                due.map((d) => d.batch_id),
              )
              // Re-checked under the row locks: a row that stopped being claimable is left alone.
              .where(executionClaimable(nowMs))
              .returningAll()
              .execute()
          ).sort(byDue),
        takeOne: (executor, candidate) =>
          executor
            .updateTable('executions')
            .set({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: candidate.lease_token + 1 })
            .where('batch_id', '=', candidate.batch_id)
            .where('lease_token', '=', candidate.lease_token)
            .where(executionClaimable(nowMs))
            .returningAll()
            .executeTakeFirst(),
      });
      return rows.map(leaseOf);
    },

    release: async (batchId, fence, patch, nowMs) => {
      const result = await db
        .updateTable('executions')
        .set((eb) => ({ ...recordWrite(patch, nowMs)(eb), lease_owner: null, lease_expires_at_ms: null }))
        .where('batch_id', '=', batchId)
        .where('lease_owner', '=', fence.owner)
        .where('lease_token', '=', fence.token)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    startChunks: (batchId, fence, chunks, patch, nowMs) =>
      db.transaction().execute(async (trx) => {
        // The fenced write first: on PostgreSQL it also locks the row until the chunks are in.
        const result = await trx
          .updateTable('executions')
          .set((eb) => ({ ...recordWrite(patch, nowMs)(eb), lease_owner: null, lease_expires_at_ms: null }))
          .where('batch_id', '=', batchId)
          .where('lease_owner', '=', fence.owner)
          .where('lease_token', '=', fence.token)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        for (let i = 0; i < chunks.length; i += INSERT_CHUNK) {
          await trx
            .insertInto('execution_chunks')
            .values(
              chunks.slice(i, i + INSERT_CHUNK).map((c) => ({
                batch_id: batchId,
                chunk_no: c.chunkNo,
                first_line: c.firstLine,
                line_count: c.lineCount,
                byte_start: c.byteStart,
                state: 'todo' as const,
                lease_owner: null,
                lease_expires_at_ms: null,
                lease_token: 0,
              })),
            )
            // A chunk stored before (a validation run again) keeps its state and lease.
            .onConflict((oc) => oc.columns(['batch_id', 'chunk_no']).doNothing())
            .execute();
        }
        return true;
      }),

    updateWith: async (batchId, change, nowMs) => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const row = await db.selectFrom('executions').selectAll().where('batch_id', '=', batchId).executeTakeFirst();
        if (row === undefined) return undefined;
        const current = executionFromRow(row);
        const patch = change(current);
        if (patch === null) return current;
        const written = await db
          .updateTable('executions')
          .set(recordWrite(patch, nowMs))
          .where('batch_id', '=', batchId)
          .where('version', '=', row.version)
          .returningAll()
          .executeTakeFirst();
        if (written !== undefined) return executionFromRow(written);
      }
      throw new Error(`execution ${batchId}: kept losing compare-and-set races`);
    },

    claimChunks: async ({ nowMs, owner, leaseMs, limit }) => {
      if (limit <= 0) return [];
      const leaseOf = (r: ChunkRow): ChunkLease => ({ chunk: chunkFromRow(r), fence: { owner, token: r.lease_token } });
      const rows = await claimLeases(db, {
        skipLocked: options.skipLocked,
        // Only the chunk rows are locked: the execution rows stay free for the phase worker.
        candidates: (executor, lock) => {
          const query = chunkCandidates(executor, nowMs, limit);
          return (lock ? query.forUpdate('execution_chunks').skipLocked() : query).execute();
        },
        takeAll: async (trx, due) => {
          const taken = await trx
            .updateTable('execution_chunks')
            .set((eb) => ({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: eb('lease_token', '+', 1) }))
            .where((eb) =>
              eb.or(due.map((d) => eb.and([eb('execution_chunks.batch_id', '=', d.batch_id), eb('execution_chunks.chunk_no', '=', d.chunk_no)]))),
            )
            .where(chunkClaimable(nowMs))
            .returningAll()
            .execute();
          // Back in the claim's order (chunk order, then oldest execution).
          const rank = new Map(due.map((d, i) => [`${d.batch_id}\u0000${d.chunk_no}`, i]));
          const at = (r: ChunkRow): number => rank.get(`${r.batch_id}\u0000${r.chunk_no}`) ?? 0;
          return taken.sort((a, b) => at(a) - at(b));
        },
        takeOne: (executor, candidate) =>
          executor
            .updateTable('execution_chunks')
            .set({ lease_owner: owner, lease_expires_at_ms: nowMs + leaseMs, lease_token: candidate.lease_token + 1 })
            .where('batch_id', '=', candidate.batch_id)
            .where('chunk_no', '=', candidate.chunk_no)
            .where('lease_token', '=', candidate.lease_token)
            .where(chunkClaimable(nowMs))
            .returningAll()
            .executeTakeFirst(),
      });
      return rows.map(leaseOf);
    },

    renewChunk: (lease, untilMs) => fencedChunk(lease, { lease_expires_at_ms: untilMs }),

    finishChunk: (lease) => fencedChunk(lease, { state: 'done', lease_owner: null, lease_expires_at_ms: null }),

    releaseChunk: async (lease) => {
      await fencedChunk(lease, { lease_owner: null, lease_expires_at_ms: null });
    },

    chunkProgress: async (batchId, nowMs) => {
      const row = await db
        .selectFrom('execution_chunks')
        .select((eb) => [
          eb.fn.countAll<number>().filterWhere('state', '=', 'todo').as('todo'),
          eb.fn
            .countAll<number>()
            .filterWhere((f) => f.and([f('state', '=', 'todo'), f('lease_expires_at_ms', '>', nowMs)]))
            .as('leased'),
          eb.fn.countAll<number>().filterWhere('state', '=', 'done').as('done'),
        ])
        .where('batch_id', '=', batchId)
        .executeTakeFirstOrThrow();
      return { todo: Number(row.todo), leased: Number(row.leased), done: Number(row.done) };
    },

    recordResult: async (result) => {
      const inserted = await db
        .insertInto('execution_results')
        .values({
          batch_id: result.batchId,
          line_no: result.lineNo,
          custom_id: result.customId,
          outcome: result.outcome,
          line: result.line,
          cost_usd: result.costUsd,
          created_at_ms: result.createdAtMs,
        })
        .onConflict((oc) => oc.columns(['batch_id', 'line_no']).doNothing())
        .returning('line_no')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    recordResults: async (results) => {
      let stored = 0;
      for (let i = 0; i < results.length; i += RESULT_INSERT_ROWS) {
        const inserted = await db
          .insertInto('execution_results')
          .values(
            results.slice(i, i + RESULT_INSERT_ROWS).map((r) => ({
              batch_id: r.batchId,
              line_no: r.lineNo,
              custom_id: r.customId,
              outcome: r.outcome,
              line: r.line,
              cost_usd: r.costUsd,
              created_at_ms: r.createdAtMs,
            })),
          )
          // Write-once per line, within the statement too: a repeated line keeps its first result.
          .onConflict((oc) => oc.columns(['batch_id', 'line_no']).doNothing())
          .executeTakeFirst();
        stored += Number(inserted.numInsertedOrUpdatedRows ?? 0);
      }
      return stored;
    },

    linesDone: async (batchId, fromLine, toLine) => {
      if (toLine <= fromLine) return [];
      const rows = await db
        .selectFrom('execution_results')
        .select('line_no')
        .where('batch_id', '=', batchId)
        .where('line_no', '>=', fromLine)
        .where('line_no', '<', toLine)
        .orderBy('line_no')
        .execute();
      return rows.map((r) => r.line_no);
    },

    resultCounts: async (batchId) => {
      const rows = await db
        .selectFrom('execution_results')
        .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
        .where('batch_id', '=', batchId)
        .groupBy('outcome')
        .execute();
      const count = (outcome: string): number => Number(rows.find((r) => r.outcome === outcome)?.n ?? 0);
      return { ok: count('ok'), error: count('error') };
    },

    costSoFar: async (batchId) => {
      const row = await db
        .selectFrom('execution_results')
        .select((eb) => eb.fn.sum<number | null>('cost_usd').as('cost'))
        .where('batch_id', '=', batchId)
        .executeTakeFirst();
      return row?.cost === null || row?.cost === undefined ? 0 : Number(row.cost);
    },

    resultsAfter: async (batchId, afterLine, limit) => {
      if (limit <= 0) return [];
      const rows = await db
        .selectFrom('execution_results')
        .selectAll()
        .where('batch_id', '=', batchId)
        .where('line_no', '>', afterLine)
        .orderBy('line_no')
        .limit(limit)
        .execute();
      return rows.map(resultFromRow);
    },

    deleteWorkRows: async (batchId) => {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('execution_results').where('batch_id', '=', batchId).execute();
        await trx.deleteFrom('execution_chunks').where('batch_id', '=', batchId).execute();
      });
    },
  };
}
