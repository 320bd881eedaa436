/**
 * `batchgate batch retry-failed <batch-id>`: a new batch of exactly the lines that failed. The
 * failed `custom_id`s are read from the batch's error file, then the original input file is
 * streamed through and only those lines are kept, straight into the new upload: neither file is
 * ever held in memory (only the set of failed ids is). Each kept line is sent as it was, but for
 * `body.model`, set back to the model group (see `lineForGroup`).
 */
import type { Command } from 'commander';
import type { Batch } from '../../contracts/openai.js';
import { MODEL_GROUP_METADATA, RETRY_OF_METADATA, modelGroupOf } from '../batch-view.js';
import { clientFor, note, printJson, runCommand } from '../command-kit.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import type { GatewayClient } from '../gateway-client.js';
import { customIdOf, linesOf } from '../jsonl.js';
import { isTerminal } from '../progress.js';
import { afterCreate, metadataWith, withCreateFlags, type CreateFlags } from './batch-submit.js';

interface RetryFlags extends CreateFlags {
  readonly model?: string;
}

/** The custom_ids of the error file, read line by line. */
async function failedIds(client: GatewayClient, errorFileId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const line of linesOf(await client.fileContent(errorFileId))) {
    const id = customIdOf(line);
    if (id !== null) ids.add(id);
  }
  return ids;
}

/**
 * The model group the original batch ran on: `--model`, else what `batch submit` recorded in its
 * metadata, else the batch's `model` when that is one of the gateway's model groups (for an
 * upstream model name it is not, and guessing would place the retry elsewhere).
 */
async function modelGroupFor(client: GatewayClient, batch: Batch, flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  const recorded = modelGroupOf(batch);
  if (recorded !== null) return recorded;
  if (batch.model !== undefined) {
    const models = await client.json<{ data: Array<{ id: string }> }>('list models', 'GET', '/v1/models');
    if (models.data.some((m) => m.id === batch.model)) return batch.model;
  }
  throw usageError(
    `batch ${batch.id} does not say which model group it ran on (it has no '${MODEL_GROUP_METADATA}' metadata, ` +
      `which 'batchgate batch submit' records, and its 'model' is not a model group); pass --model <group>`,
  );
}

/**
 * The line addressed to the model group again. The gateway may serve a managed input with each
 * `body.model` rewritten to the upstream model it placed the batch on, and a managed upload
 * refuses a line whose model is not one of its target groups; a line that already names the
 * group is kept byte for byte.
 */
export function lineForGroup(line: string, group: string): string {
  const parsed = JSON.parse(line) as { body?: unknown };
  if (typeof parsed.body !== 'object' || parsed.body === null || Array.isArray(parsed.body)) return line;
  const body = parsed.body as Record<string, unknown>;
  if (body['model'] === group) return line;
  return JSON.stringify({ ...parsed, body: { ...body, model: group } });
}

export function registerRetryFailed(batch: Command): void {
  withCreateFlags(
    batch
      .command('retry-failed')
      .description("create a new batch of exactly the failed lines of a finished batch (its error file's custom_ids)")
      .argument('<batch-id>', 'a finished batch with an error file')
      .option('-m, --model <group>', "model group of the new batch (default: the original batch's)"),
  ).action(async (id: string, flags: RetryFlags) =>
    runCommand(async () => {
      const client = clientFor(flags);
      const original = await client.retrieveBatch(id);
      if (!isTerminal(original)) {
        throw new CliError(`batch ${id} is still ${original.status}; retry its failed lines once it ends (batchgate batch results ${id} --wait)`, EXIT.failure);
      }
      const ids = original.error_file_id === null ? new Set<string>() : await failedIds(client, original.error_file_id);
      if (ids.size === 0) {
        if (flags.json === true) printJson(null);
        else note(`batch ${id} has no failed lines: nothing to retry`);
        return EXIT.ok;
      }
      const group = await modelGroupFor(client, original, flags.model);
      let kept = 0;
      const input = await client.fileContent(original.input_file_id);
      async function* failedLines(): AsyncGenerator<string> {
        for await (const line of linesOf(input)) {
          const lineId = customIdOf(line);
          if (lineId !== null && ids.has(lineId)) {
            kept += 1;
            yield `${lineForGroup(line, group)}\n`;
          }
        }
      }
      const file = await client.uploadBatchFile({ filename: `${id}.retry.jsonl`, content: failedLines(), modelGroup: group });
      if (kept < ids.size) note(`warning: ${ids.size - kept} failed custom_id(s) of ${id} were not found in its input file`);
      if (flags.json !== true) note(`retrying ${kept} failed line(s) of ${id} on model group '${group}' (uploaded as ${file.id})`);
      const created = await client.createBatch({
        input_file_id: file.id,
        endpoint: original.endpoint,
        completion_window: original.completion_window,
        model: group,
        metadata: metadataWith({ ...(original.metadata ?? {}), ...(flags.metadata ?? {}) }, { [MODEL_GROUP_METADATA]: group, [RETRY_OF_METADATA]: id }),
      });
      return afterCreate(created, flags, { out: `${created.id}.output.jsonl`, errors: `${created.id}.errors.jsonl` });
    }),
  );
}
