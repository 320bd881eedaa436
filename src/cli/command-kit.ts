/**
 * What every client command shares: the connection flags, `--json`, and one place that turns a
 * thrown `CliError` into its message on stderr and its exit code.
 */
import type { Command } from 'commander';
import { processEnv } from '../config/process-env.js';
import { resolveConnection } from './connection.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { GatewayClient } from './gateway-client.js';

export interface GatewayFlags {
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly json?: boolean;
}

/** `--base-url`, `--api-key` and `--json`, on a command that talks to a running gateway. */
export function withGatewayFlags(command: Command): Command {
  return command
    .option('--base-url <url>', 'gateway URL, with or without /v1 (else BATCHGATE_BASE_URL, OPENAI_BASE_URL, http://localhost:4000)')
    .option('--api-key <key>', 'key to send (else BATCHGATE_API_KEY, OPENAI_API_KEY)')
    .option('--json', 'print only machine-readable JSON (the gateway objects) to stdout');
}

export const clientFor = (flags: GatewayFlags): GatewayClient => new GatewayClient(resolveConnection(flags, processEnv()));

/**
 * Runs a command's body and exits with the code it returns. A `CliError` prints its message;
 * anything else is unexpected and exits 1 with its message (no stack trace unless DEBUG is set).
 */
export async function runCommand(body: () => Promise<ExitCode>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`batchgate: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(`batchgate: ${err instanceof Error ? err.message : String(err)}\n`);
      if (processEnv()['DEBUG'] !== undefined && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
      code = EXIT.failure;
    }
  }
  // stdout and stderr are synchronous for files, pipes and terminals on POSIX, so exiting here
  // loses nothing; waiting for idle keep-alive sockets to close would only delay the prompt.
  process.exit(code);
}

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** Human output: results and tables go to stdout, progress and notes to stderr (so `--json` stays clean). */
export const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
export const note = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
