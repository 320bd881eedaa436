/** `/v1/batches…` routes: parse, call BatchService, serialise. Errors go to the one error handler. */
import type { FastifyInstance } from 'fastify';
import { createBatchSchema, listBatchesQuerySchema } from '../../contracts/requests.js';
import type { BatchService } from '../../domain/batches/batch-service.js';
import { clientSignal } from '../client-signal.js';
import { sendJsonList } from '../json-list.js';
import { parseRequest } from '../validation.js';

export interface BatchRoutesOptions {
  readonly batches: BatchService;
  readonly requestTimeoutMs: number;
}

type IdParams = { Params: { batch_id: string } };

export const batchRoutes = (app: FastifyInstance, options: BatchRoutesOptions): void => {
  const { batches, requestTimeoutMs } = options;

  app.post('/batches', async (request, reply) => {
    const body = parseRequest(createBatchSchema, request.body);
    const key = request.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' ? key : null;
    return batches.create(request.principal, body, clientSignal(reply, requestTimeoutMs), idempotencyKey);
  });

  app.get('/batches', async (request, reply) => {
    const query = parseRequest(listBatchesQuerySchema, request.query);
    const groups = query.target_model_names?.split(',').map((g) => g.trim()).filter((g) => g !== '');
    const page = await batches.list(request.principal, {
      limit: query.limit,
      after: query.after,
      modelGroups: groups === undefined || groups.length === 0 ? undefined : groups,
      teamId: query.team_id,
    });
    return sendJsonList(reply, page);
  });

  app.get<IdParams>('/batches/:batch_id', async (request, reply) =>
    batches.retrieve(request.principal, request.params.batch_id, clientSignal(reply, requestTimeoutMs)),
  );

  app.post<IdParams>('/batches/:batch_id/cancel', async (request, reply) =>
    batches.cancel(request.principal, request.params.batch_id, clientSignal(reply, requestTimeoutMs)),
  );
};
