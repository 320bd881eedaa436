/**
 * Settings of gateway-executed batches (the gateway runs the lines itself against
 * OpenAI-compatible servers that have no batch API), flat keys of `general_settings` like the
 * lifecycle ones:
 *
 * ```yaml
 * general_settings:
 *   executor_concurrency: 4              # chunks one process runs at once
 *   executor_chunk_lines: 200            # lines per leased chunk
 *   executor_lease_seconds: 30           # renewed while a process works; ≥ 0.5
 *   executor_max_retries: 3              # else router_settings.num_retries, else litellm_settings.num_retries
 *   executor_retry_max_wait_seconds: 60  # ceiling of one backoff wait, Retry-After included
 * ```
 */
import type { GatewayConfig } from './types.js';
import { nonNegativeInteger, positiveInteger, positiveNumber, type Field } from './fields.js';

export type ExecutorSettings = GatewayConfig['executor'];

export const EXECUTOR_DEFAULTS = {
  concurrency: 4,
  chunkLines: 200,
  leaseSeconds: 30,
  maxRetries: 3,
  retryMaxWaitSeconds: 60,
} as const;

/** The shortest lease accepted: shorter, renewals would race the work they protect. */
export const MIN_EXECUTOR_LEASE_SECONDS = 0.5;

const leaseSeconds: Field<number> = {
  schema: positiveNumber.schema.refine((n) => n >= MIN_EXECUTOR_LEASE_SECONDS),
  expected: `a number of seconds ≥ ${MIN_EXECUTOR_LEASE_SECONDS}`,
};

/** A section of the config, read key by key with `os.environ/` references resolved (settings.ts). */
export interface SettingReader {
  read<T>(key: string, field: Field<T>): T | undefined;
}

const ms = (seconds: number): number => Math.round(seconds * 1000);

export function readExecutorSettings(general: SettingReader, router: SettingReader, litellm: SettingReader): ExecutorSettings {
  // Read all three so a bad LiteLLM value is reported even when ours wins.
  const ownRetries = general.read('executor_max_retries', nonNegativeInteger);
  const routerRetries = router.read('num_retries', nonNegativeInteger);
  const litellmRetries = litellm.read('num_retries', nonNegativeInteger);
  return {
    concurrency: general.read('executor_concurrency', positiveInteger) ?? EXECUTOR_DEFAULTS.concurrency,
    chunkLines: general.read('executor_chunk_lines', positiveInteger) ?? EXECUTOR_DEFAULTS.chunkLines,
    leaseMs: ms(general.read('executor_lease_seconds', leaseSeconds) ?? EXECUTOR_DEFAULTS.leaseSeconds),
    maxRetries: ownRetries ?? routerRetries ?? litellmRetries ?? EXECUTOR_DEFAULTS.maxRetries,
    retryMaxWaitMs: ms(general.read('executor_retry_max_wait_seconds', positiveNumber) ?? EXECUTOR_DEFAULTS.retryMaxWaitSeconds),
  };
}
