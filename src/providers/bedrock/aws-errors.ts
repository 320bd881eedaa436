/**
 * AWS error answers → `UpstreamError` (`reference/wire.md` §5.1, §5.4). Bedrock answers
 * `{"message": …}` with the error name in `x-amzn-ErrorType` (sometimes `__type` in the body);
 * S3 answers `<Error><Code>…</Code><Message>…</Message></Error>`. The status is kept (429
 * ThrottlingException and 5xx are retryable by `UpstreamError`'s own rule), the error name
 * becomes `code`, and every message is scrubbed of ARNs, URIs, buckets, keys and account ids.
 */
import { UpstreamError } from '../../errors/upstream-error.js';
import { typeForStatus } from '../shared/error-body.js';
import { isRecord, stringAt } from '../shared/json.js';
import type { ResponseHeaders } from '../shared/http-client.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import { xmlText } from './xml.js';

export interface ErrorScope {
  readonly deploymentId: string;
  /** Deployment secrets and bucket names, removed from every message. */
  readonly scrub: (text: string) => string;
}

const headerOf = (headers: ResponseHeaders, name: string): string | null => {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
};

/** `ValidationException:http://internal…` and `com.amazon.coral#ValidationException` → `ValidationException`. */
const errorName = (raw: string | null): string | null => {
  if (raw === null) return null;
  const name = raw.split(':')[0]?.split('#').pop()?.trim() ?? '';
  return name === '' ? null : name;
};

/** What the answer's body says: JSON for Bedrock, XML for S3, anything else ignored. */
const nameAndMessage = (headers: ResponseHeaders, body: unknown): { code: string | null; message: string | null } => {
  const headerName = errorName(headerOf(headers, 'x-amzn-errortype'));
  if (isRecord(body)) {
    return {
      code: headerName ?? errorName(stringAt(body, '__type') ?? stringAt(body, 'code')),
      message: stringAt(body, 'message') ?? stringAt(body, 'Message'),
    };
  }
  if (typeof body === 'string' && body.includes('<Error>')) {
    return { code: headerName ?? xmlText(body, 'Code'), message: xmlText(body, 'Message') };
  }
  return { code: headerName, message: null };
};

/** Short words for the statuses S3 answers without a body (HEAD) or with one we do not need. */
const STATUS_WORDS: Readonly<Record<number, string>> = {
  400: 'the request was refused',
  403: 'access was denied',
  404: 'it does not exist',
  409: 'it is in use',
  412: 'a precondition failed',
  429: 'too many requests',
  500: 'the service failed',
  503: 'the service is unavailable or slowing down requests',
};

/** `what`: the operation in words without any resource name ("reading the input object"). */
export const awsError = (scope: ErrorScope, what: string, status: number, headers: ResponseHeaders, body: unknown): UpstreamError => {
  const { code, message } = nameAndMessage(headers, body);
  const detail = message ?? STATUS_WORDS[status] ?? `HTTP ${status}`;
  return new UpstreamError({
    deploymentId: scope.deploymentId,
    failure: 'http',
    status,
    type: typeForStatus(status),
    code,
    message: scope.scrub(`${what} failed${code === null ? '' : ` (${code})`}: ${detail}`),
    retryAfterSeconds: parseRetryAfter(headers),
  });
};

/** The same error with its message scrubbed (transport errors name hosts, and thus buckets). */
export const scrubbedError = (scope: ErrorScope, what: string, err: unknown): unknown => {
  if (!(err instanceof UpstreamError)) return err;
  return new UpstreamError({
    deploymentId: err.deploymentId,
    failure: err.failure,
    status: err.status,
    message: scope.scrub(err.failure === 'http' && err.status !== null ? `${what} failed: ${STATUS_WORDS[err.status] ?? err.upstreamMessage}` : `${what}: ${err.upstreamMessage}`),
    type: err.upstreamType,
    code: err.upstreamCode,
    param: err.upstreamParam,
    retryAfterSeconds: err.retryAfterSeconds,
    cause: err.cause ?? err,
  });
};
