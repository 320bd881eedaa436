/**
 * Builds the Fastify app: health probes (no key), then every OpenAI route under `/`, `/v1` and
 * `/{provider}/v1`, behind authentication. It never listens by itself: `server/` does, and tests
 * drive it with `inject` or their own listener.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Authenticator } from '../domain/auth/authenticator.js';
import type { BatchService } from '../domain/batches/batch-service.js';
import type { FileService } from '../domain/files/file-service.js';
import type { KeyService } from '../domain/keys/key-service.js';
import type { TeamService } from '../domain/keys/team-service.js';
import type { Clock } from '../domain/ports/clock.js';
import type { SpendService } from '../domain/spend/spend-service.js';
import { ADMIN_PRINCIPAL } from '../domain/principal.js';
import { trackActiveRequests } from './graceful-close.js';
import { answerClientError, answerFrameworkError, installErrorHandling } from './error-handler.js';
import { AccessLogController } from './access-log.js';
import { withRedactedRequests } from './log-redaction.js';
import { presentedKey } from './request-context.js';
import { adminRoutes } from './routes/admin.js';
import { batchRoutes } from './routes/batches.js';
import { spendRoutes } from './routes/spend.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { countRequests, metricsRoute, type MetricsOptions } from './routes/metrics.js';
import { modelRoutes, type ModelRoutesOptions } from './routes/models.js';
import { deploymentRoutes, type DeploymentRoutesOptions } from './routes/deployments.js';
import { uiRoutes } from './routes/ui.js';

export interface AppDeps {
  readonly files: FileService;
  readonly batches: BatchService;
  readonly authenticator: Authenticator;
  readonly keys: KeyService;
  readonly teams: TeamService;
  readonly spend: SpendService;
  readonly clock: Clock;
  readonly models: ModelRoutesOptions;
  readonly pingStore: () => Promise<void>;
  readonly spoolDir: string;
  readonly maxUploadBytes: number;
  readonly requestTimeoutMs: number;
  readonly uploadIdleTimeoutMs: number;
  readonly logger?: FastifyServerOptions['logger'];
  /** `GET /metrics` and request counting; absent or null: metrics are off and `/metrics` is a 404. */
  readonly metrics?: MetricsOptions | null;
  /** `GET /deployments` (master key) for the console's deployments page; absent: the route is a 404. */
  readonly deployments?: DeploymentRoutesOptions | null;
}

/** The three places every OpenAI route is served, as LiteLLM serves them. */
export const ROUTE_PREFIXES = ['', '/v1', '/:provider/v1'] as const;

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Keys can appear in URLs (`/key/info?key=sk-…`): request logs mask them.
    logger: withRedactedRequests(deps.logger ?? false),
    // One line per request instead of Fastify's two (`access-log.ts`).
    logController: new AccessLogController(),
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    bodyLimit: 8 * 1024 * 1024,
    // Ids never contain slashes; keep routing strict and predictable.
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: answerFrameworkError,
    // Errors Node's HTTP server meets before routing (431, broken chunked encoding…) get the envelope too.
    clientErrorHandler: answerClientError,
  });
  installErrorHandling(app);
  app.decorateRequest('principal', null as unknown as typeof ADMIN_PRINCIPAL);
  // Multipart bodies are left unread here: the files route streams them to disk itself.
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  trackActiveRequests(app);

  const metrics = deps.metrics ?? null;
  if (metrics !== null) countRequests(app, metrics.metrics);
  healthRoutes(app, { pingStore: deps.pingStore });
  if (metrics?.public === true) metricsRoute(app, metrics);
  // The console's static files, outside the authenticated scope: the browser holds the key.
  uiRoutes(app);
  // A request may make several upstream calls (placement on a second deployment, minting output
  // files), each bounded by the upstream timeout, which names the deployment when it fires. The
  // request as a whole gets twice that, so for a single call the per-call timeout fires first.
  const requestTimeoutMs = 2 * deps.requestTimeoutMs;

  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      request.principal = await deps.authenticator.authenticate(presentedKey(request));
    });
    modelRoutes(api, deps.models);
    if (metrics?.public === false) metricsRoute(api, metrics);
    adminRoutes(api, { keys: deps.keys, teams: deps.teams });
    spendRoutes(api, { spend: deps.spend, clock: deps.clock });
    if (deps.deployments != null) deploymentRoutes(api, deps.deployments);
    for (const prefix of ROUTE_PREFIXES) {
      await api.register(
        async (scoped) => {
          fileRoutes(scoped, {
            files: deps.files,
            spoolDir: deps.spoolDir,
            maxUploadBytes: deps.maxUploadBytes,
            requestTimeoutMs,
            uploadIdleTimeoutMs: deps.uploadIdleTimeoutMs,
          });
          batchRoutes(scoped, { batches: deps.batches, requestTimeoutMs });
        },
        { prefix },
      );
    }
  });
  return app;
}
