/**
 * Every call to the Gemini API goes through here: it adds `x-goog-api-key` and turns every
 * non-2xx into an `UpstreamError` carrying Google's own message (`{"error": {code, message,
 * status, details}}`) with the key redacted. An invalid key is answered 400 `INVALID_ARGUMENT`
 * (reason `API_KEY_INVALID`) by Google; it is reported as 401 here, so the domain sees a
 * credentials problem of the deployment rather than a bad request of the client.
 */
import type { Readable } from 'node:stream';
import type { CallOptions } from '../../domain/ports/provider-adapter.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import { typeForStatus } from '../shared/error-body.js';
import type { ExchangeResponse, HttpClient, HttpMethod, ResponseHeaders, StreamResponse } from '../shared/http-client.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import { redactSecrets } from '../shared/redact.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { GeminiConfig } from './params.js';

export interface GeminiRequest {
  readonly method: HttpMethod;
  /** Path after the API base: `/v1beta/batches/…`, `/upload/v1beta/files`; or an absolute URL. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly operation?: string;
}

export interface GeminiApi {
  readonly config: GeminiConfig;
  readonly http: HttpClient;
  /** A 2xx answer with its parsed body (bodies up to the client's JSON limit). */
  call(req: GeminiRequest, opts: CallOptions): Promise<ExchangeResponse>;
  /**
   * A 2xx answer whose body is streamed (large operations, result files); the request body may
   * be a stream too, sent as it is produced (an inline create).
   */
  stream(req: Omit<GeminiRequest, 'body'> & { readonly body?: string | Buffer | Readable }, opts: CallOptions): Promise<StreamResponse>;
  /** Google's text, cleaned for clients (the key redacted, cut to a sane length). */
  clean(text: string): string;
}

const MAX_MESSAGE_CHARS = 2000;

/** Google answers a bad key with 400; it is the deployment's credential that is wrong. */
const statusOf = (status: number, reason: string | null, message: string): number =>
  status === 400 && (reason === 'API_KEY_INVALID' || /\bAPI key not valid\b/i.test(message)) ? 401 : status;

const reasonOf = (error: JsonRecord): string | null => {
  const details = error['details'];
  if (!Array.isArray(details)) return null;
  for (const detail of details) if (isRecord(detail) && typeof detail['reason'] === 'string') return detail['reason'];
  return null;
};

export const createGeminiApi = (config: GeminiConfig, http: HttpClient): GeminiApi => {
  const clean = (text: string): string => {
    const out = redactSecrets(text, [config.apiKey]);
    return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}…` : out;
  };
  const urlOf = (path: string): string => (/^https?:\/\//i.test(path) ? path : `${config.apiBase}${path}`);
  const headersOf = (req: { headers?: Readonly<Record<string, string>> }): Record<string, string> => ({
    ...req.headers,
    'x-goog-api-key': config.apiKey,
  });

  const failure = (status: number, body: unknown, headers: ResponseHeaders): UpstreamError => {
    const error = isRecord(body) ? recordAt(body, 'error') : null;
    let message = `HTTP ${status}`;
    let code: string | null = null;
    let reason: string | null = null;
    if (error !== null) {
      message = stringAt(error, 'message') ?? message;
      code = stringAt(error, 'status') ?? (integerAt(error, 'code') === null ? null : String(integerAt(error, 'code')));
      reason = reasonOf(error);
    } else if (typeof body === 'string' && body.trim() !== '') {
      message = body.trim().startsWith('<') ? `HTTP ${status} with an HTML page` : body.trim().replace(/\s+/g, ' ');
    }
    const shown = statusOf(status, reason, message);
    return new UpstreamError({
      deploymentId: http.deploymentId,
      failure: 'http',
      status: shown,
      message: clean(message),
      type: typeForStatus(shown),
      code,
      retryAfterSeconds: parseRetryAfter(headers),
    });
  };

  /** The shared client's own `UpstreamError` (streamed calls), restated the way `failure` does. */
  const restated = (error: unknown): unknown => {
    if (!(error instanceof UpstreamError) || error.failure !== 'http' || error.status === null) return error;
    const shown = statusOf(error.status, null, error.upstreamMessage);
    if (shown === error.status) return error;
    return new UpstreamError({
      deploymentId: http.deploymentId,
      failure: 'http',
      status: shown,
      message: clean(error.upstreamMessage),
      type: typeForStatus(shown),
      code: error.upstreamCode,
      retryAfterSeconds: error.retryAfterSeconds,
    });
  };

  const call = async (req: GeminiRequest, opts: CallOptions): Promise<ExchangeResponse> => {
    const response = await http.exchange({
      method: req.method,
      url: urlOf(req.path),
      headers: headersOf(req),
      body: req.body,
      signal: opts.signal,
      operation: req.operation,
    });
    if (response.status < 200 || response.status > 299) throw failure(response.status, response.body, response.headers);
    return response;
  };

  const stream: GeminiApi['stream'] = async (req, opts) =>
    http
      .stream({ method: req.method, url: urlOf(req.path), headers: headersOf(req), body: req.body, signal: opts.signal, operation: req.operation })
      .catch((error: unknown) => Promise.reject(restated(error)));

  return { config, http, call, stream, clean };
};
