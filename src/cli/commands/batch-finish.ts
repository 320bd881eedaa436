/**
 * The end of every waiting command (`submit --wait`, `results`, `retry-failed --wait`): download
 * the output and error files of a finished batch, say where they are, and exit by its outcome.
 */
import type { Batch } from '../../contracts/openai.js';
import { countsOf, exitCodeOf } from '../batch-view.js';
import { note, printJson, say } from '../command-kit.js';
import { downloadTo } from '../download.js';
import type { ExitCode } from '../exit-codes.js';
import type { GatewayClient } from '../gateway-client.js';
import { createProgress } from '../progress.js';
import { waitForBatch } from '../wait.js';

export interface ResultPaths {
  readonly out: string;
  readonly errors: string;
}

/** Waits with a bar on a terminal (plain lines otherwise), on stderr. */
export const waitWithProgress = (client: GatewayClient, batch: Batch): Promise<Batch> =>
  waitForBatch(client, batch, createProgress(process.stderr));

export async function finishBatch(client: GatewayClient, batch: Batch, paths: ResultPaths, json: boolean): Promise<ExitCode> {
  const saved: string[] = [];
  if (batch.output_file_id !== null) {
    await downloadTo(client, batch.output_file_id, paths.out);
    saved.push(`  output: ${paths.out}`);
  }
  if (batch.error_file_id !== null) {
    await downloadTo(client, batch.error_file_id, paths.errors);
    saved.push(`  errors: ${paths.errors}`);
  }
  if (json) {
    printJson(batch);
  } else {
    say(`batch ${batch.id} ${batch.status}: ${countsOf(batch)}`);
    for (const line of saved) say(line);
    for (const e of batch.errors?.data ?? []) say(`  error: ${e.code}: ${e.message}`);
    if (batch.error_file_id !== null) note(`retry the failed lines with: batchgate batch retry-failed ${batch.id} --wait`);
  }
  return exitCodeOf(batch);
}
