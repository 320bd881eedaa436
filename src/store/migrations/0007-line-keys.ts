/**
 * Line keys (issue 10): line number → custom_id of inputs placed on upstreams that correlate
 * results by a key of their own (Vertex labels, Bedrock recordId). One row per line, keyed by
 * the gateway file id; no foreign key, so the rows can outlive a file record deleted while a batch
 * reading them is still collecting its results.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('line_keys')
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('line_no', 'bigint', (c) => c.notNull())
    .addColumn('custom_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('line_keys_pk', ['file_id', 'line_no'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('line_keys').execute();
}
