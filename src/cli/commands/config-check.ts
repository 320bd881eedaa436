/**
 * `batchgate config check <file>`: validates a config as start-up does and prints its
 * deployments, secrets redacted; exit 2 with every problem otherwise. The work is in
 * `config-check-run.ts`, imported only when the command runs.
 */
import type { Command } from 'commander';
import { runCommand } from '../command-kit.js';
import type { CheckFlags } from './config-check-run.js';

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('work with config files');
  config
    .command('check')
    .description('validate a config as start-up does and print its deployments, secrets redacted (exit 2 on problems)')
    .argument('<file>', 'LiteLLM-compatible config.yaml')
    .option('--json', 'print only machine-readable JSON')
    .action(async (file: string, flags: CheckFlags) =>
      runCommand(async () => (await import('./config-check-run.js')).runConfigCheck(file, flags)),
    );
}
