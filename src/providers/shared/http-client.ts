/**
 * The one HTTP client every adapter uses to reach its upstream, over undici (an `Agent` keeps one
 * connection pool per origin). It owns the edge between "the upstream answered" and "the domain
 * sees an error": every call runs under the caller's AbortSignal combined with a timeout, and every
 * failure becomes an `UpstreamError` naming the deployment (never its key):
 *
 * - the timeout fired, or undici's header/body timers did → failure 'timeout';
 * - the connection could not be made or broke → failure 'connection';
 * - a non-2xx answer → failure 'http', with the upstream's message/type/code/param and Retry-After.
 *
 * Two exceptions are rethrown untouched because they are not the upstream's fault: the caller's
 * own abort (its `signal.reason`), and an error raised by a streamed request body (for example a
 * validation error thrown by the line transform of an upload).
 */
import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { UpstreamError } from '../../errors/upstream-error.js';
import { operationOf, outcomeOf, type UpstreamCallObserver } from './call-report.js';
import { parseErrorBody } from './error-body.js';
import { tryParseJson } from './json.js';
import { redactSecrets } from './redact.js';
import { parseRetryAfter } from './retry-after.js';
import { classifyTransportError, describeTransportError } from './transport-error.js';

/** Error bodies are read up to this size; the rest is dropped with the connection. */
export const ERROR_BODY_LIMIT_BYTES = 64 * 1024;
/** JSON success bodies (File, Batch objects) are small; anything bigger is not what we asked for. */
export const JSON_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface HttpClientConfig {
  readonly deploymentId: string;
  /** Budget of one call: until the whole JSON body is read, or until the headers of a stream. */
  readonly timeoutMs: number;
  /** Credentials of the deployment, scrubbed from every message that leaves this client. */
  readonly secrets: readonly string[];
  /** Defaults to undici's global Agent. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Told about every call once it settled (metrics). */
  readonly observer?: UpstreamCallObserver | undefined;
}

export interface UpstreamRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * A JSON string, bytes (one part of a multipart or resumable upload), or a stream sent as it is
   * read (chunked unless `content-length` is set). `exchange` sends strings and bytes only.
   */
  readonly body?: string | Buffer | Readable | undefined;
  readonly signal: AbortSignal;
  /** A bounded name for metrics; default: the method and the path with ids masked. */
  readonly operation?: string | undefined;
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The parsed body; null for an empty body (204). */
  readonly body: unknown;
}

export interface StreamResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The body as it arrives; read errors surface as `UpstreamError` too. */
  readonly body: Readable;
}

/** An answer of any status, as an inference call hands it back for a batch's output line. */
export interface ExchangeResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON (a proxy's HTML page). */
  readonly body: unknown;
}

export interface HttpClient {
  readonly deploymentId: string;
  /** Sends a request and parses a JSON answer. */
  json(req: UpstreamRequest): Promise<JsonResponse>;
  /**
   * Sends a request and returns the answer whatever its status (4xx and 5xx included, bodies up
   * to the JSON limit); only a timeout or a broken connection throws.
   */
  exchange(req: UpstreamRequest): Promise<ExchangeResponse>;
  /** Sends a request and hands back the answer's body unbuffered. */
  stream(req: UpstreamRequest): Promise<StreamResponse>;
  /** The error for a 2xx answer that is not what the API promises (reported as a 502). */
  malformed(what: string): UpstreamError;
}

/** One call in flight: its combined signal, its timer and what its request body did. */
interface Call {
  readonly signal: AbortSignal;
  /** Set when the whole-call timer fired (rather than the caller aborting). */
  readonly timedOut: { value: boolean };
  readonly timer: NodeJS.Timeout;
  /** Stops following the caller's signal: called once the call and its body are done with. */
  readonly unlink: () => void;
  readonly sourceError: { value: unknown };
  /** The upstream's HTTP status, once an answer arrived. */
  readonly answer: { status: number | undefined };
}

/** Wraps a request body so an error it raises can be told apart from a transport failure. */
const trackSource = (body: Readable, sink: { value: unknown }): Readable => {
  async function* relay(): AsyncGenerator<Buffer | string> {
    try {
      for await (const chunk of body) yield chunk as Buffer | string;
    } catch (error) {
      sink.value = error;
      throw error;
    }
  }
  return Readable.from(relay(), { objectMode: false });
};

const readCapped = async (body: Readable, limit: number): Promise<{ text: string; truncated: boolean }> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    const room = limit - size;
    if (buffer.length > room) {
      chunks.push(buffer.subarray(0, room));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
};

export const createHttpClient = (config: HttpClientConfig): HttpClient => {
  const { deploymentId, timeoutMs, secrets } = config;
  const redact = (text: string): string => redactSecrets(text, secrets);

  const failureOf = (call: Call, callerSignal: AbortSignal, error: unknown): unknown => {
    if (error instanceof UpstreamError) return error;
    if (call.sourceError.value !== undefined) return call.sourceError.value;
    if (callerSignal.aborted) return callerSignal.reason;
    if (call.timedOut.value) {
      return new UpstreamError({
        deploymentId,
        failure: 'timeout',
        message: `no answer within ${timeoutMs} ms`,
        cause: error,
      });
    }
    const failure = classifyTransportError(error);
    return new UpstreamError({
      deploymentId,
      failure,
      message: redact(`${failure === 'timeout' ? 'timed out' : 'connection failed'}: ${describeTransportError(error)}`),
      cause: error,
    });
  };

  const httpError = async (response: Dispatcher.ResponseData): Promise<UpstreamError> => {
    const { text } = await readCapped(response.body, ERROR_BODY_LIMIT_BYTES);
    const parsed = parseErrorBody(response.statusCode, text, response.statusText);
    return new UpstreamError({
      deploymentId,
      failure: 'http',
      status: response.statusCode,
      message: redact(parsed.message),
      type: parsed.type,
      code: parsed.code,
      param: parsed.param,
      retryAfterSeconds: parseRetryAfter(response.headers),
    });
  };

  const malformed = (what: string): UpstreamError =>
    new UpstreamError({
      deploymentId,
      failure: 'http',
      status: 502,
      type: 'server_error',
      message: redact(`unexpected answer from upstream: ${what}`),
    });

  /**
   * Redirects are not followed (a POST body cannot be replayed, and an API that moved is a
   * configuration problem); passing the 3xx on would hand clients a redirect without its target.
   */
  const redirectError = async (response: Dispatcher.ResponseData): Promise<UpstreamError> => {
    await readCapped(response.body, ERROR_BODY_LIMIT_BYTES);
    const location = response.headers['location'];
    const target = typeof location === 'string' ? ` to ${location}` : '';
    return malformed(`HTTP ${response.statusCode} redirect${target}; check the deployment's api_base`);
  };

  /** Sends the request; resolves with a 2xx response whose body is still unread. */
  const send = async (req: UpstreamRequest, call: Call): Promise<Dispatcher.ResponseData> => {
    const body = req.body instanceof Readable ? trackSource(req.body, call.sourceError) : req.body;
    try {
      const response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: body ?? null,
        signal: call.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(config.dispatcher === undefined ? {} : { dispatcher: config.dispatcher }),
      });
      call.answer.status = response.statusCode;
      if (response.statusCode >= 300 && response.statusCode < 400) throw await redirectError(response);
      if (response.statusCode < 200 || response.statusCode > 299) throw await httpError(response);
      return response;
    } catch (error) {
      // A stream body undici never started reading would otherwise hold its producer forever.
      if (req.body instanceof Readable && !req.body.destroyed) req.body.destroy();
      throw failureOf(call, req.signal, error);
    }
  };

  /**
   * The call's signal aborts when the caller's does or the whole-call timer fires. Linked by hand
   * rather than with `AbortSignal.any`, which cost a tenth of the executor's own time per line
   * (bench/RESULTS.md); the listener on the caller's signal, which may outlive many calls (one
   * per line of a chunk), is removed by `unlink` when the call ends.
   */
  const startCall = (signal: AbortSignal): Call => {
    const combined = new AbortController();
    const timedOut = { value: false };
    const timer = setTimeout(() => {
      timedOut.value = true;
      combined.abort(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    const follow = (): void => combined.abort(signal.reason);
    if (signal.aborted) follow();
    else signal.addEventListener('abort', follow, { once: true });
    return {
      signal: combined.signal,
      timedOut,
      timer,
      unlink: () => signal.removeEventListener('abort', follow),
      sourceError: { value: undefined },
      answer: { status: undefined },
    };
  };

  /** Runs one call and, when there is an observer, reports it once it settled. */
  const observed =
    <T>(run: (req: UpstreamRequest, call: Call) => Promise<T>) =>
    async (req: UpstreamRequest): Promise<T> => {
      const call = startCall(req.signal);
      const { observer } = config;
      if (observer === undefined) return run(req, call);
      const started = performance.now();
      const report = (error: unknown): void => {
        try {
          observer({
            deploymentId,
            operation: req.operation ?? operationOf(req.method, req.url),
            outcome: outcomeOf(call.answer.status, error),
            seconds: (performance.now() - started) / 1000,
          });
        } catch {
          // Metrics never fail a call.
        }
      };
      try {
        const result = await run(req, call);
        report(undefined);
        return result;
      } catch (error) {
        report(error);
        throw error;
      }
    };

  const json = async (req: UpstreamRequest, call: Call): Promise<JsonResponse> => {
    try {
      const response = await send(req, call);
      const { text, truncated } = await readCapped(response.body, JSON_BODY_LIMIT_BYTES).catch((error: unknown) => {
        throw failureOf(call, req.signal, error);
      });
      if (truncated) throw malformed(`a body larger than ${JSON_BODY_LIMIT_BYTES} bytes`);
      if (text.trim() === '') return { status: response.statusCode, headers: response.headers, body: null };
      const parsed = tryParseJson(text);
      if (parsed === undefined) {
        throw malformed(`HTTP ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
      return { status: response.statusCode, headers: response.headers, body: parsed };
    } finally {
      clearTimeout(call.timer);
      call.unlink();
    }
  };

  const stream = async (req: UpstreamRequest, call: Call): Promise<StreamResponse> => {
    let response: Dispatcher.ResponseData;
    try {
      response = await send(req, call);
    } catch (error) {
      call.unlink();
      throw error;
    } finally {
      // From here on the body may take as long as it needs: the caller's signal and undici's
      // idle timer (bodyTimeout) still apply, the whole-call budget does not.
      clearTimeout(call.timer);
    }
    const source = response.body;
    async function* relay(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of source) yield chunk as Buffer;
      } catch (error) {
        throw failureOf(call, req.signal, error);
      }
    }
    const body = Readable.from(relay(), { objectMode: false });
    // A consumer that destroys the stream before reading it must still release the connection.
    body.once('close', () => {
      call.unlink();
      if (!source.destroyed) source.destroy();
    });
    return { status: response.statusCode, headers: response.headers, body };
  };

  const exchange = async (req: UpstreamRequest, call: Call): Promise<ExchangeResponse> => {
    try {
      const response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : null,
        signal: call.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(config.dispatcher === undefined ? {} : { dispatcher: config.dispatcher }),
      });
      call.answer.status = response.statusCode;
      const { text, truncated } = await readCapped(response.body, JSON_BODY_LIMIT_BYTES);
      if (truncated) throw malformed(`a body larger than ${JSON_BODY_LIMIT_BYTES} bytes`);
      const parsed = text.trim() === '' ? null : tryParseJson(text);
      return { status: response.statusCode, headers: response.headers, body: parsed === undefined ? redact(text) : parsed };
    } catch (error) {
      throw failureOf(call, req.signal, error);
    } finally {
      clearTimeout(call.timer);
      call.unlink();
    }
  };

  return { deploymentId, json: observed(json), stream: observed(stream), exchange: observed(exchange), malformed };
};
