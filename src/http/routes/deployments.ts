/**
 * `GET /deployments`: what the console's deployments page shows and no other route gives — each
 * configured deployment with its group, provider, this process's view of its health (failures in
 * a row, cooldown) and how many of its batches are in each status. Read-only and master key only:
 * deployment ids, upstream models and upstream error texts are operator facts, not tenant facts.
 * Secrets never appear: only the deployment's identity is read, never its credentials.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TERMINAL_BATCH_STATUSES, type BatchStatus } from '../../contracts/openai.js';
import { assertAdmin } from '../../domain/auth/admin.js';
import type { DeploymentDirectory } from '../../domain/deployments/deployment-directory.js';
import type { DeploymentHealth } from '../../domain/deployments/deployment-health.js';
import { executesInGateway } from '../../domain/executor/execution-mode.js';

export interface DeploymentRoutesOptions {
  readonly directory: DeploymentDirectory;
  readonly health: DeploymentHealth;
  /** Ready batches per deployment and status (`store.batches.countByStatus()`). */
  readonly countBatches: () => Promise<ReadonlyArray<{ deploymentId: string; status: BatchStatus; count: number }>>;
}

export interface DeploymentStatus {
  id: string;
  model_group: string;
  provider: string;
  upstream_model: string;
  /** `gateway` when batchgate runs the lines itself, else `native` (the upstream's batch API). */
  batch_execution: string;
  /** `cooling_down` while placement skips it, `failing` after a failure short of the cooldown. */
  health: 'healthy' | 'failing' | 'cooling_down';
  consecutive_failures: number;
  /** ISO time; null when not cooling down. */
  cooldown_until: string | null;
  last_error: string | null;
  /** Batches not yet in a terminal status. */
  batches_in_flight: number;
  batches_by_status: Partial<Record<BatchStatus, number>>;
}

const adminOnly = async (request: FastifyRequest): Promise<void> => assertAdmin(request.principal, 'read deployment status');

export const deploymentRoutes = (app: FastifyInstance, options: DeploymentRoutesOptions): void => {
  app.get('/deployments', { onRequest: adminOnly }, async () => {
    const counts = new Map<string, Partial<Record<BatchStatus, number>>>();
    for (const row of await options.countBatches()) {
      const byStatus = counts.get(row.deploymentId) ?? {};
      byStatus[row.status] = (byStatus[row.status] ?? 0) + row.count;
      counts.set(row.deploymentId, byStatus);
    }
    const data = options.directory.all.map((d): DeploymentStatus => {
      const state = options.health.stateOf(d.id);
      const byStatus = counts.get(d.id) ?? {};
      const inFlight = Object.entries(byStatus)
        .filter(([status]) => !TERMINAL_BATCH_STATUSES.has(status as BatchStatus))
        .reduce((sum, [, n]) => sum + (n ?? 0), 0);
      return {
        id: d.id,
        model_group: d.modelGroup,
        provider: d.provider,
        upstream_model: d.upstreamModel,
        batch_execution: executesInGateway(d) ? 'gateway' : 'native',
        health: state.coolingDownUntilMs !== null ? 'cooling_down' : state.consecutiveFailures > 0 ? 'failing' : 'healthy',
        consecutive_failures: state.consecutiveFailures,
        cooldown_until: state.coolingDownUntilMs === null ? null : new Date(state.coolingDownUntilMs).toISOString(),
        last_error: state.lastError,
        batches_in_flight: inFlight,
        batches_by_status: byStatus,
      };
    });
    return { object: 'list', data };
  });
};
