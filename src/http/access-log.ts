/**
 * One log line per request, written when its answer is sent: method, URL (keys masked by the
 * request serializer), status and time taken. Fastify's own request logging writes two lines per
 * request at info ("incoming request", then "request completed"), which doubles the log volume of
 * a polling client for nothing the second line does not say. The incoming line is still there at
 * debug, to find a request that never finishes.
 */
import type { FastifyInstance } from 'fastify';

export function accessLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    request.log.debug({ req: request }, 'incoming request');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}
