import type { FastifyReply } from 'fastify';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Aborts when the client goes away before its response was sent, so upstream calls made for it
 * stop too. (The request's own 'close' event fires once its body is read, so it cannot be used.)
 * Also aborts once `timeoutMs` (when given) have passed, with a 504 as the reason: upstream clients rethrow
 * their caller's abort reason untouched, so that reason is what the client gets.
 */
export const clientSignal = (reply: FastifyReply, timeoutMs: number | null): AbortSignal => {
  const controller = new AbortController();
  // null: no overall deadline, for downloads whose length is the client's business (the
  // upstream client still times out a stalled upstream on its own).
  const timer =
    timeoutMs === null
      ? undefined
      : setTimeout(() => {
          controller.abort(
            new GatewayError('upstream_timeout', `The request did not complete within ${Math.round(timeoutMs / 1000)} s.`),
          );
        }, timeoutMs);
  timer?.unref();
  reply.raw.once('close', () => {
    clearTimeout(timer);
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
};
