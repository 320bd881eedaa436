import { GatewayError } from './gateway-error.js';
import { scrubUpstreamField, scrubUpstreamText, type UpstreamIdPair } from './scrub.js';

export { replaceUpstreamIds, type UpstreamIdPair } from './scrub.js';

export type UpstreamFailure = 'http' | 'timeout' | 'connection';

/** The four strings of an upstream error body, as the upstream wrote them. */
interface UpstreamStrings {
  readonly message: string;
  readonly type: string | null;
  readonly code: string | null;
  readonly param: string | null;
}

/**
 * A failed call to an upstream deployment, classified at the adapter edge. It names the
 * deployment (never its key) and turns itself into the client-facing error: upstream 4xx keep
 * their status, message, type, param and code, 5xx and transport failures become 502, timeouts
 * 504. The `upstream*` fields hold what the upstream sent (for the adapters' and the domain's
 * decisions, and the logs) until `withGatewayIds` scrubs them; whatever reaches a client is
 * scrubbed of raw ids, URLs and secrets either way.
 */
export class UpstreamError extends Error {
  readonly deploymentId: string;
  readonly failure: UpstreamFailure;
  readonly status: number | null;
  readonly upstreamMessage: string;
  readonly upstreamType: string | null;
  readonly upstreamCode: string | null;
  readonly upstreamParam: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    deploymentId: string;
    failure: UpstreamFailure;
    status?: number | null;
    message: string;
    type?: string | null;
    code?: string | null;
    param?: string | null;
    retryAfterSeconds?: number | undefined;
    cause?: unknown;
    /**
     * Upstream ids and the gateway ids clients know them by. When given, the `upstream*` fields
     * are scrubbed (`scrub.ts`) and the strings as sent are kept for further scrubbing.
     */
    gatewayIds?: readonly UpstreamIdPair[];
  }) {
    const raw: UpstreamStrings = { message: init.message, type: init.type ?? null, code: init.code ?? null, param: init.param ?? null };
    const shown = init.gatewayIds === undefined ? raw : scrubbed(raw, init.gatewayIds);
    super(`deployment ${init.deploymentId}: ${shown.message}`, { cause: init.cause });
    this.name = 'UpstreamError';
    this.deploymentId = init.deploymentId;
    this.failure = init.failure;
    this.status = init.status ?? null;
    this.upstreamMessage = shown.message;
    this.upstreamType = shown.type;
    this.upstreamCode = shown.code;
    this.upstreamParam = shown.param;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.raw = raw;
    this.gatewayIds = init.gatewayIds ?? [];
  }

  /** What the upstream sent, before any scrubbing; never shown to a client. */
  private readonly raw: UpstreamStrings;
  /** Every id pair given so far, so that each scrub starts from the upstream's own text. */
  private readonly gatewayIds: readonly UpstreamIdPair[];

  /** Worth trying another deployment: transport failures, timeouts, 408/409/429 and 5xx. */
  get retryable(): boolean {
    if (this.failure !== 'http' || this.status === null) return true;
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }

  /** The not-found answer of an upstream, which the domain may turn into its own 404. */
  get isNotFound(): boolean {
    return this.failure === 'http' && this.status === 404;
  }

  /**
   * The same failure as a client may see it: each upstream id of `ids` (and of earlier calls) in
   * its message, type, param and code replaced by the gateway id the client knows (upstreams name
   * the object they could not use: "Cannot find file file-…"), and every other raw id, URL, bucket
   * and secret replaced by a placeholder. Scrubbing always starts from what the upstream sent, so
   * the pairs of an outer call still find their ids.
   */
  withGatewayIds(ids: readonly UpstreamIdPair[]): UpstreamError {
    return new UpstreamError({
      deploymentId: this.deploymentId,
      failure: this.failure,
      status: this.status,
      message: this.raw.message,
      type: this.raw.type,
      code: this.raw.code,
      param: this.raw.param,
      retryAfterSeconds: this.retryAfterSeconds,
      cause: this.cause,
      gatewayIds: [...this.gatewayIds, ...ids],
    });
  }

  /** The client-facing error; every upstream string in it is scrubbed (`scrub.ts`). */
  toGatewayError(): GatewayError {
    const shown = scrubbed(this.raw, this.gatewayIds);
    if (this.failure === 'timeout') {
      return new GatewayError('upstream_timeout', `Deployment '${this.deploymentId}' did not answer in time.`, {
        cause: this,
      });
    }
    if (this.failure === 'connection' || this.status === null) {
      return new GatewayError('upstream_error', `Deployment '${this.deploymentId}' could not be reached.`, {
        cause: this,
      });
    }
    // The deployment refused the gateway's own credentials: the client's key is not at fault and
    // a 401 would tell it otherwise, so this is the gateway's failure to reach the deployment.
    if (this.status === 401) {
      return new GatewayError(
        'upstream_error',
        `Deployment '${this.deploymentId}' rejected the credentials batchgate is configured with (401): ${shown.message}`,
        { cause: this, wireCode: 'upstream_authentication_failed' },
      );
    }
    if (this.status >= 500) {
      return new GatewayError(
        'upstream_error',
        `Deployment '${this.deploymentId}' failed with status ${this.status}: ${shown.message}`,
        { cause: this, wireCode: shown.code ?? 'upstream_error' },
      );
    }
    const options = {
      status: this.status,
      type: shown.type ?? (this.status === 429 ? 'rate_limit_error' : 'invalid_request_error'),
      param: shown.param,
      wireCode: shown.code,
      cause: this,
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
    };
    return new GatewayError('upstream_error', shown.message, options);
  }
}

const scrubbed = (raw: UpstreamStrings, ids: readonly UpstreamIdPair[]): UpstreamStrings => ({
  message: scrubUpstreamText(raw.message, ids),
  type: scrubUpstreamField(raw.type, ids),
  code: scrubUpstreamField(raw.code, ids),
  param: scrubUpstreamField(raw.param, ids),
});

/** `err` with upstream ids replaced when it is an `UpstreamError`; any other error unchanged. */
export const withGatewayIds = (err: unknown, ids: readonly UpstreamIdPair[]): unknown =>
  err instanceof UpstreamError ? err.withGatewayIds(ids) : err;
