/**
 * Runs one leased chunk of a gateway-executed batch: its lines are streamed from the input blob
 * (from the chunk's first byte), the ones without a result are sent, at most as many at once as
 * the deployments allow, and each answer is stored as the line's result as it arrives (those of
 * one event-loop turn in one insert, `pending-results.ts`) — the checkpoint that lets a killed
 * process's successor skip every line that already ran.
 *
 * Before each dispatch the chunk checks, at most every `STOP_CHECK_MS`, whether it should stop:
 * the batch was cancelled, its deadline passed, its owner's budget was reached, or the lease was
 * lost. Stopping lets the requests in flight finish and record their results.
 */
import type { Deployment } from '../deployment.js';
import type { Logger } from '../ports/logger.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Clock } from '../ports/clock.js';
import type { ChunkLease, ExecutionRecord, ExecutionRepository, StopReason } from '../ports/executions.js';
import type { Owner } from '../principal.js';
import type { BudgetGuard } from './budget-guard.js';
import type { DeploymentLimiter } from './deployment-limiter.js';
import { normaliseUrl } from '../lines/batch-file-inspector.js';
import { inputLines } from './input-lines.js';
import { PendingResults } from './pending-results.js';
import { sendLine, type SendDeps } from './send-line.js';

const STOP_CHECK_MS = 500;

export interface ChunkDeps {
  readonly executions: ExecutionRepository;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly budget: BudgetGuard;
  readonly limiter: DeploymentLimiter;
  readonly send: SendDeps;
  readonly leaseMs: number;
}

export type ChunkOutcome = 'done' | 'stopped' | 'lease-lost';

export async function runChunk(
  deps: ChunkDeps,
  lease: ChunkLease,
  run: { readonly execution: ExecutionRecord; readonly owner: Owner; readonly candidates: readonly Deployment[] },
  signal: AbortSignal,
): Promise<ChunkOutcome> {
  const { chunk } = lease;
  const { execution, candidates } = run;
  const end = chunk.firstLine + chunk.lineCount;
  const done = new Set(await deps.executions.linesDone(chunk.batchId, chunk.firstLine, end));
  let lost = false;
  const renewal = setInterval(() => {
    deps.executions
      .renewChunk(lease, deps.clock.now() + deps.leaseMs)
      .then((kept) => {
        if (!kept) lost = true;
      })
      .catch(() => {});
  }, Math.max(100, Math.floor(deps.leaseMs / 3)));
  renewal.unref();

  const stop = stopCheck(deps, execution, run.owner);
  const cap = Math.max(1, candidates.reduce((sum, d) => sum + deps.limiter.maxParallel(d), 0));
  const slots = new Slots();
  const results = new PendingResults(deps.executions, deps.logger);
  let stopped = false;

  const runLine = async (index: number, text: string): Promise<void> => {
    try {
      // The line's one parse here; validation checked its shape.
      const parsed = JSON.parse(text) as { custom_id: string; url: string; body: Record<string, unknown> };
      const result = await sendLine(deps.send, candidates, { customId: parsed.custom_id, url: normaliseUrl(parsed.url), body: parsed.body }, signal);
      // The slot stays taken until the answer is stored: a line is in flight until checkpointed.
      await results.add({
        batchId: chunk.batchId,
        lineNo: index,
        customId: parsed.custom_id,
        outcome: result.outcome,
        line: result.line,
        costUsd: result.costUsd,
        createdAtMs: deps.clock.now(),
      });
    } catch (err) {
      // Shutdown: the line has no result and runs again after the restart.
      if (!signal.aborted) deps.logger.warn({ batchId: chunk.batchId, line: index + 1, err: err instanceof Error ? err.message : String(err) }, 'executed line failed; it will run again');
    } finally {
      slots.release();
    }
  };

  const input = await deps.blobs.open(execution.inputRef, { signal, start: chunk.byteStart });
  try {
    let lineNo = chunk.firstLine;
    for await (const line of inputLines(input, chunk.byteStart)) {
      if (lineNo >= end) break;
      const index = lineNo++;
      if (done.has(index)) continue;
      await slots.below(cap);
      if (lost || signal.aborted || (await stop())) {
        stopped = true;
        break;
      }
      slots.take();
      void runLine(index, line.text);
    }
  } finally {
    input.destroy();
    await slots.below(1);
    // Checkpointed before the lease is released or finished: what follows reads the store.
    await results.close();
    clearInterval(renewal);
  }
  if (lost) return 'lease-lost';
  if (stopped || signal.aborted) {
    await deps.executions.releaseChunk(lease).catch(() => {});
    return 'stopped';
  }
  // Every line has a result unless a request failed without one (logged above): then run it again.
  const missing = chunk.lineCount - (await deps.executions.linesDone(chunk.batchId, chunk.firstLine, end)).length;
  if (missing > 0) {
    await deps.executions.releaseChunk(lease).catch(() => {});
    return 'stopped';
  }
  return (await deps.executions.finishChunk(lease)) ? 'done' : 'lease-lost';
}

/** Whether dispatch must stop, re-read at most every `STOP_CHECK_MS`; records why when it finds out first. */
function stopCheck(deps: ChunkDeps, execution: ExecutionRecord, owner: Owner): () => Promise<boolean> {
  let checkedAt = 0;
  let stop = false;
  return async () => {
    const now = deps.clock.now();
    if (stop || now - checkedAt < STOP_CHECK_MS) return stop;
    checkedAt = now;
    const current = await deps.executions.get(execution.batchId);
    if (current === undefined || current.status !== 'in_progress' || current.stopReason !== null) return (stop = true);
    let reason: StopReason | null = null;
    if (now >= current.expiresAtMs) reason = 'batch_expired';
    else if (await deps.budget.reached(execution.batchId, owner)) reason = 'budget_exceeded';
    if (reason === null) return false;
    await deps.executions.updateWith(execution.batchId, (c) => (c.stopReason === null ? { stopReason: reason, nextStepAtMs: now } : null), now);
    deps.logger.info({ batchId: execution.batchId, reason }, 'executed batch stops dispatching');
    return (stop = true);
  };
}

/**
 * The lines in flight, counted: the dispatcher waits for a free slot with one promise, instead of
 * racing every request in flight for each line it sends.
 */
class Slots {
  private used = 0;
  private waiter: { readonly limit: number; readonly wake: () => void } | null = null;

  take(): void {
    this.used += 1;
  }

  release(): void {
    this.used -= 1;
    if (this.waiter !== null && this.used < this.waiter.limit) {
      const { wake } = this.waiter;
      this.waiter = null;
      wake();
    }
  }

  /** Resolves once fewer than `limit` are in use (one waiter at a time: the dispatch loop). */
  below(limit: number): Promise<void> {
    if (this.used < limit) return Promise.resolve();
    return new Promise((wake) => (this.waiter = { limit, wake }));
  }
}
