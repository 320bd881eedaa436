/**
 * Where and how this process runs: listen address and data directory. CLI flags (overrides) win
 * over the environment, which wins over the defaults LiteLLM users expect (`0.0.0.0:4000`).
 */
import { resolve } from 'node:path';
import type { GatewayConfig, LoadConfigInput } from './types.js';
import type { Diagnostics } from './diagnostics.js';
import { envValue, type Env } from './env.js';
import { nonEmptyString, port, readField, type Field } from './fields.js';

export type Runtime = Pick<GatewayConfig, 'server' | 'dataDir'>;

export const RUNTIME_DEFAULTS = { host: '0.0.0.0', port: 4000, dataDir: '.batchgate' } as const;

function pick<T>(
  flag: readonly [string, unknown],
  variable: string,
  field: Field<T>,
  env: Env,
  diag: Diagnostics,
): T | undefined {
  return (
    readField(flag[1], flag[0], field, diag) ??
    readField(envValue(env, variable), `environment variable ${variable}`, field, diag)
  );
}

export function readRuntime(overrides: LoadConfigInput['overrides'], env: Env, diag: Diagnostics): Runtime {
  const host = pick(['--host', overrides?.host], 'HOST', nonEmptyString, env, diag) ?? RUNTIME_DEFAULTS.host;
  const listenPort = pick(['--port', overrides?.port], 'PORT', port, env, diag) ?? RUNTIME_DEFAULTS.port;
  const dataDir =
    pick(['--data-dir', overrides?.dataDir], 'BATCHGATE_DATA_DIR', nonEmptyString, env, diag) ??
    RUNTIME_DEFAULTS.dataDir;
  // Relative paths are taken from the working directory once, here, so no later chdir moves the data.
  return { server: { host, port: listenPort }, dataDir: resolve(process.cwd(), dataDir) };
}
