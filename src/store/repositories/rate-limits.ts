/**
 * Fixed-window rate counters shared by every replica. A charge is one conditional UPDATE: the row
 * is only incremented while the incremented counters stay within their limits, so concurrent
 * charges (across processes, on SQLite and PostgreSQL alike) can never overshoot a limit.
 */
import type { Kysely } from 'kysely';
import type { RateCharge, RateLimitRepository, RateWindowCounts } from '../../domain/ports/store.js';
import type { Database } from '../schema.js';

export function rateLimitRepository(db: Kysely<Database>): RateLimitRepository {
  const counts = async (charge: RateCharge): Promise<{ requests: number; tokens: number }> => {
    const row = await db
      .selectFrom('rate_windows')
      .select(['requests', 'tokens'])
      .where('subject', '=', charge.subject)
      .where('window_start_ms', '=', charge.windowStartMs)
      .executeTakeFirst();
    return { requests: row?.requests ?? 0, tokens: row?.tokens ?? 0 };
  };

  return {
    charge: async (charge): Promise<RateWindowCounts> => {
      // The window row exists before the conditional update, so the update is the only writer
      // that decides; a concurrent first charge just finds the row already there.
      await db
        .insertInto('rate_windows')
        .values({ subject: charge.subject, window_start_ms: charge.windowStartMs, requests: 0, tokens: 0 })
        .onConflict((oc) => oc.columns(['subject', 'window_start_ms']).doNothing())
        .execute();
      let update = db
        .updateTable('rate_windows')
        .set((eb) => ({
          requests: eb('requests', '+', charge.requests),
          tokens: eb('tokens', '+', charge.tokens),
        }))
        .where('subject', '=', charge.subject)
        .where('window_start_ms', '=', charge.windowStartMs);
      const { maxRequests, maxTokens } = charge;
      if (maxRequests !== null) update = update.where((eb) => eb(eb('requests', '+', charge.requests), '<=', maxRequests));
      if (maxTokens !== null) update = update.where((eb) => eb(eb('tokens', '+', charge.tokens), '<=', maxTokens));
      const result = await update.executeTakeFirst();
      const admitted = result.numUpdatedRows > 0n;
      // Read back for the caller's message only; the decision above is already final.
      return { admitted, ...(await counts(charge)) };
    },

    prune: async (subject, beforeMs) => {
      await db.deleteFrom('rate_windows').where('subject', '=', subject).where('window_start_ms', '<', beforeMs).execute();
    },
  };
}
