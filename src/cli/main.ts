#!/usr/bin/env node
/**
 * `batchgate` command line: argument parsing and dispatch only. `serve` (the default) runs the
 * gateway, so `batchgate --config config.yaml` works as `litellm --config config.yaml` does.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { processEnv } from '../config/process-env.js';
import { runServer } from '../server/main.js';

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
}

const program = new Command('batchgate').description('OpenAI-compatible Files and Batches gateway');

program
  .command('serve', { isDefault: true })
  .description('start the gateway')
  .option('-c, --config <file>', 'LiteLLM-compatible config.yaml')
  .option('-p, --port <port>', 'port to listen on (default 4000)', port)
  .option('--host <host>', 'address to bind (default 0.0.0.0)')
  .option('--data-dir <dir>', 'directory for the embedded database and spooled uploads (default ./.batchgate)')
  .action(async (options: ServeOptions) => {
    try {
      const config = await loadConfig({
        configPath: options.config,
        env: processEnv(),
        overrides: { port: options.port, host: options.host, dataDir: options.dataDir },
      });
      await runServer(config);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(`batchgate: invalid configuration\n${err.message}`);
        process.exit(2);
      }
      throw err;
    }
  });

await program.parseAsync(process.argv);
