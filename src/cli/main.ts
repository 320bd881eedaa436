#!/usr/bin/env node
/**
 * `batchgate` command line: argument parsing and dispatch only. `serve` (the default) runs the
 * gateway, so `batchgate --config config.yaml` works as `litellm --config config.yaml` does; the
 * other commands live in `commands/`, one file per concern. Server, store and provider code is
 * imported only by the commands that run it, so `batch …` and `keys …` start in a fraction of
 * the time (they never load Fastify, database drivers or cloud SDKs).
 */
import { readFileSync } from 'node:fs';
import { Command, type CommanderError } from 'commander';
import { registerBatch } from './commands/batch.js';
import { registerConfigCheck } from './commands/config-check.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import type { ServeOptions } from './config-options.js';
import { EXIT, EXIT_CODE_HELP } from './exit-codes.js';
import { port } from './options.js';

/** The installed package's version: package.json sits two levels above both `src/cli` and `dist/cli`. */
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Commander exits 1 on a bad argument; the new commands exit 2 (usage) instead, as documented.
 * `serve` and `worker` keep commander's behaviour, which their callers already rely on.
 */
const usageExit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);

const program = new Command('batchgate')
  .description('OpenAI-compatible Files and Batches gateway')
  .version(version, '-V, --version', 'print the batchgate version')
  .addHelpText('after', EXIT_CODE_HELP);

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
    const [{ configFrom, exitOnConfigError }, { runServer }] = await Promise.all([import('./config-options.js'), import('../server/main.js')]);
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
    const [{ configFrom, exitOnConfigError }, { runWorker }] = await Promise.all([import('./config-options.js'), import('../server/worker-main.js')]);
    await exitOnConfigError(async () => runWorker(await configFrom(options)));
  });

// exitOverride is inherited by the subcommands created after it, so it is set on each group first.
const group = (register: (c: Command) => void): void => {
  const holder = new Command('batchgate').exitOverride(usageExit);
  register(holder);
  for (const command of holder.commands) program.addCommand(command.addHelpText('after', EXIT_CODE_HELP));
};
group(registerMigrate);
group(registerConfigCheck);
group(registerBatch);
group(registerKeys);

await program.parseAsync(process.argv);
