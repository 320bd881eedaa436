/** `batchgate batch …`: submit, list, get, cancel, results, retry-failed against a running gateway. */
import type { Command } from 'commander';
import { batchRow, describeBatch } from '../batch-view.js';
import { clientFor, printJson, runCommand, say, withGatewayFlags, type GatewayFlags } from '../command-kit.js';
import { CliError, EXIT } from '../exit-codes.js';
import { positiveInt } from '../options.js';
import { isTerminal } from '../progress.js';
import { finishBatch, waitWithProgress } from './batch-finish.js';
import { registerRetryFailed } from './batch-retry.js';
import { registerSubmit } from './batch-submit.js';

interface ListFlags extends GatewayFlags {
  readonly limit?: number;
  readonly after?: string;
}

interface ResultsFlags extends GatewayFlags {
  readonly out?: string;
  readonly errors?: string;
  readonly wait?: boolean;
}

export function registerBatch(program: Command): void {
  const batch = program.command('batch').description('submit batches and fetch their results from a running gateway');
  registerSubmit(batch);

  withGatewayFlags(
    batch
      .command('list')
      .description('list batches, newest first')
      .option('--limit <n>', 'at most this many (1-100, default 20)', positiveInt)
      .option('--after <batch-id>', 'the page after this batch'),
  ).action(async (flags: ListFlags) =>
    runCommand(async () => {
      const page = await clientFor(flags).listBatches({ limit: flags.limit, after: flags.after });
      if (flags.json === true) printJson(page);
      else {
        for (const b of page.data) say(batchRow(b));
        if (page.has_more && page.last_id !== null) say(`more: batchgate batch list --after ${page.last_id}`);
      }
      return EXIT.ok;
    }),
  );

  withGatewayFlags(batch.command('get').description('show one batch').argument('<batch-id>')).action(async (id: string, flags: GatewayFlags) =>
    runCommand(async () => {
      const b = await clientFor(flags).retrieveBatch(id);
      if (flags.json === true) printJson(b);
      else say(describeBatch(b));
      return EXIT.ok;
    }),
  );

  withGatewayFlags(batch.command('cancel').description('cancel a batch (lines already answered keep their results)').argument('<batch-id>')).action(
    async (id: string, flags: GatewayFlags) =>
      runCommand(async () => {
        const b = await clientFor(flags).cancelBatch(id);
        if (flags.json === true) printJson(b);
        else say(describeBatch(b));
        return EXIT.ok;
      }),
  );

  withGatewayFlags(
    batch
      .command('results')
      .description("download a finished batch's output and error files (exit code by its outcome)")
      .argument('<batch-id>')
      .option('--out <file>', 'where to save the output file (default <batch-id>.output.jsonl)')
      .option('--errors <file>', 'where to save the error file (default <batch-id>.errors.jsonl)')
      .option('--wait', 'wait for the batch to end first (Ctrl-C stops waiting, does not cancel)'),
  ).action(async (id: string, flags: ResultsFlags) =>
    runCommand(async () => {
      const client = clientFor(flags);
      let b = await client.retrieveBatch(id);
      if (!isTerminal(b)) {
        if (flags.wait !== true) throw new CliError(`batch ${id} is still ${b.status}: no results yet (add --wait to wait for them)`, EXIT.failure);
        b = await waitWithProgress(client, b);
      }
      return finishBatch(client, b, { out: flags.out ?? `${id}.output.jsonl`, errors: flags.errors ?? `${id}.errors.jsonl` }, flags.json === true);
    }),
  );

  registerRetryFailed(batch);
}
