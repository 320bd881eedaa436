/**
 * Every authorised call to Vertex and GCS goes through here: it adds the bearer token, retries
 * once with a fresh token when Google answers 401 (a token revoked or expired early), and turns
 * every other non-2xx into an `UpstreamError` whose message is Google's own, cleaned of object
 * URIs, the bucket, the project and the token (`sanitise.ts`). Bodies are strings or bytes only,
 * so a retry can resend them; streamed uploads are cut into chunks by `gcs-upload.ts`.
 */
import { UpstreamError } from '../../errors/upstream-error.js';
import type { CallOptions } from '../../domain/ports/provider-adapter.js';
import { typeForStatus } from '../shared/error-body.js';
import type { ExchangeResponse, HttpClient, HttpMethod, ResponseHeaders, StreamResponse } from '../shared/http-client.js';
import { integerAt, isRecord, recordAt, stringAt } from '../shared/json.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { TokenSource } from './auth.js';
import type { VertexConfig } from './params.js';
import { cleanUpstreamText, type Replacement } from './sanitise.js';

export interface GoogleRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly operation?: string;
  /** Statuses besides 2xx that are answers, not errors (GCS resumable `308`). */
  readonly accept?: readonly number[];
  /** What this call's objects are called in a message ("the input object"). */
  readonly known?: readonly Replacement[];
}

export interface GoogleApi {
  readonly config: VertexConfig;
  readonly http: HttpClient;
  /** A 2xx (or accepted) answer with its parsed body. */
  call(req: GoogleRequest, opts: CallOptions): Promise<ExchangeResponse>;
  /** A 2xx answer whose body is streamed. */
  stream(req: GoogleRequest, opts: CallOptions): Promise<StreamResponse>;
  /** Cleans a Google text for clients (the job's `error.message`, a failed line's status). */
  clean(text: string, known?: readonly Replacement[]): string;
}

const MAX_MESSAGE_CHARS = 2000;

/** Google's error envelope: `{"error": {"code": 404, "message": …, "status": "NOT_FOUND"}}`. */
const describe = (status: number, body: unknown): { message: string; code: string | null } => {
  const error = isRecord(body) ? recordAt(body, 'error') : null;
  if (error !== null) {
    const message = stringAt(error, 'message') ?? `HTTP ${status}`;
    const code = stringAt(error, 'status') ?? (integerAt(error, 'code') === null ? null : String(integerAt(error, 'code')));
    return { message, code };
  }
  if (typeof body === 'string' && body.trim() !== '') {
    return { message: body.trim().startsWith('<') ? `HTTP ${status} with an HTML page` : body.trim().replace(/\s+/g, ' '), code: null };
  }
  return { message: `HTTP ${status}`, code: null };
};

export const createGoogleApi = (config: VertexConfig, http: HttpClient, tokens: TokenSource): GoogleApi => {
  const clean = (text: string, known: readonly Replacement[] = []): string => {
    const out = cleanUpstreamText(text, { known, secrets: tokens.secrets(), bucket: config.bucket, project: config.project });
    return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}…` : out;
  };

  const failure = (status: number, body: unknown, headers: ResponseHeaders, known: readonly Replacement[] = []): UpstreamError => {
    const { message, code } = describe(status, body);
    return new UpstreamError({
      deploymentId: http.deploymentId,
      failure: 'http',
      status,
      message: clean(message, known),
      type: typeForStatus(status),
      code,
      retryAfterSeconds: parseRetryAfter(headers),
    });
  };

  /** Runs `send` with a token; a 401 drops the token and runs it once more with a new one. */
  const authorised = async <T>(opts: CallOptions, send: (token: string) => Promise<T>, is401: (result: T) => boolean): Promise<T> => {
    const token = await tokens.token(opts.signal);
    const first = await send(token);
    if (!is401(first)) return first;
    tokens.invalidate(token);
    return send(await tokens.token(opts.signal));
  };

  const headersOf = (req: GoogleRequest, token: string): Record<string, string> => ({ ...req.headers, authorization: `Bearer ${token}` });

  const call = async (req: GoogleRequest, opts: CallOptions): Promise<ExchangeResponse> => {
    const response = await authorised(
      opts,
      (token) =>
        http.exchange({
          method: req.method,
          url: req.url,
          headers: headersOf(req, token),
          body: req.body,
          signal: opts.signal,
          operation: req.operation,
        }),
      (r) => r.status === 401,
    );
    const ok = (response.status >= 200 && response.status < 300) || (req.accept ?? []).includes(response.status);
    if (!ok) throw failure(response.status, response.body, response.headers, req.known);
    return response;
  };

  const stream = async (req: GoogleRequest, opts: CallOptions): Promise<StreamResponse> => {
    const send = async (token: string): Promise<StreamResponse | UpstreamError> => {
      try {
        return await http.stream({ method: req.method, url: req.url, headers: headersOf(req, token), signal: opts.signal, operation: req.operation });
      } catch (error) {
        if (error instanceof UpstreamError && error.failure === 'http' && error.status !== null) return error;
        throw error;
      }
    };
    const result = await authorised(opts, send, (r) => r instanceof UpstreamError && r.status === 401);
    if (!(result instanceof UpstreamError)) return result;
    throw new UpstreamError({
      deploymentId: http.deploymentId,
      failure: 'http',
      status: result.status,
      message: clean(result.upstreamMessage, req.known),
      type: result.upstreamType,
      code: result.upstreamCode,
      retryAfterSeconds: result.retryAfterSeconds,
    });
  };

  return { config, http, call, stream, clean };
};
