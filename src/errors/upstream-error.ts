import { GatewayError } from './gateway-error.js';

export type UpstreamFailure = 'http' | 'timeout' | 'connection';

/** An upstream object id and the gateway id clients know it by. */
export type UpstreamIdPair = readonly [upstreamRef: string, gatewayId: string];

/** `text` with every upstream id of `ids` replaced by its gateway id. */
export const replaceUpstreamIds = (text: string, ids: readonly UpstreamIdPair[]): string => {
  let out = text;
  for (const [ref, id] of ids) if (ref !== '') out = out.split(ref).join(id);
  return out;
};

/**
 * A failed call to an upstream deployment, classified at the adapter edge. It names the
 * deployment (never its key) and turns itself into the client-facing error: upstream 4xx keep
 * their status and message, 5xx and transport failures become 502, timeouts 504.
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
  }) {
    super(`deployment ${init.deploymentId}: ${init.message}`, { cause: init.cause });
    this.name = 'UpstreamError';
    this.deploymentId = init.deploymentId;
    this.failure = init.failure;
    this.status = init.status ?? null;
    this.upstreamMessage = init.message;
    this.upstreamType = init.type ?? null;
    this.upstreamCode = init.code ?? null;
    this.upstreamParam = init.param ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

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
   * The same failure with each upstream id in its message replaced by the gateway id the client
   * knows: upstreams name the object they could not use ("Cannot find file file-…"), and raw
   * upstream ids never reach a response.
   */
  withGatewayIds(ids: readonly UpstreamIdPair[]): UpstreamError {
    const message = replaceUpstreamIds(this.upstreamMessage, ids);
    if (message === this.upstreamMessage) return this;
    return new UpstreamError({
      deploymentId: this.deploymentId,
      failure: this.failure,
      status: this.status,
      message,
      type: this.upstreamType,
      code: this.upstreamCode,
      param: this.upstreamParam,
      retryAfterSeconds: this.retryAfterSeconds,
      cause: this.cause,
    });
  }

  toGatewayError(): GatewayError {
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
        `Deployment '${this.deploymentId}' rejected the credentials batchgate is configured with (401): ${this.upstreamMessage}`,
        { cause: this, wireCode: 'upstream_authentication_failed' },
      );
    }
    if (this.status >= 500) {
      return new GatewayError(
        'upstream_error',
        `Deployment '${this.deploymentId}' failed with status ${this.status}: ${this.upstreamMessage}`,
        { cause: this, wireCode: this.upstreamCode ?? 'upstream_error' },
      );
    }
    const options = {
      status: this.status,
      type: this.upstreamType ?? (this.status === 429 ? 'rate_limit_error' : 'invalid_request_error'),
      param: this.upstreamParam,
      wireCode: this.upstreamCode,
      cause: this,
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
    };
    return new GatewayError('upstream_error', this.upstreamMessage, options);
  }
}

/** `err` with upstream ids replaced when it is an `UpstreamError`; any other error unchanged. */
export const withGatewayIds = (err: unknown, ids: readonly UpstreamIdPair[]): unknown =>
  err instanceof UpstreamError ? err.withGatewayIds(ids) : err;
