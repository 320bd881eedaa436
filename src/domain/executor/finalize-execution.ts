/**
 * The `finalizing` step: the output file (every 2xx answer) and the error file (every other
 * answer, and a `response: null` line for each request that never ran) are streamed into the blob
 * store in input order, from the result rows and the input. Each blob is written atomically, so a
 * crash halfway leaves the step to be redone, with the same bytes (line ids are stored with the
 * results).
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from '../ports/blob-store.js';
import type { ExecutionRecord, ExecutionRepository, ExecutionResult } from '../ports/executions.js';
import { outputBlobKey } from './executed-adapter.js';
import { inputLines } from './input-lines.js';
import { NEVER_RAN_MESSAGES, unansweredLine } from './output-line.js';

const PAGE = 500;

export interface FinalFiles {
  readonly outputRef: string | null;
  readonly errorRef: string | null;
  readonly completed: number;
  readonly failed: number;
}

/** Every result of the execution, in line order, a page at a time. */
async function* results(executions: ExecutionRepository, batchId: string): AsyncGenerator<ExecutionResult> {
  let after = -1;
  for (;;) {
    const page = await executions.resultsAfter(batchId, after, PAGE);
    for (const r of page) yield r;
    const last = page[page.length - 1];
    if (last === undefined || page.length < PAGE) return;
    after = last.lineNo;
  }
}

async function* outputLines(executions: ExecutionRepository, batchId: string): AsyncGenerator<Buffer> {
  for await (const r of results(executions, batchId)) if (r.outcome === 'ok') yield Buffer.from(`${r.line}\n`);
}

/** Error lines in input order: stored error answers, and the requests that never ran. */
async function* errorLines(deps: { executions: ExecutionRepository; blobs: BlobStore }, e: ExecutionRecord, signal: AbortSignal): AsyncGenerator<Buffer> {
  const code = e.stopReason ?? 'batch_failed';
  const message = NEVER_RAN_MESSAGES[code] ?? 'This request was not executed.';
  const stored = results(deps.executions, e.batchId);
  let next = await stored.next();
  const input = await deps.blobs.open(e.inputRef, { signal });
  try {
    let index = 0;
    for await (const line of inputLines(input)) {
      if (index >= e.total) break;
      while (!next.done && next.value.lineNo < index) next = await stored.next();
      if (!next.done && next.value.lineNo === index) {
        if (next.value.outcome === 'error') yield Buffer.from(`${next.value.line}\n`);
      } else {
        const customId = (JSON.parse(line.text) as { custom_id: string }).custom_id;
        yield Buffer.from(`${unansweredLine(customId, code, message, neverRanId(e.batchId, index))}\n`);
      }
      index += 1;
    }
  } finally {
    input.destroy();
    await stored.return(undefined);
  }
}

/** Deterministic, so a finalisation that is redone writes the same bytes. */
const neverRanId = (batchId: string, index: number): string =>
  `batch_req_${createHash('sha256').update(`${batchId}:${index}`).digest('hex').slice(0, 32)}`;

export async function writeFinalFiles(deps: { executions: ExecutionRepository; blobs: BlobStore }, e: ExecutionRecord, signal: AbortSignal): Promise<FinalFiles> {
  const counts = await deps.executions.resultCounts(e.batchId);
  const failed = e.total - counts.ok;
  let outputRef: string | null = null;
  let errorRef: string | null = null;
  if (counts.ok > 0) {
    outputRef = outputBlobKey(e.batchId, 'output');
    await deps.blobs.put(outputRef, outputLines(deps.executions, e.batchId), { signal, contentType: 'application/jsonl' });
  }
  if (failed > 0) {
    errorRef = outputBlobKey(e.batchId, 'errors');
    await deps.blobs.put(errorRef, errorLines(deps, e, signal), { signal, contentType: 'application/jsonl' });
  }
  return { outputRef, errorRef, completed: counts.ok, failed };
}
