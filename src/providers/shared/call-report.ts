/**
 * What the HTTP client tells its observer (metrics) about each upstream call, and the two ways of
 * naming it with bounded values: the operation is the method and the path with every id masked,
 * and the outcome is a status class or the reason there was no answer. Raw ids never become
 * labels: a Prometheus series per upstream file would grow without end.
 */
import type { UpstreamOutcome } from '../../domain/ports/metrics.js';
import { UpstreamError } from '../../errors/upstream-error.js';

export interface UpstreamCallReport {
  readonly deploymentId: string;
  /** `GET /v1/batches/{id}`: the request's own `operation` when it gave one. */
  readonly operation: string;
  readonly outcome: UpstreamOutcome;
  /** Until the JSON body was read; for a streamed answer, until its headers. */
  readonly seconds: number;
}

/** Called once per upstream call, after it settled; it must not throw (a throw is swallowed). */
export type UpstreamCallObserver = (report: UpstreamCallReport) => void;

/** API words (`files`, `batches`, `content`, `batchPredictionJobs`, `model-invocation-job`) stay. */
const WORD = /^[A-Za-z][A-Za-z_-]{0,23}$/;
const VERSION = /^v\d+(?:(?:alpha|beta)\d*)?$/;

/**
 * `POST https://host/openai/v1/batches/batch_abc123/cancel?api-version=…` →
 * `POST /openai/v1/batches/{id}/cancel`. A segment that is not a short word or an API version is
 * taken for an id: upstream ids carry digits or are long, and a word taken for an id only makes
 * the name vaguer, never unbounded.
 */
export const operationOf = (method: string, url: string): string => {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return method;
  }
  const segments = path.split('/').map((s) => (s === '' || WORD.test(s) || VERSION.test(s) ? s : '{id}'));
  return `${method} ${segments.join('/') || '/'}`;
};

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

const statusClass = (status: number): UpstreamOutcome => STATUS_CLASSES[Math.floor(status / 100) - 1] ?? '5xx';

/**
 * `status` is the upstream's HTTP status when an answer arrived; `error` what the call threw
 * (undefined on success).
 */
export const outcomeOf = (status: number | undefined, error: unknown): UpstreamOutcome => {
  if (error === undefined) return statusClass(status ?? 200);
  if (error instanceof UpstreamError) {
    if (error.failure !== 'http') return error.failure;
    // The upstream's own non-2xx status, or a 2xx whose body was not what the API promises.
    return status !== undefined && (status < 200 || status > 299) ? statusClass(status) : 'malformed';
  }
  // The caller's own abort, or an error raised by the body we were sending.
  return 'aborted';
};
