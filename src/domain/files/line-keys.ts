/**
 * Before a batch file goes to an upstream that correlates results by a key of its own ('native'
 * line format), each line's `custom_id` is recorded under its line number, the key the adapter
 * writes upstream. One pass over the spooled file, in pages, so memory stays one page whatever
 * the file's size. The line numbers are the ones `rewrite-lines.ts` hands the adapter: both read
 * the same (BOM-stripped) spool with the same splitter.
 *
 * The upstream then holds the lines in its own format, so the gateway also keeps the original:
 * `GET /v1/files/{id}/content` of such an input answers the OpenAI lines the client uploaded.
 */
import type { LineKey } from '../ports/line-keys.js';
import type { ServiceDeps } from '../service-deps.js';
import { splitLines } from '../lines/split-lines.js';
import type { SpooledUpload } from './spooled-upload.js';
import type { Target } from './write-copies.js';

const PAGE = 1_000;

/** Whether any target needs the key map (its upstream has no `custom_id`). */
export const needsLineKeys = (deps: ServiceDeps, targets: readonly Target[]): boolean =>
  targets.some((t) => deps.registry.adapterFor(t.deployment).capabilities.lineFormat === 'native');

/** Where the original of an input sent upstream in a native format is kept. */
export const originalBlobKey = (fileId: string): string => `originals/${fileId.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl`;

/** Records the line keys and keeps the original, side by side (both stream from the spool). */
export async function recordNativeInput(deps: ServiceDeps, fileId: string, file: SpooledUpload, signal: AbortSignal): Promise<void> {
  await Promise.all([
    recordLineKeys(deps, fileId, file, signal),
    deps.blobs.put(originalBlobKey(fileId), file.open(), { signal, contentType: 'application/jsonl' }),
  ]);
}

/** Forgets what `recordNativeInput` kept. */
export async function forgetNativeInput(deps: ServiceDeps, fileId: string): Promise<void> {
  await deps.store.lineKeys.deleteFor(fileId);
  await deps.blobs.delete(originalBlobKey(fileId));
}

async function recordLineKeys(deps: ServiceDeps, fileId: string, file: SpooledUpload, signal: AbortSignal): Promise<void> {
  let page: LineKey[] = [];
  for await (const { text, lineNo } of splitLines(file.chunks())) {
    if (text.trim() === '') continue;
    // The file was validated: every line is an object with a string custom_id.
    const { custom_id: customId } = JSON.parse(text) as { custom_id: string };
    page.push({ lineNo, customId });
    if (page.length >= PAGE) {
      signal.throwIfAborted();
      await deps.store.lineKeys.add(fileId, page);
      page = [];
    }
  }
  if (page.length > 0) await deps.store.lineKeys.add(fileId, page);
}
