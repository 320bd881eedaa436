/**
 * Process entry for `batchgate worker`: the lifecycle worker alone (batch polling and cost
 * booking, reconciliation of pending records, webhook delivery), with no HTTP listener, so
 * operators can scale API and workers separately over one PostgreSQL.
 */
import type { GatewayConfig } from '../config/types.js';
import { composeGateway } from './compose.js';
import { keepWasmOnBaseline } from './wasm-baseline.js';
import { processLogger } from './process-logger.js';
import { closeOnSignals } from './shutdown.js';

export async function runWorker(config: GatewayConfig): Promise<void> {
  keepWasmOnBaseline();
  const logger = processLogger(config);
  const gateway = await composeGateway({ ...config, lifecycle: { ...config.lifecycle, runWorker: true } }, { logger });
  logger.info(
    { worker: gateway.poller.owner, deployments: config.deployments.length, store: config.databaseUrl === null ? 'sqlite' : 'postgres' },
    'batchgate worker running',
  );
  // Nothing else holds the event loop open here (the worker's own timers are unref'd, so they
  // never keep `serve` from exiting): hold it until shutdown.
  const keepAlive = setInterval(() => {}, 60_000);
  closeOnSignals(async () => {
    clearInterval(keepAlive);
    await gateway.close();
  }, logger);
}
