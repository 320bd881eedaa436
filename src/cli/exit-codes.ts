/**
 * The command line's exit codes, one per outcome a script may want to branch on. They are
 * documented in `docs/cli.md` and in `batchgate --help`; never renumber one.
 */
export const EXIT = {
  /** Done; for a finished batch: completed with no failed line. */
  ok: 0,
  /** Something else went wrong (a local file could not be read or written, a batch is not finished yet, a migration failed). */
  failure: 1,
  /** Bad arguments, or a config that does not validate. */
  usage: 2,
  /** The batch completed but some of its lines failed (they are in the error file). */
  someLinesFailed: 3,
  /** The batch ended failed, expired or cancelled. */
  batchNotCompleted: 4,
  /** The gateway answered with an error (4xx or 5xx); its message and code are printed. */
  gatewayError: 5,
  /** The gateway could not be reached (refused, unknown host, timed out, connection lost). */
  unreachable: 6,
  /** Ctrl-C while waiting: the batch keeps running, only the waiting stopped (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table printed at the end of `batchgate --help`; docs/cli.md has the same one. */
export const EXIT_CODE_HELP = `
Exit codes:
  0    ok (a finished batch: completed with no failed line)
  1    other failure (local file, batch not finished yet, migration failed)
  2    usage or config error
  3    batch completed, some lines failed (see the error file)
  4    batch failed, expired or was cancelled
  5    the gateway answered an error (4xx/5xx)
  6    the gateway could not be reached
  130  interrupted (Ctrl-C) while waiting; the batch was not cancelled`;

/**
 * What a command throws to end with a message and a code; `runCommand` prints it to stderr.
 * Anything else thrown is a bug or a local failure and exits 1.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);
