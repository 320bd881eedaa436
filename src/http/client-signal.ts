import type { FastifyReply } from 'fastify';

/**
 * Aborts when the client goes away before its response was sent, so upstream calls made for it
 * stop too. (The request's own 'close' event fires once its body is read, so it cannot be used.)
 */
export const clientSignal = (reply: FastifyReply, timeoutMs: number): AbortSignal => {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)]);
};
