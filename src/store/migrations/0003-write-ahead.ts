/**
 * Write-ahead records (issue 7): a file or batch is stored as `pending`, with the deployments it is
 * being written to, before any upstream call, and becomes `ready` once complete. The reconciler
 * finds the `pending` rows a crash left behind. Also the url a batch file's lines were validated
 * with, so a batch naming another endpoint is refused up front.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('files').addColumn('state', 'text', (c) => c.notNull().defaultTo('ready')).execute();
  // JSON array of deployment ids; null once the record is ready.
  await db.schema.alterTable('files').addColumn('pending_targets', 'text').execute();
  await db.schema.alterTable('files').addColumn('endpoint', 'text').execute();

  await db.schema.alterTable('batches').addColumn('state', 'text', (c) => c.notNull().defaultTo('ready')).execute();
  await db.schema.alterTable('batches').addColumn('pending_targets', 'text').execute();
  // sha256 of (owner, Idempotency-Key) and of the request it came with.
  await db.schema.alterTable('batches').addColumn('idempotency_key', 'text').execute();
  await db.schema.alterTable('batches').addColumn('request_fingerprint', 'text').execute();
  await db.schema.createIndex('batches_idempotency_uq').on('batches').column('idempotency_key').unique().execute();
  // The reconciler's scan: pending rows, oldest first.
  await db.schema.createIndex('files_state_idx').on('files').columns(['state', 'created_at_ms']).execute();
  await db.schema.createIndex('batches_state_idx').on('batches').columns(['state', 'created_at_ms']).execute();
}
