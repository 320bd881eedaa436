/**
 * The first schema. DDL is kept to what SQLite and PostgreSQL both accept: text, bigint for
 * millisecond times and counters, double precision for money, JSON as text.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('model_groups', 'text', (c) => c.notNull())
    .addColumn('line_count', 'bigint')
    .addColumn('line_models', 'text', (c) => c.notNull())
    .addColumn('source_batch_id', 'text')
    .addColumn('owner_key_hash', 'text')
    .addColumn('owner_user_id', 'text')
    .addColumn('owner_team_id', 'text')
    .execute();

  await db.schema
    .createTable('file_copies')
    // Cascade so a file can never be left with copies pointing at nothing.
    .addColumn('file_id', 'text', (c) => c.notNull().references('files.id').onDelete('cascade'))
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('upstream_ref', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_copies_pk', ['file_id', 'deployment_id'])
    // One gateway file per upstream file: the key mintForUpstream relies on under races.
    .addUniqueConstraint('file_copies_upstream_uq', ['deployment_id', 'upstream_ref'])
    .execute();

  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('upstream_ref', 'text', (c) => c.notNull())
    // No foreign key: an input file may be deleted while its batches are kept.
    .addColumn('input_file_id', 'text', (c) => c.notNull())
    .addColumn('model_group', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('owner_key_hash', 'text')
    .addColumn('owner_user_id', 'text')
    .addColumn('owner_team_id', 'text')
    .execute();

  await db.schema
    .createTable('keys')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('key_name', 'text', (c) => c.notNull())
    .addColumn('key_alias', 'text')
    .addColumn('user_id', 'text')
    .addColumn('team_id', 'text')
    .addColumn('models', 'text', (c) => c.notNull())
    .addColumn('max_budget', 'double precision')
    .addColumn('budget_duration', 'text')
    .addColumn('budget_reset_at_ms', 'bigint')
    .addColumn('spend', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('rpm_limit', 'bigint')
    .addColumn('tpm_limit', 'bigint')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('teams')
    .addColumn('team_id', 'text', (c) => c.primaryKey())
    .addColumn('team_alias', 'text')
    .addColumn('models', 'text', (c) => c.notNull())
    .addColumn('max_budget', 'double precision')
    .addColumn('budget_duration', 'text')
    .addColumn('budget_reset_at_ms', 'bigint')
    .addColumn('spend', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  // Listings: the admin walks everything by (created_at_ms, id); tenants by key or by team.
  for (const table of ['files', 'batches'] as const) {
    await db.schema.createIndex(`${table}_created_idx`).on(table).columns(['created_at_ms', 'id']).execute();
    await db.schema
      .createIndex(`${table}_owner_key_idx`)
      .on(table)
      .columns(['owner_key_hash', 'created_at_ms'])
      .execute();
    await db.schema
      .createIndex(`${table}_owner_team_idx`)
      .on(table)
      .columns(['owner_team_id', 'created_at_ms'])
      .execute();
  }
  await db.schema.createIndex('batches_model_group_idx').on('batches').column('model_group').execute();
  // countActiveForInputFile, asked before a file may be deleted.
  await db.schema
    .createIndex('batches_input_status_idx')
    .on('batches')
    .columns(['input_file_id', 'status'])
    .execute();
  await db.schema.createIndex('keys_team_idx').on('keys').column('team_id').execute();
}
