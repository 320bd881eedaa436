/**
 * The only place errors become HTTP responses, always in OpenAI's envelope
 * `{"error":{"message","type","param","code"}}`. Unknown errors are logged with the request id and
 * answered with a generic 500: their text never reaches the client.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../contracts/openai.js';
import { GatewayError } from '../errors/gateway-error.js';
import { UpstreamError } from '../errors/upstream-error.js';

interface HttpError {
  readonly status: number;
  readonly body: ErrorBody;
  readonly retryAfterSeconds?: number | undefined;
}

const envelope = (message: string, type: string, param: string | null, code: string | null): ErrorBody => ({
  error: { message, type, param, code },
});

const isFastifyError = (err: unknown): err is FastifyError =>
  err instanceof Error && typeof (err as Partial<FastifyError>).code === 'string' && (err as Partial<FastifyError>).code?.startsWith('FST_') === true;

export const toHttpError = (err: unknown): HttpError | null => {
  const known = err instanceof UpstreamError ? err.toGatewayError() : err;
  if (known instanceof GatewayError) {
    return {
      status: known.status,
      body: envelope(known.message, known.type, known.param, known.wireCode),
      retryAfterSeconds: known.retryAfterSeconds,
    };
  }
  if (isFastifyError(known) && typeof known.statusCode === 'number' && known.statusCode >= 400 && known.statusCode < 500) {
    return { status: known.statusCode, body: envelope(known.message, 'invalid_request_error', null, null) };
  }
  return null;
};

export const installErrorHandling = (app: FastifyInstance): void => {
  app.setErrorHandler((err, request, reply) => {
    const mapped = toHttpError(err);
    if (mapped === null) {
      request.log.error({ err }, 'unhandled error');
      return reply.status(500).send(envelope('Internal server error.', 'server_error', null, 'internal_error'));
    }
    if (mapped.status >= 500) request.log.warn({ err }, 'request failed');
    if (mapped.retryAfterSeconds !== undefined) void reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(envelope(`Unknown route: ${request.method} ${request.url.split('?')[0] ?? ''}`, 'invalid_request_error', null, 'not_found')),
  );
};

/**
 * Fastify's router answers some malformed URLs itself, before any hook or error handler runs (a
 * percent-encoding it cannot decode, a path parameter over `maxParamLength`); its `frameworkErrors`
 * option sends those through here so they too get the OpenAI envelope.
 */
export const answerFrameworkError = (err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  void reply.status(status).send(envelope(err.message, 'invalid_request_error', null, null));
};

/** What Node's HTTP parser reports about a connection it cannot read, as a catalogue error. */
const clientGatewayError = (err: Partial<ConnectionError> & { reason?: unknown }): GatewayError => {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new GatewayError('headers_too_large', 'The request headers are too large.');
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT') {
    return new GatewayError('request_timeout', 'The request did not arrive in time.');
  }
  // llhttp's reasons are fixed strings ("Invalid character in chunk size"), never request bytes.
  const reason = typeof err.reason === 'string' && err.reason.length > 0 ? `: ${err.reason.slice(0, 200)}` : '.';
  return new GatewayError('invalid_request', `Malformed HTTP request${reason}`);
};

/**
 * Fastify's `clientErrorHandler`: Node's HTTP server calls it for a connection it cannot parse
 * (oversized headers, broken chunked encoding, Content-Length with Transfer-Encoding, a garbage
 * request line, a header timeout) before any route or hook runs. The answer is written raw on the
 * socket, in the same envelope as every other error, then the connection is closed.
 */
export function answerClientError(this: FastifyInstance | undefined, err: ConnectionError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) {
    socket.destroy();
    return;
  }
  const mapped = toHttpError(clientGatewayError(err));
  this?.log.debug({ err: { code: err.code, message: err.message } }, 'client error');
  // As Node itself does: never write into a response already on its way on this socket.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (mapped !== null && socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify(mapped.body);
    socket.write(
      `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status] ?? 'Error'}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}
