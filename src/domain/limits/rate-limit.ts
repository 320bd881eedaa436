/**
 * Per-key `rpm_limit` / `tpm_limit` at batch create, as LiteLLM charges them: a batch counts as
 * its number of requests and its estimated input tokens, all in the minute it is created. The
 * counters are fixed one-minute windows kept in the store, so every replica charges the same one.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { KeyRecord, Store } from '../ports/store.js';

const WINDOW_MS = 60_000;

export interface BatchCost {
  readonly requests: number;
  readonly tokens: number;
}

export async function chargeKeyRate(store: Store, now: number, key: KeyRecord, who: string, cost: BatchCost): Promise<void> {
  const { rpmLimit, tpmLimit } = key;
  if (rpmLimit === null && tpmLimit === null) return;
  // A batch bigger than a whole window's allowance can never be admitted: say so, and send no
  // Retry-After, since waiting would not help.
  if (rpmLimit !== null && cost.requests > rpmLimit) {
    throw new GatewayError(
      'rate_limit_exceeded',
      `Rate limit exceeded for ${who}: this batch has ${cost.requests} requests, more than its rpm_limit of ${rpmLimit} allows in one minute; split the input file.`,
    );
  }
  if (tpmLimit !== null && cost.tokens > tpmLimit) {
    throw new GatewayError(
      'rate_limit_exceeded',
      `Rate limit exceeded for ${who}: this batch has about ${cost.tokens} input tokens, more than its tpm_limit of ${tpmLimit} allows in one minute; split the input file.`,
    );
  }
  const subject = `key:${key.keyHash}`;
  const windowStartMs = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  const counts = await store.rateLimits.charge({
    subject,
    windowStartMs,
    requests: cost.requests,
    tokens: cost.tokens,
    maxRequests: rpmLimit,
    maxTokens: tpmLimit,
  });
  // Older windows are never read again; dropping them here keeps the table at one row per key.
  await store.rateLimits.prune(subject, windowStartMs);
  if (counts.admitted) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStartMs + WINDOW_MS - now) / 1000));
  const over =
    rpmLimit !== null && counts.requests + cost.requests > rpmLimit
      ? `rpm_limit ${rpmLimit}: ${counts.requests} requests already this minute, the batch adds ${cost.requests}`
      : `tpm_limit ${tpmLimit ?? 0}: about ${counts.tokens} tokens already this minute, the batch adds ${cost.tokens}`;
  throw new GatewayError('rate_limit_exceeded', `Rate limit exceeded for ${who} (${over}). Retry in ${retryAfterSeconds}s.`, {
    retryAfterSeconds,
  });
}
