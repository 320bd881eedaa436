#!/usr/bin/env node
/**
 * `batchgate` command line: argument parsing and dispatch only. `serve` (the default) runs the
 * gateway, so `batchgate --config config.yaml` works as `litellm --config config.yaml` does.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { PROVIDER_KINDS } from '../providers/registry.js';
import { processEnv } from '../config/process-env.js';
import { runServer } from '../server/main.js';
import { runWorker } from '../server/worker-main.js';
import type { GatewayConfig } from '../config/types.js';

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('port must be an integer 0-65535');
  return n;
};

interface ServeOptions {
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
 * found it or start-up did (a deployment whose provider or params cannot work).
 */
async function exitOnConfigError(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`batchgate: invalid configuration\n${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** Loads the config as `serve` and `worker` both do. */
async function configFrom(options: ServeOptions): Promise<GatewayConfig> {
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

const program = new Command('batchgate').description('OpenAI-compatible Files and Batches gateway');

program
  .command('serve', { isDefault: true })
  .description('start the gateway')
  .option('-c, --config <file>', 'LiteLLM-compatible config.yaml')
  .option('-p, --port <port>', 'port to listen on (default 4000)', port)
  .option('--host <host>', 'address to bind (default 0.0.0.0)')
  .option('--data-dir <dir>', 'directory for the embedded database and spooled uploads (default ./.batchgate)')
  .option('--log-level <level>', 'fatal, error, warn, info (default), debug or trace; else LITELLM_LOG')
  .option('--detailed_debug', "debug logs, as LiteLLM's flag (--log-level wins)")
  .option('--no-worker', 'do not run the lifecycle worker in this process (run `batchgate worker` elsewhere)')
  .action(async (options: ServeOptions) => {
    await exitOnConfigError(async () => runServer(await configFrom(options)));
  });

program
  .command('worker')
  .description('run only the lifecycle worker (polls batches, books cost, reconciles, delivers webhooks); no HTTP')
  .option('-c, --config <file>', 'LiteLLM-compatible config.yaml')
  .option('--data-dir <dir>', 'directory for the embedded database (default ./.batchgate)')
  .option('--log-level <level>', 'fatal, error, warn, info (default), debug or trace; else LITELLM_LOG')
  .option('--detailed_debug', "debug logs, as LiteLLM's flag (--log-level wins)")
  .action(async (options: ServeOptions) => {
    await exitOnConfigError(async () => runWorker(await configFrom(options)));
  });

await program.parseAsync(process.argv);
