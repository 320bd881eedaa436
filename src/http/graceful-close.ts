/**
 * Graceful close of the HTTP server: requests in flight finish, then every connection goes.
 * Fastify closes keep-alive connections Node counts as idle, but Node can keep counting one as
 * busy after its last response has been sent (seen with the openai SDK after a download of more
 * than one read buffer), and `server.close()` would then wait for the client to hang up, which a
 * pooled client never does. So once no request is in progress, the remaining connections are
 * closed too.
 */
import type { FastifyInstance } from 'fastify';

const active = new WeakMap<FastifyInstance, { count: number }>();
const SWEEP_MS = 50;

/** Counts the requests whose response has not closed yet. */
export function trackActiveRequests(app: FastifyInstance): void {
  const state = { count: 0 };
  active.set(app, state);
  app.addHook('onRequest', async (_request, reply) => {
    state.count += 1;
    reply.raw.once('close', () => {
      state.count -= 1;
    });
  });
}

export async function closeGracefully(app: FastifyInstance): Promise<void> {
  const state = active.get(app);
  const closing = app.close();
  const sweep = setInterval(() => {
    if (state === undefined || state.count === 0) app.server.closeAllConnections();
  }, SWEEP_MS);
  try {
    await closing;
  } finally {
    clearInterval(sweep);
  }
}
