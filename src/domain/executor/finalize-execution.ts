/**
 * The `finalizing` step: the output file (every 2xx answer) and the error file (every other
 * answer, and a `response: null` line for each request that never ran) are streamed into the blob
 * store in input order, from the result rows and the input. Each blob is written atomically, so a
 * crash halfway leaves the step to be redone, with the same bytes (line ids are stored with the
 * results).
 *
 * The two files are written one after the other from the same rows, and a result may still arrive
 * in between (a process that lost its lease while a request was in flight). So the error pass
 * knows exactly which lines went to the output (one bit per line), and every other line goes to
 * the error file: each custom_id lands in exactly one of the two, whatever arrives meanwhile.
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

/** Which lines went to the output file: one bit per line, so memory stays tiny at any size. */
class LineSet {
  private readonly bits: Uint8Array;
  size = 0;
  constructor(lines: number) {
    this.bits = new Uint8Array(Math.ceil(lines / 8));
  }
  add(line: number): void {
    const byte = line >> 3;
    const bit = 1 << (line & 7);
    if (byte >= this.bits.length || (this.bits[byte]! & bit) !== 0) return;
    this.bits[byte]! |= bit;
    this.size += 1;
  }
  has(line: number): boolean {
    return ((this.bits[line >> 3] ?? 0) & (1 << (line & 7))) !== 0;
  }
}

/** Bytes handed to the blob store at a time. */
const WRITE_CHUNK_CHARS = 64 * 1024;

/**
 * The file's lines joined into chunks of about `WRITE_CHUNK_CHARS`, for `BlobStore.put`.
 *
 * - One buffer per chunk, not per line: tens of thousands of small pooled buffers (and as many
 *   file writes) kept their 8 KB pool slabs alive until a full GC.
 * - Each result handed out is emptied when the next is asked for. The blob stores race every
 *   `next()` against a promise that settles only on abort (`abortableBody`), and each race leaves
 *   a reaction on that promise which keeps the result — and so the chunk — alive until the put
 *   ends: a whole output file held in memory (+22 MB for 50,000 lines, measured). Emptied, only a
 *   small shell per chunk stays (about 0.2 KB per 64 KB written).
 */
function chunked(lines: AsyncIterable<string>): AsyncIterableIterator<Buffer> {
  const source = lines[Symbol.asyncIterator]();
  let last: { value: Buffer | undefined; done: boolean } | null = null;
  const handOut = (value: Buffer | undefined, done: boolean): IteratorResult<Buffer> => {
    last = { value, done };
    return last as IteratorResult<Buffer>;
  };
  const iterator: AsyncIterableIterator<Buffer> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => {
      if (last !== null) last.value = undefined;
      const parts: string[] = [];
      let size = 0;
      for (;;) {
        const next = await source.next();
        if (next.done === true) return size > 0 ? handOut(Buffer.from(parts.join('')), false) : handOut(undefined, true);
        parts.push(next.value, '\n');
        size += next.value.length + 1;
        if (size >= WRITE_CHUNK_CHARS) return handOut(Buffer.from(parts.join('')), false);
      }
    },
    return: async () => {
      if (last !== null) last.value = undefined;
      await source.return?.();
      return handOut(undefined, true);
    },
  };
  return iterator;
}

async function* outputLines(executions: ExecutionRepository, e: ExecutionRecord, written: LineSet): AsyncGenerator<string> {
  for await (const r of results(executions, e.batchId)) {
    if (r.outcome !== 'ok' || r.lineNo >= e.total) continue;
    written.add(r.lineNo);
    yield r.line;
  }
}

/** Error lines in input order: stored error answers, and the requests that never ran. */
async function* errorLines(deps: { executions: ExecutionRepository; blobs: BlobStore }, e: ExecutionRecord, written: LineSet, signal: AbortSignal): AsyncGenerator<string> {
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
      if (written.has(index)) {
        // In the output file.
      } else if (!next.done && next.value.lineNo === index && next.value.outcome === 'error') {
        yield next.value.line;
      } else {
        // Never ran, or its answer came after the output file was written (and is not shown).
        const customId = (JSON.parse(line.text) as { custom_id: string }).custom_id;
        yield unansweredLine(customId, code, message, neverRanId(e.batchId, index));
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
  const written = new LineSet(e.total);
  let outputRef: string | null = null;
  let errorRef: string | null = null;
  if (counts.ok > 0) {
    outputRef = outputBlobKey(e.batchId, 'output');
    await deps.blobs.put(outputRef, chunked(outputLines(deps.executions, e, written)), { signal, contentType: 'application/jsonl' });
  }
  const failed = e.total - written.size;
  if (failed > 0) {
    errorRef = outputBlobKey(e.batchId, 'errors');
    await deps.blobs.put(errorRef, chunked(errorLines(deps, e, written, signal)), { signal, contentType: 'application/jsonl' });
  }
  return { outputRef, errorRef, completed: written.size, failed };
}
