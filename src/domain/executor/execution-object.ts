/**
 * An execution as the batch service sees it: an `UpstreamBatch`, exactly like an answer from a
 * cloud's batch API. While lines run, the counts come live from the result rows.
 */
import type { BatchStatus } from '../../contracts/openai.js';
import { toSeconds } from '../ports/clock.js';
import { TERMINAL_EXECUTION_STATUSES, type ExecutionRecord } from '../ports/executions.js';
import type { UpstreamBatch } from '../ports/provider-adapter.js';

const seconds = (ms: number | null): number | null => (ms === null ? null : toSeconds(ms));

/** A cancel is recorded as a stop reason first: until it is final the batch reads `cancelling`. */
export const statusOf = (e: ExecutionRecord): BatchStatus =>
  !TERMINAL_EXECUTION_STATUSES.has(e.status) && e.stopReason === 'batch_cancelled' ? 'cancelling' : e.status;

export function toUpstreamBatch(e: ExecutionRecord, live: { readonly ok: number; readonly error: number } | null): UpstreamBatch {
  const status = statusOf(e);
  const ended = e.endedAtMs;
  const counts = TERMINAL_EXECUTION_STATUSES.has(e.status) || live === null ? { completed: e.completed, failed: e.failed } : { completed: live.ok, failed: live.error };
  return {
    ref: e.batchId,
    status,
    endpoint: e.endpoint,
    completionWindow: e.completionWindow,
    model: null,
    errors: e.errors === null ? null : [...e.errors],
    outputFileRef: TERMINAL_EXECUTION_STATUSES.has(e.status) ? e.outputRef : null,
    errorFileRef: TERMINAL_EXECUTION_STATUSES.has(e.status) ? e.errorRef : null,
    createdAt: toSeconds(e.createdAtMs),
    inProgressAt: seconds(e.inProgressAtMs),
    expiresAt: toSeconds(e.expiresAtMs),
    finalizingAt: seconds(e.finalizingAtMs),
    completedAt: e.status === 'completed' ? seconds(ended) : null,
    failedAt: e.status === 'failed' ? seconds(ended) : null,
    expiredAt: e.status === 'expired' ? seconds(ended) : null,
    cancellingAt: seconds(e.cancellingAtMs),
    cancelledAt: e.status === 'cancelled' ? seconds(ended) : null,
    requestCounts: { total: e.total, ...counts },
    usage: null,
    metadata: e.metadata === null ? null : { ...e.metadata },
    label: e.batchId,
    inputFileRef: e.inputRef,
  };
}
