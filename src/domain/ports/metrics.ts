/**
 * What the domain and the worker report for `GET /metrics`. Every call is fire-and-forget: an
 * implementation never throws, and ignores values that make no sense (negative, NaN), so a
 * reporting slip can never fail a request or a poll. Labels are bounded by construction:
 * deployment ids and model groups come from the config, teams from the store, statuses and
 * outcomes from the closed sets below; no request id, file id or batch id is ever a label.
 * `noopMetrics` stands in when metrics are off (and in tests that do not look at them).
 */
import type { BatchStatus } from '../../contracts/openai.js';

/**
 * How one upstream call ended: the class of the upstream's HTTP status; `malformed` for a 2xx
 * whose body was not what the API promises; `timeout` or `connection` when no answer came;
 * `aborted` when our side gave up first (the client left, or the body we were sending failed).
 */
export type UpstreamOutcome = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'malformed' | 'timeout' | 'connection' | 'aborted';

/** One row of the batches gauge: how many batches of one deployment are in one status. */
export interface BatchCount {
  readonly deploymentId: string;
  readonly group: string;
  readonly status: BatchStatus;
  readonly count: number;
}

export interface Metrics {
  /**
   * One upstream HTTP call: `operation` is a bounded name such as `GET /v1/batches/{id}`;
   * `seconds` runs until the JSON body was read (for a streamed answer, until its headers).
   * Reported by the provider layer itself; the domain has no reason to call it.
   */
  upstreamCall(deploymentId: string, group: string, operation: string, outcome: UpstreamOutcome, seconds: number): void;
  /** Sets the gauge of batches in `status` on one deployment. */
  batchStatus(deploymentId: string, group: string, status: BatchStatus, count: number): void;
  /**
   * Replaces the whole batches gauge with a snapshot (e.g. a `GROUP BY deployment, status` from
   * the store): series absent from the snapshot drop to nothing, so a status that emptied does not
   * keep its last count.
   */
  batchCounts(counts: readonly BatchCount[]): void;
  /** Adds the requests (lines) of a finished batch that completed and that failed. */
  requestsFinished(group: string, team: string | null, completed: number, failed: number): void;
  /** Adds the tokens a finished batch used. */
  tokens(group: string, team: string | null, input: number, output: number): void;
  /** Adds the cost booked for a finished batch, in US dollars. */
  spend(group: string, team: string | null, usd: number): void;
  /** Age of the oldest overdue poll (now − its `next_poll_at`; 0 when none is overdue), in seconds. */
  setWorkerLag(seconds: number): void;
  /** Webhook deliveries waiting in the outbox. */
  setOutboxDepth(n: number): void;
}

const nothing = (): void => {};

export const noopMetrics: Metrics = Object.freeze({
  upstreamCall: nothing,
  batchStatus: nothing,
  batchCounts: nothing,
  requestsFinished: nothing,
  tokens: nothing,
  spend: nothing,
  setWorkerLag: nothing,
  setOutboxDepth: nothing,
});
