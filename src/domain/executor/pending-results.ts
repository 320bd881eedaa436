/**
 * The results of a chunk's lines on their way to the store, written together: every result that
 * arrives in one turn of the event loop goes into one insert at the end of that turn
 * (`setImmediate`), or as soon as `FLUSH_RESULTS` are waiting — instead of one insert, with its
 * query objects and its commit, per line. Writes are serialised.
 *
 * `add` resolves once that result is stored (or its write failed and was logged), and the chunk
 * keeps the line's dispatch slot until then: a line is in flight until its answer is
 * checkpointed, so what a crash can cost is what it could before — the lines in flight, at most
 * the chunk's parallelism, sent again by the chunk's next owner. Results are write-once per line,
 * so no line can end up twice in the output.
 */
import type { ExecutionRepository, ExecutionResult } from '../ports/executions.js';
import type { Logger } from '../ports/logger.js';

export const FLUSH_RESULTS = 50;

export class PendingResults {
  private batch: ExecutionResult[] = [];
  private batchStored: Promise<void> = Promise.resolve();
  private settleBatch: () => void = () => {};
  private scheduled: NodeJS.Immediate | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly executions: Pick<ExecutionRepository, 'recordResults'>,
    private readonly logger: Logger,
  ) {}

  /** Queues the result; resolves once it is stored, or its write failed (logged: the line runs again). */
  add(result: ExecutionResult): Promise<void> {
    if (this.batch.length === 0) {
      this.batchStored = new Promise((settle) => (this.settleBatch = settle));
    }
    this.batch.push(result);
    const stored = this.batchStored;
    if (this.batch.length >= FLUSH_RESULTS) void this.flush();
    else if (this.scheduled === null) {
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        void this.flush();
      });
    }
    return stored;
  }

  /** Writes what is queued, after any write still running; never rejects: a failure is logged. */
  flush(): Promise<void> {
    if (this.batch.length === 0) return this.writing;
    const results = this.batch;
    const settle = this.settleBatch;
    this.batch = [];
    this.writing = this.writing
      .then(() => this.executions.recordResults(results))
      .then(
        () => undefined,
        (err: unknown) => {
          const first = results[0]!;
          this.logger.warn(
            { batchId: first.batchId, lines: results.length, firstLine: first.lineNo + 1, err: err instanceof Error ? err.message : String(err) },
            'executed lines could not be stored; they will run again',
          );
        },
      )
      .finally(settle);
    return this.writing;
  }

  /** Every result queued so far written (or logged as lost). */
  async close(): Promise<void> {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    await this.flush();
  }
}
