/**
 * The one error type the SDK throws (besides an abort, which rejects with the signal's reason).
 * Provider failures (`UpstreamError`) and the domain's own refusals (`GatewayError`) are turned
 * into it at the SDK's edge, keeping the upstream's status, code, type and message as they came:
 * the caller owns the upstream account, so nothing is scrubbed.
 */
import type { ErrorCode } from '../errors/catalogue.js';
import { ERROR_CATALOGUE } from '../errors/catalogue.js';
import { GatewayError } from '../errors/gateway-error.js';
import { UpstreamError } from '../errors/upstream-error.js';

/** Every code an `SdkError` may carry: the gateway's catalogue, and `wait_timeout` of `waitForBatch`. */
export type SdkErrorCode = ErrorCode | 'wait_timeout';

export interface SdkErrorInit {
  readonly code: SdkErrorCode;
  readonly message: string;
  /** HTTP-like status: the upstream's own for an upstream answer, 502/504 for transport failures. */
  readonly status?: number;
  readonly type?: string;
  readonly param?: string | null;
  readonly deploymentId?: string | null;
  readonly upstreamCode?: string | null;
  readonly retryable?: boolean;
  readonly retryAfterSeconds?: number | undefined;
  readonly cause?: unknown;
}

export class SdkError extends Error {
  override readonly name = 'SdkError';
  /** Stable, documented code (`not_found`, `unsupported_operation`, `upstream_error`, …). */
  readonly code: SdkErrorCode;
  readonly status: number;
  /** OpenAI error `type` (`invalid_request_error`, `server_error`, `rate_limit_error`, …). */
  readonly type: string;
  readonly param: string | null;
  /** The deployment the failing call went to, when there was one. */
  readonly deploymentId: string | null;
  /** The upstream's own `error.code`, when the upstream answered with one. */
  readonly upstreamCode: string | null;
  /** Whether the same call may succeed later (transport failures, timeouts, 408/409/429, 5xx). */
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(init: SdkErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    const catalogued = init.code === 'wait_timeout' ? { status: 408, type: 'timeout_error' } : ERROR_CATALOGUE[init.code];
    this.code = init.code;
    this.status = init.status ?? catalogued.status;
    this.type = init.type ?? catalogued.type;
    this.param = init.param ?? null;
    this.deploymentId = init.deploymentId ?? null;
    this.upstreamCode = init.upstreamCode ?? null;
    this.retryable = init.retryable ?? false;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

export const isSdkError = (err: unknown): err is SdkError => err instanceof SdkError;

export const sdkError = (code: SdkErrorCode, message: string, extra: Omit<SdkErrorInit, 'code' | 'message'> = {}): SdkError =>
  new SdkError({ code, message, ...extra });

function fromUpstream(err: UpstreamError): SdkError {
  const status = err.status ?? (err.failure === 'timeout' ? 504 : 502);
  const code: SdkErrorCode =
    err.failure === 'timeout'
      ? 'upstream_timeout'
      : err.status === 404
        ? 'not_found'
        : err.status === 429
          ? 'rate_limit_exceeded'
          : 'upstream_error';
  const message =
    err.failure === 'http' ? err.upstreamMessage : `deployment '${err.deploymentId}': ${err.failure === 'timeout' ? 'did not answer in time' : 'could not be reached'} (${err.upstreamMessage})`;
  return new SdkError({
    code,
    message,
    status,
    type: err.upstreamType ?? (status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error'),
    param: err.upstreamParam,
    deploymentId: err.deploymentId,
    upstreamCode: err.upstreamCode,
    retryable: err.retryable,
    retryAfterSeconds: err.retryAfterSeconds,
    cause: err,
  });
}

/**
 * What a failed SDK call rejects with: the signal's reason when the caller aborted, an `SdkError`
 * for everything else.
 */
export function toSdkError(err: unknown, signal?: AbortSignal, deploymentId?: string): unknown {
  if (signal?.aborted === true) return signal.reason;
  if (err instanceof SdkError) return err;
  if (err instanceof UpstreamError) return fromUpstream(err);
  if (err instanceof GatewayError) {
    return new SdkError({
      code: err.code,
      message: err.message,
      status: err.status,
      type: err.type,
      param: err.param,
      deploymentId: deploymentId ?? null,
      retryable: err.status === 429 || err.status >= 500,
      retryAfterSeconds: err.retryAfterSeconds,
      cause: err,
    });
  }
  if (err instanceof Error && err.name === 'AbortError') return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SdkError({ code: 'internal_error', message, deploymentId: deploymentId ?? null, cause: err });
}

/** Runs `fn`, rejecting with `toSdkError` of whatever it throws. */
export async function guarded<T>(fn: () => Promise<T>, signal?: AbortSignal, deploymentId?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSdkError(err, signal, deploymentId);
  }
}
