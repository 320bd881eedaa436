/**
 * Vertex `JobState` → batchgate's batch status (`reference/wire.md` §4.3, §7.1). Exhaustive: a
 * state Google adds is an `UpstreamError` naming it, never passed through.
 *
 * `JOB_STATE_UNSPECIFIED` maps to `validating` rather than LiteLLM's `failed`: Google documents
 * it as "not specified", not as a failure, and the domain never moves a batch backwards, so a
 * job already seen running stays running until a real state arrives.
 */
import type { BatchStatus } from '../../contracts/openai.js';

export const VERTEX_JOB_STATES = {
  JOB_STATE_UNSPECIFIED: 'validating',
  JOB_STATE_QUEUED: 'validating',
  JOB_STATE_PENDING: 'validating',
  JOB_STATE_RUNNING: 'in_progress',
  JOB_STATE_UPDATING: 'in_progress',
  JOB_STATE_PAUSED: 'in_progress',
  JOB_STATE_SUCCEEDED: 'completed',
  JOB_STATE_PARTIALLY_SUCCEEDED: 'completed',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLING: 'cancelling',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
} as const satisfies Record<string, BatchStatus>;

export type VertexJobState = keyof typeof VERTEX_JOB_STATES;

export const isVertexJobState = (state: string): state is VertexJobState => Object.hasOwn(VERTEX_JOB_STATES, state);

/** States after which the job writes nothing more. */
export const TERMINAL_JOB_STATES: ReadonlySet<VertexJobState> = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
]);
