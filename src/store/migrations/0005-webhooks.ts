/**
 * Webhooks (issue 8): the outbox every delivery loop works from, and a key's own endpoint. An
 * outbox row names its endpoint (a configured URL, or a key hash) and never holds a secret; the
 * lease columns let several loops share the rows without sending one twice at the same time.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_outbox')
    // Deterministic (evt_ + hash of batch, event and endpoint): enqueue is insert-or-nothing.
    .addColumn('webhook_id', 'text', (c) => c.primaryKey())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull())
    // The exact body, sent and signed byte for byte on every attempt.
    .addColumn('payload', 'text', (c) => c.notNull())
    // 'config' (target_ref: the configured URL) or 'key' (target_ref: the key hash).
    .addColumn('target_kind', 'text', (c) => c.notNull())
    .addColumn('target_ref', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('leased_until_ms', 'bigint')
    // Fencing: every claim bumps it, and a write carrying an older token is refused.
    .addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint')
    .execute();
  // The claim's scan: pending rows by due time.
  await db.schema
    .createIndex('webhook_outbox_due_idx')
    .on('webhook_outbox')
    .columns(['state', 'next_attempt_at_ms'])
    .execute();
  await db.schema.createIndex('webhook_outbox_batch_idx').on('webhook_outbox').column('batch_id').execute();

  // A virtual key's own endpoint. The secret must be usable to sign, so it is kept (never shown
  // again after /key/generate or /key/update returned it, never logged).
  await db.schema.alterTable('keys').addColumn('webhook_url', 'text').execute();
  await db.schema.alterTable('keys').addColumn('webhook_secret', 'text').execute();
}
