/**
 * Process entry for `batchgate serve`: compose, listen, and shut down gracefully on SIGTERM or
 * SIGINT (stop accepting, finish requests in flight, close the store).
 */
import pino from 'pino';
import type { GatewayConfig } from '../config/types.js';
import { composeGateway } from './compose.js';
import { closeOnSignals } from './shutdown.js';

/** Header and field paths that may carry secrets; pino replaces them in every log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers["x-litellm-api-key"]',
  'headers.authorization',
  'headers["api-key"]',
  '*.api_key',
  '*.master_key',
];

export async function runServer(config: GatewayConfig): Promise<void> {
  const logger = pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '***' } });
  // A promise that rejects with nobody listening is a bug, but one request's bug: log it and keep
  // serving everyone else rather than let Node end the process.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? { message: reason.message, stack: reason.stack } : String(reason) }, 'unhandled rejection');
  });
  for (const warning of config.warnings) logger.warn(warning);
  const gateway = await composeGateway(config, {
    httpLogger: { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '***' } },
    logger,
  });
  const address = await gateway.app.listen({ host: config.server.host, port: config.server.port });
  logger.info(
    { address, deployments: config.deployments.length, store: config.databaseUrl === null ? 'sqlite' : 'postgres' },
    'batchgate listening',
  );

  closeOnSignals(() => gateway.close(), logger);
}
