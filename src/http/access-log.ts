/**
 * One log line per request, written when its answer is sent: method, URL (keys masked by the
 * request serializer), status and time taken. Fastify's own request logging writes two lines per
 * request at info ("incoming request", then "request completed"), which doubles the log volume of
 * a polling client for nothing the second line does not say. The incoming line is still there at
 * debug, to find a request that never finishes. Every other line Fastify writes about a request
 * (errors, broken streams, 404s) is left as it is.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';

export class AccessLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
