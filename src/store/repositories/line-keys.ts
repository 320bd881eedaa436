/**
 * Line keys over Kysely. Inserts go in multi-row statements (a few hundred lines each), so a
 * 50,000-line upload costs a couple of hundred round trips, not 50,000.
 */
import type { Kysely } from 'kysely';
import type { LineKey, LineKeyRepository } from '../../domain/ports/line-keys.js';
import type { Database } from '../schema.js';

/** Rows per insert: three parameters each, well under SQLite's and PostgreSQL's bind limits. */
const ROWS_PER_INSERT = 300;

export function lineKeyRepository(db: Kysely<Database>): LineKeyRepository {
  return {
    add: async (fileId, keys) => {
      for (let i = 0; i < keys.length; i += ROWS_PER_INSERT) {
        const rows = keys.slice(i, i + ROWS_PER_INSERT).map((k) => ({ file_id: fileId, line_no: k.lineNo, custom_id: k.customId }));
        await db
          .insertInto('line_keys')
          .values(rows)
          .onConflict((oc) => oc.columns(['file_id', 'line_no']).doNothing())
          .execute();
      }
    },
    lookup: async (fileId, lineNos) => {
      const found = new Map<number, string>();
      for (let i = 0; i < lineNos.length; i += ROWS_PER_INSERT) {
        const rows = await db
          .selectFrom('line_keys')
          .select(['line_no', 'custom_id'])
          .where('file_id', '=', fileId)
          .where('line_no', 'in', lineNos.slice(i, i + ROWS_PER_INSERT))
          .execute();
        for (const r of rows) found.set(Number(r.line_no), r.custom_id);
      }
      return found;
    },
    page: async (fileId, afterLineNo, limit): Promise<LineKey[]> => {
      const rows = await db
        .selectFrom('line_keys')
        .select(['line_no', 'custom_id'])
        .where('file_id', '=', fileId)
        .where('line_no', '>', afterLineNo)
        .orderBy('line_no')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ lineNo: Number(r.line_no), customId: r.custom_id }));
    },
    has: async (fileId) =>
      (await db.selectFrom('line_keys').select('line_no').where('file_id', '=', fileId).limit(1).executeTakeFirst()) !== undefined,
    deleteFor: async (fileId) => {
      await db.deleteFrom('line_keys').where('file_id', '=', fileId).execute();
    },
  };
}
