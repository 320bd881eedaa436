/**
 * The gateway's own batch runner (issue 9). Two kinds of leased work, both taken from the store so
 * that any number of processes share them and a dead one's work is taken over when its lease
 * expires:
 *
 * - **steps** of an execution, one process at a time: `validating` (check the input, cut it into
 *   chunks), `in_progress`/`cancelling` (decide it has ended: every chunk done, or dispatch
 *   stopped and nothing in flight), `finalizing` (write the output and error files);
 * - **chunks** of its lines (`run-chunk.ts`), run by as many processes as there are.
 *
 * When an execution ends, the batch's lifecycle poll is brought forward so cost is booked and
 * webhooks are sent without waiting for the poll interval.
 */
import type { Readable } from 'node:stream';
import type { BatchError } from '../../contracts/openai.js';
import type { Deployment } from '../deployment.js';
import type { DeploymentDirectory } from '../deployments/deployment-directory.js';
import { BlobNotFoundError, type BlobStore } from '../ports/blob-store.js';
import type { Clock } from '../ports/clock.js';
import type { ChunkLease, ExecutionLease, ExecutionPatch, ExecutionRecord } from '../ports/executions.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { executesInGateway } from './execution-mode.js';
import { writeFinalFiles } from './finalize-execution.js';
import { runChunk, type ChunkDeps, type ChunkOutcome } from './run-chunk.js';
import { validateInput } from './validate-input.js';

export interface ExecutorSettings {
  readonly chunkLines: number;
  readonly leaseMs: number;
}

export interface ExecutorDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly directory: DeploymentDirectory;
  readonly settings: ExecutorSettings;
  readonly chunk: ChunkDeps;
}

/** A running execution is looked at this often even when nobody wakes it (its deadline, lost wake-ups). */
const RECHECK_MS = 30_000;
/** While dispatch is stopped but requests are still in flight, the step looks again this soon. */
const DRAIN_RECHECK_MS = 1_000;

export class BatchExecutor {
  /** Batches whose deployments are all gone from the config, warned about once per process. */
  private readonly warnedUnroutable = new Set<string>();

  constructor(private readonly deps: ExecutorDeps) {}

  /** One step of a leased execution; the lease is released with what comes next. */
  async step(lease: ExecutionLease, signal: AbortSignal): Promise<void> {
    const e = lease.execution;
    const now = this.deps.clock.now();
    const patch = await this.nextPatch(e, lease, now, signal);
    if (patch === 'released') return;
    const kept = await this.deps.store.executions.release(e.batchId, lease.fence, patch, now);
    if (!kept) this.deps.logger.warn({ batchId: e.batchId }, 'execution lease lost before its step was recorded');
    else if (patch.endedAtMs !== undefined && patch.endedAtMs !== null) await this.afterEnd(e.batchId, now);
  }

  private async nextPatch(e: ExecutionRecord, lease: ExecutionLease, now: number, signal: AbortSignal): Promise<ExecutionPatch | 'released'> {
    const recheck = Math.min(e.expiresAtMs, now + RECHECK_MS);
    switch (e.status) {
      case 'validating': {
        const reason = e.stopReason ?? (now >= e.expiresAtMs ? 'batch_expired' : null);
        if (reason !== null) return this.toFinalizing({ ...e, stopReason: reason }, now);
        return this.validate(e, lease, now, recheck, signal);
      }
      case 'in_progress':
      case 'cancelling': {
        const reason = e.stopReason ?? (e.status === 'cancelling' ? 'batch_cancelled' : now >= e.expiresAtMs ? 'batch_expired' : null);
        const progress = await this.deps.store.executions.chunkProgress(e.batchId, now);
        if (reason === null && progress.todo > 0) return { nextStepAtMs: recheck };
        // Stopped: the chunks still leased are finishing their requests in flight.
        if (progress.leased > 0) return { stopReason: reason, nextStepAtMs: now + DRAIN_RECHECK_MS };
        return this.toFinalizing({ ...e, stopReason: reason }, now);
      }
      case 'finalizing':
        return this.finalize(e, now, signal);
      default:
        return { nextStepAtMs: null };
    }
  }

  private toFinalizing(e: ExecutionRecord, now: number): ExecutionPatch {
    return { status: 'finalizing', finalizingAtMs: now, nextStepAtMs: now, ...(e.stopReason === null ? {} : { stopReason: e.stopReason }) };
  }

  private async validate(e: ExecutionRecord, lease: ExecutionLease, now: number, recheck: number, signal: AbortSignal): Promise<ExecutionPatch | 'released'> {
    const input = await this.deps.blobs.open(e.inputRef, { signal }).catch((err: unknown) => {
      if (err instanceof BlobNotFoundError) return null;
      throw err;
    });
    if (input === null) {
      // Nothing to run: an input that is gone will not come back by retrying.
      const errors: BatchError[] = [{ code: 'input_file_missing', message: 'The input file of this batch is no longer stored.', param: 'input_file_id', line: null }];
      return { status: 'failed', errors, endedAtMs: now, nextStepAtMs: null };
    }
    const reread = (): Promise<Readable> => this.deps.blobs.open(e.inputRef, { signal });
    const outcome = await validateInput(input, e.endpoint, this.deps.settings.chunkLines, signal, reread).finally(() => input.destroy());
    if (!outcome.ok) {
      this.deps.logger.info({ batchId: e.batchId, errors: outcome.errors.length }, 'executed batch failed validation');
      return { status: 'failed', errors: outcome.errors, endedAtMs: now, nextStepAtMs: null };
    }
    const chunks = outcome.chunks.map((c) => ({ ...c, batchId: e.batchId }));
    const patch: ExecutionPatch = { status: 'in_progress', total: outcome.total, inProgressAtMs: now, nextStepAtMs: recheck };
    if (!(await this.deps.store.executions.startChunks(e.batchId, lease.fence, chunks, patch, now))) {
      this.deps.logger.warn({ batchId: e.batchId }, 'execution lease lost during validation');
    }
    return 'released';
  }

  private async finalize(stale: ExecutionRecord, now: number, signal: AbortSignal): Promise<ExecutionPatch> {
    // A cancel may have landed since the lease was taken: finish with what the row says now.
    const e = (await this.deps.store.executions.get(stale.batchId)) ?? stale;
    const files = await writeFinalFiles({ executions: this.deps.store.executions, blobs: this.deps.blobs }, e, signal);
    const status = e.stopReason === 'batch_cancelled' ? 'cancelled' : e.stopReason === 'batch_expired' ? 'expired' : e.stopReason === 'budget_exceeded' ? 'failed' : 'completed';
    const errors: BatchError[] | null =
      e.stopReason === 'budget_exceeded'
        ? [{ code: 'budget_exceeded', message: 'The budget of the key or team that created this batch was reached; the requests not yet sent are in the error file.', param: null, line: null }]
        : e.errors === null ? null : [...e.errors];
    this.deps.logger.info({ batchId: e.batchId, status, completed: files.completed, failed: files.failed }, 'executed batch finished');
    return { status, errors, ...files, endedAtMs: now, nextStepAtMs: null };
  }

  /**
   * Once the end is recorded: the work rows go (a crash before leaves them for a redo of the
   * step), and the lifecycle worker is asked to look at the batch now.
   */
  private async afterEnd(batchId: string, now: number): Promise<void> {
    try {
      await this.deps.store.executions.deleteWorkRows(batchId);
      await this.deps.store.polls.pollSoon(batchId, now);
    } catch (err) {
      this.deps.logger.warn({ batchId, err: err instanceof Error ? err.message : String(err) }, 'cleanup after an executed batch failed');
    }
  }

  /** Runs one leased chunk to its end (or until dispatch stops). */
  async chunk(lease: ChunkLease, signal: AbortSignal): Promise<ChunkOutcome> {
    const { batchId } = lease.chunk;
    const execution = await this.deps.store.executions.get(batchId);
    const batch = await this.deps.store.batches.get(batchId);
    if (execution === undefined || batch === undefined) {
      await this.deps.store.executions.releaseChunk(lease);
      return 'stopped';
    }
    const candidates = this.candidates(execution);
    if (candidates.length === 0) {
      if (!this.warnedUnroutable.has(batchId)) {
        this.warnedUnroutable.add(batchId);
        this.deps.logger.warn({ batchId, deploymentId: execution.deploymentId }, 'executed batch has no configured deployment left to send its lines to; it waits until one is configured again');
      }
      await this.deps.store.executions.releaseChunk(lease);
      return 'stopped';
    }
    const outcome = await runChunk(this.deps.chunk, lease, { execution, owner: batch.owner, candidates }, signal);
    if (outcome !== 'lease-lost') await this.wakeIfDone(batchId);
    return outcome;
  }

  /** The deployments its lines may go to: every gateway-executed deployment of its group, else its own. */
  private candidates(e: ExecutionRecord): Deployment[] {
    const group = e.modelGroup === null ? [] : this.deps.directory.group(e.modelGroup).filter(executesInGateway);
    if (group.length > 0) return group;
    const own = this.deps.directory.byId(e.deploymentId);
    return own === undefined ? [] : [own];
  }

  private async wakeIfDone(batchId: string): Promise<void> {
    const now = this.deps.clock.now();
    const progress = await this.deps.store.executions.chunkProgress(batchId, now);
    if (progress.todo > 0) return;
    await this.deps.store.executions.updateWith(batchId, (c) => (c.nextStepAtMs !== null && c.nextStepAtMs > now ? { nextStepAtMs: now } : null), now);
  }
}
