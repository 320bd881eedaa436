/**
 * Keys and limits (issue 4): the estimated input tokens of a batch input, charged against a key's
 * `tpm_limit` at batch create, and the per-key rate windows every replica charges atomically.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Nullable: files inspected before this migration have no estimate and are charged 0 tokens.
  await db.schema.alterTable('files').addColumn('input_tokens', 'bigint').execute();

  await db.schema
    .createTable('rate_windows')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('tokens', 'bigint', (c) => c.notNull())
    // The key every charge updates in place, and prune walks per subject.
    .addPrimaryKeyConstraint('rate_windows_pk', ['subject', 'window_start_ms'])
    .execute();
}
