/**
 * At start-up: stored batches still running on a deployment the config no longer has (its
 * `model_info.id` changed, or the fields its derived id comes from) can be neither followed nor
 * billed. They are named in one warning that says how to bring them back, instead of silently
 * never finishing.
 */
import { TERMINAL_BATCH_STATUSES } from '../../contracts/openai.js';
import type { DeploymentDirectory } from '../deployments/deployment-directory.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

export async function warnOrphanedBatches(store: Pick<Store, 'batches'>, directory: DeploymentDirectory, logger: Logger): Promise<string | null> {
  const byDeployment = new Map<string, { group: string; count: number }>();
  for (const row of await store.batches.countByStatus()) {
    if (TERMINAL_BATCH_STATUSES.has(row.status) || directory.byId(row.deploymentId) !== undefined) continue;
    const entry = byDeployment.get(row.deploymentId) ?? { group: row.group, count: 0 };
    entry.count += row.count;
    byDeployment.set(row.deploymentId, entry);
  }
  if (byDeployment.size === 0) return null;
  const list = [...byDeployment].map(([id, e]) => `'${id}' (${e.count} batch${e.count === 1 ? '' : 'es'}, model group '${e.group}')`).join(', ');
  const message =
    `unfinished batches are stored for deployments that are no longer configured: ${list}. ` +
    `They are not followed or billed until their deployment is back: set model_info.id to that id on the deployment that served them.`;
  logger.warn({ deployments: [...byDeployment.keys()] }, message);
  return message;
}
