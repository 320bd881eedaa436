/** LiteLLM's spend routes, at the root: `/spend/logs` and `/global/spend/report`. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../domain/ports/clock.js';
import type { SpendService } from '../../domain/spend/spend-service.js';
import { parseRequest } from '../validation.js';

export interface SpendRoutesOptions {
  readonly spend: SpendService;
  readonly clock: Clock;
}

const logsQuerySchema = z.object({
  api_key: z.string().optional(),
  team_id: z.string().optional(),
  user_id: z.string().optional(),
  batch_id: z.string().optional(),
  request_id: z.string().optional(),
  start_date: z.string().optional(),
  end_date: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const reportQuerySchema = z.object({
  start_date: z.string().optional(),
  end_date: z.string().optional(),
  group_by: z.enum(['team', 'api_key', 'key']).default('team'),
});

export const spendRoutes = (app: FastifyInstance, options: SpendRoutesOptions): void => {
  app.get('/spend/logs', async (request) => {
    const q = parseRequest(logsQuerySchema, request.query);
    return options.spend.logs(request.principal, {
      apiKey: q.api_key,
      teamId: q.team_id,
      userId: q.user_id,
      // LiteLLM names a spend row by its request; a batch is ours.
      batchId: q.batch_id ?? q.request_id,
      startDate: q.start_date,
      endDate: q.end_date,
      limit: q.limit,
    });
  });

  app.get('/global/spend/report', async (request) => {
    const q = parseRequest(reportQuerySchema, request.query);
    return options.spend.report(
      request.principal,
      { startDate: q.start_date, endDate: q.end_date, groupBy: q.group_by === 'team' ? 'team' : 'api_key' },
      options.clock.now(),
    );
  });
};
