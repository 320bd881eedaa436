/** Health probes, open without a key: liveliness (the process answers) and readiness (the store answers). */
import type { FastifyInstance } from 'fastify';

export interface HealthRoutesOptions {
  readonly pingStore: () => Promise<void>;
}

export const healthRoutes = (app: FastifyInstance, options: HealthRoutesOptions): void => {
  app.get('/health/liveliness', async () => "I'm alive!");
  app.get('/health/liveness', async () => "I'm alive!");
  app.get('/health/readiness', async (request, reply) => {
    try {
      await options.pingStore();
      return { status: 'healthy', db: 'connected' };
    } catch (err) {
      request.log.warn({ err }, 'readiness: store unreachable');
      return reply.status(503).send({ status: 'unhealthy', db: 'disconnected' });
    }
  });
};
