/**
 * Turns the results of a finished 'native' batch (Vertex, Bedrock: upstreams whose output is not
 * OpenAI's) into the batch's OpenAI output and error files, kept in blob storage.
 *
 * One pass over the upstream's results: each result is joined to its `custom_id` through the line
 * keys (a page of lookups at a time), a 2xx goes to the output file and anything else to the error
 * file, both written at once as they stream. Then every line the upstream never answered goes to
 * the error file with `response: null` and the code of why (`batch_cancelled`, `batch_expired`).
 * A line the upstream reports twice is kept once (one bit per line), so each `custom_id` lands in
 * exactly one of the two files. Line ids are derived from the batch and the line, so collecting
 * again after a crash writes the same bytes; the summary blob is written last and marks the
 * collection done.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { BatchUsage } from '../../contracts/openai.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { LineKeyRepository } from '../ports/line-keys.js';
import type { Logger } from '../ports/logger.js';
import type { UpstreamResultLine } from '../ports/provider-adapter.js';
import { answeredLine, NEVER_RAN_MESSAGES, unansweredLine } from '../executor/output-line.js';
import { addUsage, emptyUsage } from './usage.js';

/** Results joined to their custom_ids per lookup. */
const JOIN_PAGE = 200;
const KEY_PAGE = 1_000;

export interface CollectedSummary {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly usage: BatchUsage;
  /** Whether each file holds at least one line (an empty file is not offered). */
  readonly hasOutput: boolean;
  readonly hasErrors: boolean;
}

export interface CollectJob {
  /** Seeds the line ids: the same job collected twice writes the same ids. */
  readonly seed: string;
  /** The gateway file id the line keys are recorded under. */
  readonly fileId: string;
  readonly results: AsyncIterable<UpstreamResultLine>;
  /** The code of lines the upstream never answered (`batch_cancelled`, `batch_expired`). */
  readonly missingCode: string;
  readonly outputKey: string;
  readonly errorKey: string;
}

export interface CollectDeps {
  readonly blobs: BlobStore;
  readonly lineKeys: LineKeyRepository;
  readonly logger: Logger;
}

/** One bit per line, growing with the highest line seen. */
class LineBits {
  private bits = new Uint8Array(1024);
  /** Sets the bit; false when it was already set. */
  add(line: number): boolean {
    const byte = line >> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    const bit = 1 << (line & 7);
    if ((this.bits[byte]! & bit) !== 0) return false;
    this.bits[byte]! |= bit;
    return true;
  }
  has(line: number): boolean {
    return ((this.bits[line >> 3] ?? 0) & (1 << (line & 7))) !== 0;
  }
}

const lineId = (seed: string, lineNo: number): string =>
  `batch_req_${createHash('sha256').update(`${seed}:${lineNo}`).digest('hex').slice(0, 32)}`;

/** A blob written from lines pushed into it, with backpressure; rejects the writer when the put fails. */
class BlobSink {
  private readonly stream = new PassThrough();
  readonly done: Promise<{ bytes: number }>;
  lines = 0;
  constructor(blobs: BlobStore, key: string, signal: AbortSignal) {
    // Failures surface through `done` (the put rejects) and `write`; an 'error' event with no
    // listener would otherwise end the process.
    this.stream.on('error', () => {});
    this.done = blobs.put(key, this.stream, { signal, contentType: 'application/jsonl' });
    // A put that fails stops the writer at its next write instead of leaving it waiting for a drain.
    this.done.catch((err: unknown) => this.stream.destroy(err instanceof Error ? err : new Error(String(err))));
  }
  async write(line: string): Promise<void> {
    this.lines += 1;
    if (this.stream.destroyed) throw this.stream.errored ?? new Error('the result file could not be written');
    if (!this.stream.write(`${line}\n`)) await once(this.stream, 'drain');
  }
  end(): void {
    this.stream.end();
  }
  abort(err: unknown): void {
    this.stream.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

export async function collectResults(deps: CollectDeps, job: CollectJob, signal: AbortSignal): Promise<CollectedSummary> {
  const output = new BlobSink(deps.blobs, job.outputKey, signal);
  const errors = new BlobSink(deps.blobs, job.errorKey, signal);
  const seen = new LineBits();
  let usage = emptyUsage();
  let unknown = 0;
  let pending: UpstreamResultLine[] = [];

  const flush = async (): Promise<void> => {
    const page = pending;
    pending = [];
    const ids = await deps.lineKeys.lookup(job.fileId, page.map((r) => r.lineNo));
    for (const r of page) {
      const customId = ids.get(r.lineNo);
      if (customId === undefined) {
        unknown += 1;
        continue;
      }
      const id = lineId(job.seed, r.lineNo);
      if (r.response === null) {
        const code = r.error?.code ?? job.missingCode;
        await errors.write(unansweredLine(customId, code, r.error?.message ?? NEVER_RAN_MESSAGES[code] ?? 'This request was not executed.', id));
        continue;
      }
      const answer = { customId, statusCode: r.response.statusCode, requestId: r.response.requestId ?? id.replace('batch_req_', 'req_'), body: r.response.body };
      if (r.response.statusCode >= 200 && r.response.statusCode < 300) {
        usage = addUsage(usage, r.response.body);
        await output.write(answeredLine(answer, id));
      } else {
        await errors.write(answeredLine(answer, id));
      }
    }
  };

  const produce = async (): Promise<number> => {
    for await (const r of job.results) {
      // A line reported twice (a retried upstream shard) is kept once: the first answer wins.
      if (!Number.isSafeInteger(r.lineNo) || r.lineNo < 0 || !seen.add(r.lineNo)) continue;
      pending.push(r);
      if (pending.length >= JOIN_PAGE) await flush();
    }
    await flush();
    // Every line with a key that got no result never ran.
    let total = 0;
    const message = NEVER_RAN_MESSAGES[job.missingCode] ?? 'This request was not executed.';
    for (let after = 0; ; ) {
      const keys = await deps.lineKeys.page(job.fileId, after, KEY_PAGE);
      for (const k of keys) {
        total += 1;
        if (!seen.has(k.lineNo)) await errors.write(unansweredLine(k.customId, job.missingCode, message, lineId(job.seed, k.lineNo)));
      }
      const last = keys[keys.length - 1];
      if (last === undefined || keys.length < KEY_PAGE) break;
      after = last.lineNo;
    }
    return total;
  };

  let total: number;
  try {
    total = await produce();
  } catch (err) {
    output.abort(err);
    errors.abort(err);
    await Promise.allSettled([output.done, errors.done]);
    throw err;
  }
  output.end();
  errors.end();
  await Promise.all([output.done, errors.done]);
  if (unknown > 0) deps.logger.warn({ fileId: job.fileId, lines: unknown }, 'upstream results named lines the input file does not have; they were left out');
  return { total, completed: output.lines, failed: errors.lines, usage, hasOutput: output.lines > 0, hasErrors: errors.lines > 0 };
}
