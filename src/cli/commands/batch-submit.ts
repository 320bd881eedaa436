/**
 * `batchgate batch submit <requests.jsonl> --model <group>`: a managed upload to the model group
 * (LiteLLM's `target_model_names`), a batch over it, and with `--wait` progress until it ends and
 * the results on disk. The input is streamed from disk into the upload, never read whole.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Batch } from '../../contracts/openai.js';
import { describeBatch, MAX_METADATA_PAIRS, MODEL_GROUP_METADATA } from '../batch-view.js';
import { clientFor, note, printJson, runCommand, say, withGatewayFlags, type GatewayFlags } from '../command-kit.js';
import { besideInput } from '../download.js';
import { EXIT, usageError, type ExitCode } from '../exit-codes.js';
import { metadataPair } from '../options.js';
import { finishBatch, waitWithProgress } from './batch-finish.js';

export interface CreateFlags extends GatewayFlags {
  readonly wait?: boolean;
  readonly out?: string;
  readonly errors?: string;
  readonly metadata?: Record<string, string>;
}

interface SubmitFlags extends CreateFlags {
  readonly model: string;
  readonly endpoint: string;
  readonly completionWindow: string;
}

/** The flags `submit` and `retry-failed` share: the new batch's metadata, and waiting for it. */
export function withCreateFlags(command: Command): Command {
  return withGatewayFlags(command)
    .option('--metadata <key=value>', 'batch metadata (repeatable)', metadataPair)
    .option('--wait', 'show progress until the batch ends, then download its results (Ctrl-C stops waiting, does not cancel)')
    .option('--out <file>', 'where --wait saves the output file')
    .option('--errors <file>', 'where --wait saves the error file');
}

/**
 * The batch's metadata: the user's pairs, and the model group so `retry-failed` can find it later
 * (left out when the user's pairs already fill OpenAI's 16).
 */
export function metadataWith(base: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>>): Record<string, string> {
  const merged: Record<string, string> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    if (key in merged || Object.keys(merged).length < MAX_METADATA_PAIRS) merged[key] = value;
  }
  return merged;
}

/** After a create: print it, or wait and finish. Shared with `retry-failed`. */
export async function afterCreate(batch: Batch, flags: CreateFlags, defaults: { out: string; errors: string }): Promise<ExitCode> {
  const client = clientFor(flags);
  if (flags.wait !== true) {
    if (flags.json === true) printJson(batch);
    else {
      say(describeBatch(batch));
      note(`follow it with: batchgate batch results ${batch.id} --wait`);
    }
    return EXIT.ok;
  }
  if (flags.json !== true) note(`waiting for ${batch.id} (Ctrl-C stops waiting; the batch is not cancelled)`);
  const done = await waitWithProgress(client, batch);
  return finishBatch(client, done, { out: flags.out ?? defaults.out, errors: flags.errors ?? defaults.errors }, flags.json === true);
}

export function registerSubmit(batch: Command): void {
  withCreateFlags(
    batch
      .command('submit')
      .description('upload a requests JSONL file to a model group and create a batch over it')
      .argument('<requests.jsonl>', 'batch input file, one request per line')
      .requiredOption('-m, --model <group>', 'model group to run it on (a model_name of the config)')
      .option('--endpoint <path>', 'endpoint of every line', '/v1/chat/completions')
      .option('--completion-window <window>', 'completion window', '24h'),
  ).action(async (path: string, flags: SubmitFlags) =>
    runCommand(async () => {
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile()) throw usageError(`${path}: no such file`);
      const client = clientFor(flags);
      const file = await client.uploadBatchFile({ filename: basename(path), content: createReadStream(path), modelGroup: flags.model });
      if (flags.json !== true) note(`uploaded ${path} as ${file.id} (${file.bytes} bytes)`);
      const created = await client.createBatch({
        input_file_id: file.id,
        endpoint: flags.endpoint,
        completion_window: flags.completionWindow,
        model: flags.model,
        metadata: metadataWith(flags.metadata ?? {}, { [MODEL_GROUP_METADATA]: flags.model }),
      });
      return afterCreate(created, flags, { out: besideInput(path, 'output'), errors: besideInput(path, 'errors') });
    }),
  );
}
