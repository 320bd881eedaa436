/**
 * What the gateway answers for a batch never goes backwards: upstreams are eventually consistent
 * (a read may lag the one before it) and two writers may race, so an observation is merged into
 * the stored object rather than replacing it. A status only moves forward, a terminal batch never
 * changes again, every `*_at` once set stays set, and each state entered carries its timestamp
 * (`reference/wire.md` §2.4) even when the upstream skipped past it between two polls.
 */
import { TERMINAL_BATCH_STATUSES, type Batch, type BatchStatus } from '../../contracts/openai.js';

const RANK: Record<BatchStatus, number> = {
  validating: 0,
  in_progress: 1,
  finalizing: 2,
  cancelling: 2,
  completed: 3,
  failed: 3,
  expired: 3,
  cancelled: 3,
};

const STAMPS = [
  'in_progress_at',
  'finalizing_at',
  'completed_at',
  'failed_at',
  'expired_at',
  'cancelling_at',
  'cancelled_at',
] as const;

/** The states a batch in `status` has surely passed through, with the field stamping each. */
const ENTERED: Partial<Record<BatchStatus, readonly (typeof STAMPS)[number][]>> = {
  in_progress: ['in_progress_at'],
  finalizing: ['in_progress_at', 'finalizing_at'],
  completed: ['in_progress_at', 'finalizing_at', 'completed_at'],
  failed: ['failed_at'],
  expired: ['expired_at'],
  cancelling: ['cancelling_at'],
  cancelled: ['cancelling_at', 'cancelled_at'],
};

export const isTerminal = (status: BatchStatus): boolean => TERMINAL_BATCH_STATUSES.has(status);

/** The object to store after observing `observed`; `stored` itself when nothing moved forward. */
export function mergeObserved(stored: Batch, observed: Batch, nowSeconds: number): Batch {
  if (isTerminal(stored.status) || RANK[observed.status] < RANK[stored.status]) return stored;
  const merged: Batch = { ...observed };
  for (const field of STAMPS) merged[field] = observed[field] ?? stored[field];
  // A state entered without its stamp gets the latest stamp known, else now.
  const latest = (): number => Math.max(...STAMPS.map((f) => merged[f] ?? 0).filter((t) => t > 0), 0) || nowSeconds;
  for (const field of ENTERED[merged.status] ?? []) merged[field] ??= latest();
  // Counters only grow while a batch runs.
  merged.request_counts = {
    total: Math.max(observed.request_counts.total, stored.request_counts.total),
    completed: Math.max(observed.request_counts.completed, stored.request_counts.completed),
    failed: Math.max(observed.request_counts.failed, stored.request_counts.failed),
  };
  merged.output_file_id = observed.output_file_id ?? stored.output_file_id;
  merged.error_file_id = observed.error_file_id ?? stored.error_file_id;
  if (observed.usage === undefined && stored.usage !== undefined) merged.usage = stored.usage;
  return merged;
}
