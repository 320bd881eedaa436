/** Model discovery in LiteLLM's and OpenAI's shapes, and the batch-deployment health check. */
import type { FastifyInstance } from 'fastify';
import { assertAdmin } from '../../domain/auth/admin.js';
import type { ModelCatalog } from '../../domain/models/model-catalog.js';
import type { HealthReport } from '../../domain/deployments/health-check.js';
import { clientSignal } from '../client-signal.js';
import { queryString } from '../request-context.js';

export interface ModelRoutesOptions {
  readonly catalog: ModelCatalog;
  readonly checkDeployments: (signal: AbortSignal) => Promise<HealthReport>;
}

export const modelRoutes = (app: FastifyInstance, options: ModelRoutesOptions): void => {
  const { catalog } = options;
  app.get('/model_group/info', async (request) => ({
    data: catalog.groupInfo(request.principal, queryString(request, 'model_group') ?? undefined),
  }));
  for (const path of ['/model/info', '/v1/model/info']) {
    app.get(path, async (request) => ({ data: catalog.deploymentInfo(request.principal) }));
  }
  for (const path of ['/models', '/v1/models']) {
    app.get(path, async (request) => ({
      object: 'list',
      data: catalog.groupsFor(request.principal).map((id) => ({ id, object: 'model', created: 0, owned_by: 'batchgate' })),
    }));
  }
  app.get('/health', async (request, reply) => {
    assertAdmin(request.principal, 'read deployment health');
    return options.checkDeployments(clientSignal(reply, 60_000));
  });
};
