/**
 * Gateway-executed batches (issue 9): one execution per batch the gateway runs itself, with the
 * phase worker's lease; the chunks its input lines are split into, each leased to one dispatcher
 * at a time; and one result row per line that ran, written once. Leases are fenced by a token
 * every claim bumps; the execution also has a version its unfenced compare-and-set writes rely on.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('executions')
    .addColumn('batch_id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('model_group', 'text')
    .addColumn('input_ref', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('completion_window', 'text', (c) => c.notNull())
    // JSON object of strings, or null.
    .addColumn('metadata', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('stop_reason', 'text')
    // JSON array of batch errors, or null.
    .addColumn('errors', 'text')
    .addColumn('total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('completed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('output_ref', 'text')
    .addColumn('error_ref', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('in_progress_at_ms', 'bigint')
    .addColumn('cancelling_at_ms', 'bigint')
    .addColumn('finalizing_at_ms', 'bigint')
    .addColumn('ended_at_ms', 'bigint')
    // When the phase worker looks next; null once terminal.
    .addColumn('next_step_at_ms', 'bigint')
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    // Bumped by every write of the record: the compare-and-set of updateWith.
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at_ms', 'bigint')
    // Fencing: every claim bumps it, and a write carrying an older token is refused.
    .addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  // The phase worker's scan, and the reconciler's listing.
  await db.schema.createIndex('executions_next_step_idx').on('executions').column('next_step_at_ms').execute();
  await db.schema.createIndex('executions_created_idx').on('executions').column('created_at_ms').execute();

  await db.schema
    .createTable('execution_chunks')
    // No foreign key: the work rows are dropped on their own once the files are written.
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('chunk_no', 'bigint', (c) => c.notNull())
    .addColumn('first_line', 'bigint', (c) => c.notNull())
    .addColumn('line_count', 'bigint', (c) => c.notNull())
    .addColumn('byte_start', 'bigint', (c) => c.notNull())
    // 'todo' or 'done'.
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('todo'))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at_ms', 'bigint')
    .addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('execution_chunks_pk', ['batch_id', 'chunk_no'])
    .execute();
  // The dispatchers' claim scan: chunks still to run, by execution and order.
  await db.schema
    .createIndex('execution_chunks_claim_idx')
    .on('execution_chunks')
    .columns(['state', 'batch_id', 'chunk_no'])
    .execute();

  await db.schema
    .createTable('execution_results')
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('line_no', 'bigint', (c) => c.notNull())
    .addColumn('custom_id', 'text', (c) => c.notNull())
    // 'ok' (output file) or 'error' (error file).
    .addColumn('outcome', 'text', (c) => c.notNull())
    // The exact JSONL line, as it will appear in the file.
    .addColumn('line', 'text', (c) => c.notNull())
    .addColumn('cost_usd', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    // Write-once: a line re-sent after a crash cannot get a second result.
    .addPrimaryKeyConstraint('execution_results_pk', ['batch_id', 'line_no'])
    .execute();
}
