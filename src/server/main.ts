/**
 * Process entry for `batchgate serve`: compose, listen, and shut down gracefully on SIGTERM or
 * SIGINT (stop accepting, finish requests in flight, close the store).
 */
import type { GatewayConfig } from '../config/types.js';
import { composeGateway } from './compose.js';
import { keepWasmOnBaseline } from './wasm-baseline.js';
import { closeOnSignals } from './shutdown.js';
import { loggerOptions, processLogger } from './process-logger.js';

export async function runServer(config: GatewayConfig): Promise<void> {
  keepWasmOnBaseline();
  const logger = processLogger(config);
  const gateway = await composeGateway(config, {
    httpLogger: loggerOptions(config),
    logger,
  });
  const address = await gateway.app.listen({ host: config.server.host, port: config.server.port });
  logger.info(
    { address, deployments: config.deployments.length, store: config.databaseUrl === null ? 'sqlite' : 'postgres' },
    'batchgate listening',
  );
  if (config.masterKey === null) {
    // Every route, the admin ones included, then answers anyone who can reach the port.
    logger.warn(
      { address },
      'NO MASTER KEY: the gateway is open to anyone who can reach it, admin routes included; set general_settings.master_key (or BATCHGATE_MASTER_KEY) before exposing it',
    );
  }

  closeOnSignals(() => gateway.close(), logger);
}
