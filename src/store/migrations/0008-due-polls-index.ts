/**
 * The worker's claim reads `state = 'ready' AND next_poll_at_ms <= now ORDER BY next_poll_at_ms`.
 * With `state` and `next_poll_at_ms` in separate indexes, SQLite took the state index, visited
 * every ready batch and sorted them for each claim: 0.44 ms at 2,000 batches, growing with the
 * batch count, most of a poll's CPU when following 10,000 (bench/RESULTS.md, poll CPU). One index
 * on both answers the claim and the worker-lag query as a range read of the due polls only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('batches_due_poll_idx').on('batches').columns(['state', 'next_poll_at_ms']).execute();
  // Its only reader was the claim, which the index above now serves better.
  await db.schema.dropIndex('batches_next_poll_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('batches_next_poll_idx').on('batches').columns(['next_poll_at_ms']).execute();
  await db.schema.dropIndex('batches_due_poll_idx').execute();
}
