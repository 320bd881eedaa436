/**
 * Saves a gateway file to disk as it arrives. It is written beside the target under a temporary
 * name and renamed at the end, so an interrupted download never leaves a truncated results file
 * that looks complete.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliError, EXIT } from './exit-codes.js';
import type { GatewayClient } from './gateway-client.js';

export async function downloadTo(client: GatewayClient, fileId: string, path: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.part`);
  try {
    await pipeline(await client.fileContent(fileId), createWriteStream(temporary));
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    if (err instanceof CliError) throw err;
    throw new CliError(`could not write ${path}: ${err instanceof Error ? err.message : String(err)}`, EXIT.failure);
  }
}

/** `requests.jsonl` → `requests.output.jsonl` / `requests.errors.jsonl`, next to the input. */
export function besideInput(inputPath: string, suffix: 'output' | 'errors'): string {
  const ext = extname(inputPath);
  const stem = ext === '' ? inputPath : inputPath.slice(0, -ext.length);
  return `${stem}.${suffix}${ext === '' ? '.jsonl' : ext}`;
}
