/**
 * The batch lifecycle (issue 8): every batch carries its poll schedule and lease in the store, so
 * a restart loses nothing and several workers share the work; a version for compare-and-set
 * writes (a slow writer can never regress what a faster one stored); the cost-booked mark; and
 * the spend table, one row per batch.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const batches = [
    ['refreshed_at_ms', 'bigint'],
    ['next_poll_at_ms', 'bigint'],
    ['lease_owner', 'text'],
    ['lease_expires_at_ms', 'bigint'],
    ['cost_booked_at_ms', 'bigint'],
  ] as const;
  for (const [name, type] of batches) await db.schema.alterTable('batches').addColumn(name, type).execute();
  await db.schema.alterTable('batches').addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('batches').addColumn('poll_attempts', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  // Fencing: every lease bumps it, and a write carrying an older token is refused.
  await db.schema.alterTable('batches').addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('batches_next_poll_idx').on('batches').columns(['next_poll_at_ms']).execute();
  // Batches stored before the worker existed are due now, so it follows them to their end too.
  await sql`update batches set next_poll_at_ms = updated_at_ms, refreshed_at_ms = updated_at_ms
    where status not in ('completed', 'failed', 'expired', 'cancelled')`.execute(db);

  await db.schema
    .createTable('spend_logs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // One row per batch, whatever the number of workers, retries or restarts.
    .addColumn('batch_id', 'text', (c) => c.notNull().unique())
    .addColumn('key_hash', 'text')
    .addColumn('user_id', 'text')
    .addColumn('team_id', 'text')
    .addColumn('model_group', 'text')
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cached_input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('total_tokens', 'bigint', (c) => c.notNull())
    .addColumn('requests_completed', 'bigint', (c) => c.notNull())
    .addColumn('requests_failed', 'bigint', (c) => c.notNull())
    .addColumn('cost_usd', 'double precision', (c) => c.notNull())
    .addColumn('price_source', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('spend_logs_created_idx').on('spend_logs').columns(['created_at_ms']).execute();
  await db.schema.createIndex('spend_logs_key_idx').on('spend_logs').columns(['key_hash', 'created_at_ms']).execute();
  await db.schema.createIndex('spend_logs_team_idx').on('spend_logs').columns(['team_id', 'created_at_ms']).execute();
}
