/**
 * `GET /metrics` (Prometheus text format) and the hook that counts every HTTP answer. Requests are
 * labelled by route pattern (`/v1/files/:file_id`), never by URL: ids must not become label
 * values, or every file would add a series. Behind the master key unless configured public; when
 * metrics are off the route does not exist, so it answers 404 like any unknown route.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertAdmin } from '../../domain/auth/admin.js';

export interface HttpMetrics {
  /** One answered request: `route` is the route pattern, `seconds` the time to answer. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** The current metrics in the text exposition format. */
  scrape(): Promise<{ readonly contentType: string; readonly text: string }>;
}

export interface MetricsOptions {
  readonly metrics: HttpMetrics;
  /** Served without a key; otherwise the master key only (a virtual key gets 403). */
  readonly public: boolean;
}

/** The label of a request no route matched (404s, probes of random paths): one series for all. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Counts every answer, errors included; call on the root instance so every route inherits it. */
export const countRequests = (app: FastifyInstance, metrics: HttpMetrics): void => {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
  });
};

const adminOnly = async (request: FastifyRequest): Promise<void> => assertAdmin(request.principal, 'read metrics');

/**
 * Registers `GET /metrics` on `app`: the root instance when public, the authenticated scope
 * otherwise (whose `onRequest` hook has already set `request.principal`).
 */
export const metricsRoute = (app: FastifyInstance, options: MetricsOptions): void => {
  app.get('/metrics', options.public ? {} : { onRequest: adminOnly }, async (_request, reply) => {
    const { contentType, text } = await options.metrics.scrape();
    return reply.type(contentType).send(text);
  });
};
