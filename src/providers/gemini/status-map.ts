/**
 * Gemini API `BatchState` → batchgate's batch status (`reference/wire.md` §10, §7.1).
 * Exhaustive: a state Google adds is an `UpstreamError` naming it, never passed through. The
 * `JOB_STATE_*` spellings are read too: the `@google/genai` SDK and some of Google's own examples
 * show batches in Vertex's state names, and reading both costs nothing.
 *
 * There is no cancelling state: after `:cancel` the adapter reports `cancelling` itself until the
 * batch says where it ended (statuses never move backwards in the domain).
 */
import type { BatchStatus } from '../../contracts/openai.js';

export const GEMINI_BATCH_STATES = {
  BATCH_STATE_UNSPECIFIED: 'validating',
  BATCH_STATE_PENDING: 'validating',
  BATCH_STATE_RUNNING: 'in_progress',
  BATCH_STATE_SUCCEEDED: 'completed',
  BATCH_STATE_FAILED: 'failed',
  BATCH_STATE_CANCELLED: 'cancelled',
  BATCH_STATE_EXPIRED: 'expired',
  JOB_STATE_UNSPECIFIED: 'validating',
  JOB_STATE_QUEUED: 'validating',
  JOB_STATE_PENDING: 'validating',
  JOB_STATE_RUNNING: 'in_progress',
  JOB_STATE_SUCCEEDED: 'completed',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLING: 'cancelling',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
} as const satisfies Record<string, BatchStatus>;

export type GeminiBatchState = keyof typeof GEMINI_BATCH_STATES;

export const isGeminiBatchState = (state: string): state is GeminiBatchState => Object.hasOwn(GEMINI_BATCH_STATES, state);
