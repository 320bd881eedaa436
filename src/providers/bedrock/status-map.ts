/**
 * Bedrock job statuses → batchgate's (`reference/wire.md` §7.1, LiteLLM's choices). The table is
 * exhaustive over Bedrock's documented statuses; one Bedrock adds later maps to `validating`
 * (the wire table's rule for Bedrock: the job exists and is not known to be running or done).
 */
import type { BatchStatus } from '../../contracts/openai.js';

export type BedrockJobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Expired';

export const BEDROCK_JOB_STATUSES = {
  Submitted: 'validating',
  Validating: 'validating',
  Scheduled: 'in_progress',
  InProgress: 'in_progress',
  Completed: 'completed',
  // Not every record ran in time; the rest come back as failed requests (counts and results).
  PartiallyCompleted: 'completed',
  Failed: 'failed',
  Stopping: 'cancelling',
  Stopped: 'cancelled',
  Expired: 'expired',
} as const satisfies Record<BedrockJobStatus, BatchStatus>;

export const isBedrockJobStatus = (raw: string): raw is BedrockJobStatus => Object.hasOwn(BEDROCK_JOB_STATUSES, raw);

export const bedrockBatchStatus = (raw: string): BatchStatus => (isBedrockJobStatus(raw) ? BEDROCK_JOB_STATUSES[raw] : 'validating');

/** Terminal statuses whose unprocessed records count as failed requests. */
export const UNFINISHED_TERMINAL: ReadonlySet<string> = new Set(['PartiallyCompleted', 'Expired', 'Stopped']);
