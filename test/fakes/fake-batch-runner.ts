/**
 * Batch lifecycle of the fake upstreams (`reference/wire.md` §2.4): validating → in_progress →
 * finalizing → completed, one step per retrieve (or driven by `advance`), with `failed` on a bad
 * input file, `cancelling` → `cancelled`, and `expired`. Each `*_at` is set when its state is
 * entered; output and error files are written when the batch ends.
 */
import type { BatchError, BatchStatus } from '../../src/contracts/openai.js';
import type { FakeFileStore } from './fake-file-store.js';
import { readLines } from './fake-lines.js';
import {
  droppedLine,
  FAKE_COMPLETION_TOKENS,
  FAKE_PROMPT_TOKENS,
  failureLine,
  inputRequestOf,
  type InputRequest,
  shouldFail,
  successLine,
} from './fake-results.js';
import type { FakeBatch } from './fake-types.js';

/** Output files live as long as OpenAI's default for batch files. */
const OUTPUT_TTL_SECONDS = 30 * 24 * 3600;
const COMPLETION_WINDOW_SECONDS = 24 * 3600;

export interface NewBatch {
  readonly id: string;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly completionWindow: string;
  readonly metadata: Record<string, string> | null;
  readonly outputExpiresAfterSeconds: number | null;
}

type Outcome = 'run' | 'batch_expired' | 'batch_cancelled';

export class FakeBatchRunner {
  readonly batches = new Map<string, FakeBatch>();

  constructor(
    private readonly files: FakeFileStore,
    private readonly now: () => number,
  ) {}

  create(input: NewBatch): FakeBatch {
    const createdAt = this.now();
    const models = this.files.files.get(input.inputFileId)?.models;
    const batch: FakeBatch = {
      ...input,
      model: models !== undefined && models.size === 1 ? ([...models][0] ?? null) : null,
      status: 'validating',
      errors: null,
      outputFileId: null,
      errorFileId: null,
      createdAt,
      inProgressAt: null,
      expiresAt: createdAt + COMPLETION_WINDOW_SECONDS,
      finalizingAt: null,
      completedAt: null,
      failedAt: null,
      expiredAt: null,
      cancellingAt: null,
      cancelledAt: null,
      requestCounts: { total: 0, completed: 0, failed: 0 },
      usage: { inputTokens: 0, outputTokens: 0 },
    };
    this.batches.set(batch.id, batch);
    return batch;
  }

  /** One step of auto-progress, run on each retrieve. */
  async step(batch: FakeBatch): Promise<void> {
    switch (batch.status) {
      case 'validating': {
        const errors = this.validate(batch);
        if (errors.length > 0) {
          batch.errors = errors;
          await this.enter(batch, 'failed');
        } else {
          await this.enter(batch, 'in_progress');
        }
        return;
      }
      case 'in_progress':
        return this.enter(batch, 'finalizing');
      case 'finalizing':
        return this.enter(batch, 'completed');
      case 'cancelling':
        return this.enter(batch, 'cancelled');
      default:
        return;
    }
  }

  /** Puts the batch into `status`, running what entering that state does. */
  async enter(batch: FakeBatch, status: BatchStatus): Promise<void> {
    const t = this.now();
    switch (status) {
      case 'validating':
        break;
      case 'in_progress':
        this.countRequests(batch);
        batch.inProgressAt = t;
        break;
      case 'finalizing':
        this.countRequests(batch);
        batch.finalizingAt = t;
        break;
      case 'completed':
        this.countRequests(batch);
        await this.writeResults(batch, 'run');
        batch.completedAt = t;
        break;
      case 'failed':
        batch.failedAt = t;
        break;
      case 'expired':
        this.countRequests(batch);
        await this.writeResults(batch, 'batch_expired');
        batch.expiredAt = t;
        break;
      case 'cancelling':
        batch.cancellingAt = t;
        break;
      case 'cancelled':
        if (batch.requestCounts.total > 0) await this.writeResults(batch, 'batch_cancelled');
        batch.cancelledAt = t;
        break;
    }
    batch.status = status;
  }

  /** Batch-level checks of wire.md §2.5/§2.8, done when validation ends. */
  private validate(batch: FakeBatch): BatchError[] {
    const file = this.files.files.get(batch.inputFileId);
    if (file === undefined) {
      return [{ code: 'invalid_request', message: `Input file ${batch.inputFileId} no longer exists.`, param: 'input_file_id', line: null }];
    }
    if (file.lineCount === 0) return [{ code: 'empty_file', message: 'The input file is empty.', param: null, line: null }];
    const errors: BatchError[] = file.invalidLines.map((line) => ({
      code: 'invalid_json_line',
      message: 'This line is not parseable as valid JSON.',
      param: null,
      line,
    }));
    if ([...file.urls].some((url) => url !== batch.endpoint)) {
      errors.push({ code: 'url_mismatch', message: `Every line's url must be ${batch.endpoint}.`, param: null, line: null });
    }
    if (file.models.size > 1) {
      errors.push({ code: 'model_mismatch', message: 'Each input file can only include requests to a single model.', param: null, line: null });
    }
    return errors;
  }

  private countRequests(batch: FakeBatch): void {
    if (batch.requestCounts.total === 0) {
      batch.requestCounts.total = this.files.files.get(batch.inputFileId)?.lineCount ?? 0;
    }
  }

  private async writeResults(batch: FakeBatch, outcome: Outcome): Promise<void> {
    const ttl = batch.outputExpiresAfterSeconds ?? OUTPUT_TTL_SECONDS;
    const output = await this.storeResults(batch, `${batch.id}_output.jsonl`, ttl, (request, created) =>
      outcome === 'run' && !shouldFail(request) ? successLine(request, batch.endpoint, created) : null,
    );
    const errors = await this.storeResults(batch, `${batch.id}_error.jsonl`, ttl, (request) => {
      if (outcome !== 'run') return droppedLine(request, outcome);
      return shouldFail(request) ? failureLine(request) : null;
    });
    batch.outputFileId = output.id;
    batch.errorFileId = errors.id;
    batch.requestCounts = { total: batch.requestCounts.total, completed: output.count, failed: errors.count };
    batch.usage = { inputTokens: output.count * FAKE_PROMPT_TOKENS, outputTokens: output.count * FAKE_COMPLETION_TOKENS };
  }

  /**
   * Streams the result lines `lineFor` picks from the input file into a `batch_output` file
   * (one pass over the input, memory bounded by one line); no file (null) when it picks none.
   */
  private async storeResults(
    batch: FakeBatch,
    filename: string,
    ttl: number,
    lineFor: (request: InputRequest, created: number) => string | null,
  ): Promise<{ id: string | null; count: number }> {
    const input = this.files.files.get(batch.inputFileId);
    if (input === undefined) return { id: null, count: 0 };
    const inputPath = input.path;
    const created = this.now();
    let count = 0;
    async function* results(): AsyncGenerator<string> {
      for await (const line of readLines(inputPath)) {
        const request = inputRequestOf(line.json);
        const out = request === null ? null : lineFor(request, created);
        if (out === null) continue;
        count += 1;
        yield out;
      }
    }
    const blob = await this.files.write(results());
    if (count === 0) {
      await this.files.discard(blob.path);
      return { id: null, count: 0 };
    }
    return { id: this.files.register({ filename, purpose: 'batch_output', expiresAfterSeconds: ttl }, blob).id, count };
  }
}
