/**
 * The process-wide logger of `serve` and `worker`: the configured level, every secret redacted,
 * start-up warnings printed once, and unhandled rejections logged rather than fatal (a promise
 * that rejects with nobody listening is one request's bug, not a reason to stop serving).
 */
import pino, { type Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';

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

/** pino options for a logger at the configured level with secrets redacted (also Fastify's). */
export const loggerOptions = (config: GatewayConfig) => ({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '***' } });

export function processLogger(config: GatewayConfig): Logger {
  const logger = pino(loggerOptions(config));
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? { message: reason.message, stack: reason.stack } : String(reason) }, 'unhandled rejection');
  });
  for (const warning of config.warnings) logger.warn(warning);
  return logger;
}
