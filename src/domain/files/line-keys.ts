/**
 * Before a batch file goes to an upstream that correlates results by a key of its own ('native'
 * line format), each line's `custom_id` is recorded under its line number, the key the adapter
 * writes upstream. One pass over the spooled file, in pages, so memory stays one page whatever
 * the file's size. The line numbers are the ones `rewrite-lines.ts` hands the adapter: both read
 * the same (BOM-stripped) spool with the same splitter.
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

export async function recordLineKeys(deps: ServiceDeps, fileId: string, file: SpooledUpload, signal: AbortSignal): Promise<void> {
  let page: LineKey[] = [];
  for await (const { text, lineNo } of splitLines(file.open())) {
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
