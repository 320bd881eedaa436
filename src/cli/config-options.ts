/**
 * How the commands that run from a config file (`serve`, `worker`, `migrate`) read it: the same
 * flags, the same loader, the same exit 2 on a bad config, so `migrate` prepares exactly the
 * database `serve` will open.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import { processEnv } from '../config/process-env.js';
import type { GatewayConfig } from '../config/types.js';
import { PROVIDER_KINDS } from '../providers/registry.js';
import { describeStartupError } from './startup-errors.js';

export interface ServeOptions {
  config?: string;
  port?: number;
  host?: string;
  dataDir?: string;
  logLevel?: string;
  /** LiteLLM's spelling, kept: `--detailed_debug`. */
  detailed_debug?: boolean;
  /** commander's `--no-worker`: false when given. */
  worker?: boolean;
}

/**
 * Runs a command that reads the config; a bad config exits 2 with its message, whether the loader
 * found it or start-up did (a deployment whose provider or params cannot work); a start-up
 * condition outside the config (port taken, PostgreSQL unreachable) exits 1 with one line.
 */
export async function exitOnConfigError(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`batchgate: invalid configuration\n${err.message}`);
      process.exit(2);
    }
    const line = describeStartupError(err);
    if (line !== null) {
      console.error(`batchgate: ${line}`);
      process.exit(1);
    }
    throw err;
  }
}

/** Loads the config as `serve` and `worker` both do. */
export async function configFrom(options: ServeOptions): Promise<GatewayConfig> {
  const config = await loadConfig(
    {
      configPath: options.config,
      env: processEnv(),
      overrides: {
        port: options.port,
        host: options.host,
        dataDir: options.dataDir,
        logLevel: options.logLevel,
        detailedDebug: options.detailed_debug,
      },
    },
    { knownProviders: PROVIDER_KINDS },
  );
  return options.worker === false ? { ...config, lifecycle: { ...config.lifecycle, runWorker: false } } : config;
}
