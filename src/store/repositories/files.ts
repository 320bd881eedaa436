/** Gateway files and their upstream copies. */
import type { Kysely, Selectable } from 'kysely';
import type { FileCopyRecord, FileListQuery, FileRecord, FileRepository, ListedFile, Page, PendingFile } from '../../domain/ports/store.js';
import type { Database, FileCopiesTable, FilesTable } from '../schema.js';
import { fromJson, toJson } from './json.js';
import { afterCondition, emptyPage, ownerColumns, ownerOfRow, scopeCondition, toPage } from './listing.js';

const toRow = (f: FileRecord): FilesTable => ({
  id: f.id,
  kind: f.kind,
  purpose: f.purpose,
  filename: f.filename,
  bytes: f.bytes,
  created_at_ms: f.createdAtMs,
  expires_at: f.expiresAt,
  status: f.status,
  model_groups: toJson(f.modelGroups),
  line_count: f.lineCount,
  line_models: toJson(f.lineModels),
  source_batch_id: f.sourceBatchId,
  input_tokens: f.inputTokens,
  endpoint: f.endpoint,
  state: 'ready',
  pending_targets: null,
  ...ownerColumns(f.owner),
});

/** The columns a listing reads: what the File object shows, and the cursor. */
const LISTED_COLUMNS = ['id', 'purpose', 'filename', 'bytes', 'created_at_ms', 'expires_at', 'status'] as const;

const listedFromRow = (r: Pick<Selectable<FilesTable>, (typeof LISTED_COLUMNS)[number]>): ListedFile => ({
  id: r.id,
  purpose: r.purpose,
  filename: r.filename,
  bytes: r.bytes,
  createdAtMs: r.created_at_ms,
  expiresAt: r.expires_at,
  status: r.status,
});

const fromRow = (r: Selectable<FilesTable>): FileRecord => ({
  ...listedFromRow(r),
  kind: r.kind,
  modelGroups: fromJson<string[]>(r.model_groups),
  lineCount: r.line_count,
  lineModels: fromJson<string[]>(r.line_models),
  sourceBatchId: r.source_batch_id,
  inputTokens: r.input_tokens,
  endpoint: r.endpoint,
  owner: ownerOfRow(r),
});

const copyToRow = (c: FileCopyRecord): FileCopiesTable => ({
  file_id: c.fileId,
  deployment_id: c.deploymentId,
  upstream_ref: c.upstreamRef,
  created_at_ms: c.createdAtMs,
});

const copyFromRow = (r: Selectable<FileCopiesTable>): FileCopyRecord => ({
  fileId: r.file_id,
  deploymentId: r.deployment_id,
  upstreamRef: r.upstream_ref,
  createdAtMs: r.created_at_ms,
});

/**
 * How often mintForUpstream starts over when the row it lost to vanished before it could be read
 * (deleted in between). Each retry means another caller made progress, so a few suffice.
 */
const MINT_ATTEMPTS = 5;

export function fileRepository(db: Kysely<Database>): FileRepository {
  const findByUpstream = async (deploymentId: string, upstreamRef: string): Promise<FileRecord | undefined> => {
    const row = await db
      .selectFrom('file_copies')
      .innerJoin('files', 'files.id', 'file_copies.file_id')
      .selectAll('files')
      .where('file_copies.deployment_id', '=', deploymentId)
      .where('file_copies.upstream_ref', '=', upstreamRef)
      .where('files.state', '=', 'ready')
      .executeTakeFirst();
    return row && fromRow(row);
  };

  /**
   * One attempt to claim (deploymentId, upstreamRef) for `file`. The copy insert does nothing when
   * another caller holds the key (PostgreSQL waits for that caller's transaction to settle first),
   * and then our file row is removed again so no orphan is left.
   */
  const tryMint = (file: FileRecord, copy: FileCopyRecord): Promise<boolean> =>
    db.transaction().execute(async (trx) => {
      const filed = await trx
        .insertInto('files')
        .values(toRow(file))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      // The id is taken, most likely by a concurrent call for this very record: look again.
      if (filed === undefined) return false;
      const copied = await trx
        .insertInto('file_copies')
        .values(copyToRow(copy))
        .onConflict((oc) => oc.columns(['deployment_id', 'upstream_ref']).doNothing())
        .returning('file_id')
        .executeTakeFirst();
      if (copied === undefined) await trx.deleteFrom('files').where('id', '=', file.id).execute();
      return copied !== undefined;
    });

  return {
    insert: (file, copies) =>
      db.transaction().execute(async (trx) => {
        await trx.insertInto('files').values(toRow(file)).execute();
        if (copies.length > 0) await trx.insertInto('file_copies').values(copies.map(copyToRow)).execute();
      }),

    get: async (id) => {
      const row = await db.selectFrom('files').selectAll().where('id', '=', id).where('state', '=', 'ready').executeTakeFirst();
      return row && fromRow(row);
    },

    copies: async (fileId) => {
      const rows = await db
        .selectFrom('file_copies')
        .selectAll()
        .where('file_id', '=', fileId)
        .orderBy('created_at_ms')
        .orderBy('deployment_id')
        .execute();
      return rows.map(copyFromRow);
    },

    mintForUpstream: async (file, copy) => {
      for (let attempt = 0; attempt < MINT_ATTEMPTS; attempt++) {
        // Usually the file was minted before: answer without writing.
        const existing = await findByUpstream(copy.deploymentId, copy.upstreamRef);
        if (existing !== undefined) return existing;
        if (await tryMint(file, copy)) return file;
      }
      throw new Error(`could not mint a file for ${copy.deploymentId}/${copy.upstreamRef}: kept losing races`);
    },

    findByUpstream,

    list: async (query: FileListQuery): Promise<Page<ListedFile>> => {
      const scope = scopeCondition(query.scope);
      if (scope === null) return emptyPage();
      let qb = db.selectFrom('files').select(LISTED_COLUMNS).where('state', '=', 'ready');
      if (scope !== undefined) qb = qb.where(scope);
      if (query.purpose !== undefined) qb = qb.where('purpose', '=', query.purpose);
      if (query.after !== undefined) qb = qb.where(afterCondition(query.after, query.order));
      const rows = await qb
        .orderBy('created_at_ms', query.order)
        .orderBy('id', query.order)
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, listedFromRow);
    },

    deleteCopy: async (fileId, deploymentId) => {
      await db
        .deleteFrom('file_copies')
        .where('file_id', '=', fileId)
        .where('deployment_id', '=', deploymentId)
        .execute();
    },

    delete: (id) =>
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('file_copies').where('file_id', '=', id).execute();
        await trx.deleteFrom('files').where('id', '=', id).execute();
      }),

    insertPending: async (file, targets) => {
      await db
        .insertInto('files')
        .values({ ...toRow(file), state: 'pending', pending_targets: toJson(targets) })
        .execute();
    },

    addCopy: async (copy) => {
      await db.insertInto('file_copies').values(copyToRow(copy)).execute();
    },

    complete: async (file, looseEnds) => {
      const { id, ...fields } = toRow(file);
      const result = await db
        .updateTable('files')
        .set({ ...fields, pending_targets: looseEnds.length === 0 ? null : toJson(looseEnds) })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    listPending: async (createdBeforeMs, limit): Promise<PendingFile[]> => {
      const rows = await db
        .selectFrom('files')
        .selectAll()
        .where((eb) => eb.or([eb('state', '=', 'pending'), eb('pending_targets', 'is not', null)]))
        .where('created_at_ms', '<', createdBeforeMs)
        .orderBy('created_at_ms')
        .limit(limit)
        .execute();
      if (rows.length === 0) return [];
      const copies = await db
        .selectFrom('file_copies')
        .selectAll()
        .where(
          'file_id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map((r) => ({
        file: fromRow(r),
        visible: r.state === 'ready',
        targets: r.pending_targets === null ? [] : fromJson<string[]>(r.pending_targets),
        copies: copies.filter((c) => c.file_id === r.id).map(copyFromRow),
      }));
    },

    settle: async (id) => {
      await db.updateTable('files').set({ pending_targets: null }).where('id', '=', id).where('state', '=', 'ready').execute();
    },
  };
}
