/** Gateway files and their upstream copies. */
import type { Kysely, Selectable } from 'kysely';
import type { FileCopyRecord, FileListQuery, FileRecord, FileRepository, Page } from '../../domain/ports/store.js';
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
  ...ownerColumns(f.owner),
});

const fromRow = (r: Selectable<FilesTable>): FileRecord => ({
  id: r.id,
  kind: r.kind,
  purpose: r.purpose,
  filename: r.filename,
  bytes: r.bytes,
  createdAtMs: r.created_at_ms,
  expiresAt: r.expires_at,
  status: r.status,
  modelGroups: fromJson<string[]>(r.model_groups),
  lineCount: r.line_count,
  lineModels: fromJson<string[]>(r.line_models),
  sourceBatchId: r.source_batch_id,
  inputTokens: r.input_tokens,
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
      const row = await db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
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

    list: async (query: FileListQuery): Promise<Page<FileRecord>> => {
      const scope = scopeCondition(query.scope);
      if (scope === null) return emptyPage();
      let qb = db.selectFrom('files').selectAll();
      if (scope !== undefined) qb = qb.where(scope);
      if (query.purpose !== undefined) qb = qb.where('purpose', '=', query.purpose);
      if (query.after !== undefined) qb = qb.where(afterCondition(query.after, query.order));
      const rows = await qb
        .orderBy('created_at_ms', query.order)
        .orderBy('id', query.order)
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, fromRow);
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
  };
}
