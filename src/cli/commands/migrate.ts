/**
 * `batchgate migrate`: brings the configured database to the latest schema and closes it, so an
 * operator can migrate before rolling out replicas (every `serve` also migrates at start-up, with
 * the same code). The work is in `migrate-run.ts`, imported only when the command runs.
 */
import type { Command } from 'commander';
import { runCommand } from '../command-kit.js';
import type { MigrateFlags } from './migrate-run.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('bring the configured database (SQLite under --data-dir, or database_url) to the latest schema, then exit')
    .option('-c, --config <file>', 'LiteLLM-compatible config.yaml')
    .option('--data-dir <dir>', 'directory for the embedded database (default ./.batchgate)')
    .option('--json', 'print only machine-readable JSON')
    .action(async (flags: MigrateFlags) =>
      runCommand(async () => (await import('./migrate-run.js')).runMigrate(flags)),
    );
}
