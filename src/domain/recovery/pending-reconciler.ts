/**
 * Resolves the write-ahead records a crash (or a request that timed out) left `pending`, once they
 * are older than the grace period, past the deadline of any request that could still own them.
 *
 * - A pending **upload** never became visible, so nothing may stay of it: every copy it recorded,
 *   and every upstream file carrying its label (a copy whose answer never got recorded), is
 *   deleted; then the record goes. A completed upload whose upload to some deployment ended
 *   without an answer (a timeout) has loose ends there: labelled copies nobody recorded are deleted.
 * - A pending **batch create** is looked for upstream by its label on every deployment it may
 *   have reached. Not found: the create never happened, the record goes. Found, and the client sent
 *   an `Idempotency-Key`: the batch is **adopted** (the record completes; the client's retry with
 *   that key gets it, and nothing runs twice). Found without a key: nobody can ever learn its id,
 *   and a client retry would run the work a second time, so the batch is **cancelled** upstream
 *   and the record goes.
 *
 * A deployment that cannot be reached leaves the record for the next run. Runs on start and then
 * periodically (`server/`); the lifecycle worker will take it over.
 */
import { TERMINAL_BATCH_STATUSES } from '../../contracts/openai.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { BatchService } from '../batches/batch-service.js';
import type { Deployment } from '../deployment.js';
import { toSeconds } from '../ports/clock.js';
import type { UpstreamBatch } from '../ports/provider-adapter.js';
import type { PendingBatch, PendingFile } from '../ports/store.js';
import type { ServiceDeps } from '../service-deps.js';

/** Upstream clocks may run behind ours: look this much further back for labelled objects. */
const CLOCK_SKEW_SECONDS = 300;
/** Records handled per run and kind; the rest wait for the next run. */
const BATCH_SIZE = 100;
/** OpenAI allows 16 metadata pairs: a create that used them all carries no label (see providers). */
const METADATA_PAIRS_LIMIT = 16;

export interface ReconcileReport {
  readonly filesRemoved: number;
  readonly batchesAdopted: number;
  readonly batchesCancelled: number;
  readonly batchesForgotten: number;
  /** Records left for the next run (a deployment could not be reached). */
  readonly deferred: number;
}

export class PendingReconciler {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly batches: BatchService,
  ) {}

  async runOnce(signal: AbortSignal): Promise<ReconcileReport> {
    const cutoff = this.deps.clock.now() - this.deps.recovery.pendingGraceMs;
    const report = { filesRemoved: 0, batchesAdopted: 0, batchesCancelled: 0, batchesForgotten: 0, deferred: 0 };
    const { inFlight } = this.deps.recovery;
    for (const pending of await this.deps.store.files.listPending(cutoff, BATCH_SIZE)) {
      signal.throwIfAborted();
      if (inFlight.has(pending.file.id)) continue;
      if (await this.reconcileFile(pending, signal)) report.filesRemoved += 1;
      else report.deferred += 1;
    }
    for (const pending of await this.deps.store.batches.listPending(cutoff, BATCH_SIZE)) {
      signal.throwIfAborted();
      if (inFlight.has(pending.batch.id)) continue;
      const outcome = await this.reconcileBatch(pending, signal);
      if (outcome === 'adopted') report.batchesAdopted += 1;
      else if (outcome === 'cancelled') report.batchesCancelled += 1;
      else if (outcome === 'forgotten') report.batchesForgotten += 1;
      else report.deferred += 1;
    }
    return report;
  }

  /**
   * Deletes every upstream copy of a never-completed upload (true once the record is gone), or the
   * unrecorded copies at a completed upload's loose ends (true once they are settled).
   */
  private async reconcileFile({ file, visible, targets, copies }: PendingFile, signal: AbortSignal): Promise<boolean> {
    const since = toSeconds(file.createdAtMs) - CLOCK_SKEW_SECONDS;
    let allGone = true;
    for (const deployment of this.deployments(targets, file.id)) {
      const adapter = this.deps.registry.adapterFor(deployment);
      const recorded = new Set(copies.filter((c) => c.deploymentId === deployment.id).map((c) => c.upstreamRef));
      // A visible file keeps its recorded copies; only what nobody recorded goes.
      const refs = new Set(visible ? [] : recorded);
      try {
        for await (const upstream of adapter.listFilesSince(since, { signal })) {
          if (upstream.label === file.id && !(visible && recorded.has(upstream.ref))) refs.add(upstream.ref);
        }
        for (const ref of refs) {
          await adapter.deleteFile(ref, { signal }).catch((err: unknown) => {
            if (!(err instanceof UpstreamError && err.isNotFound)) throw err;
          });
        }
        if (refs.size > 0) {
          this.deps.logger.warn({ fileId: file.id, deploymentId: deployment.id, copies: refs.size }, 'deleted upstream copies of an interrupted upload');
        }
      } catch (err) {
        allGone = false;
        this.deps.logger.warn({ fileId: file.id, deploymentId: deployment.id, err: messageOf(err) }, 'could not reconcile an interrupted upload yet');
      }
    }
    if (allGone) await (visible ? this.deps.store.files.settle(file.id) : this.deps.store.files.delete(file.id));
    return allGone;
  }

  private async reconcileBatch(pending: PendingBatch, signal: AbortSignal): Promise<'adopted' | 'cancelled' | 'forgotten' | 'deferred'> {
    const { batch } = pending;
    let found: { deployment: Deployment; upstream: UpstreamBatch } | null = null;
    let unreachable = false;
    for (const deployment of this.deployments(pending.targets, batch.id)) {
      try {
        const upstream = await this.findUpstream(pending, deployment, signal);
        if (upstream !== null) {
          found = { deployment, upstream };
          break;
        }
      } catch (err) {
        unreachable = true;
        this.deps.logger.warn({ batchId: batch.id, deploymentId: deployment.id, err: messageOf(err) }, 'could not reconcile an interrupted batch create yet');
      }
    }
    if (found === null) {
      if (unreachable) return 'deferred';
      await this.deps.store.batches.delete(batch.id);
      this.deps.logger.info({ batchId: batch.id }, 'an interrupted batch create never reached an upstream; record removed');
      return 'forgotten';
    }
    const log = { batchId: batch.id, deploymentId: found.deployment.id, upstreamRef: found.upstream.ref };
    try {
      if (pending.idempotencyKey !== null) {
        await this.batches.completePending(batch, found.deployment, found.upstream, signal);
        this.deps.logger.warn(log, 'adopted a batch whose create was interrupted (the client holds its Idempotency-Key)');
        return 'adopted';
      }
      if (!TERMINAL_BATCH_STATUSES.has(found.upstream.status) && found.upstream.status !== 'cancelling') {
        await this.deps.registry.adapterFor(found.deployment).cancelBatch(found.upstream.ref, { signal });
      }
      await this.deps.store.batches.delete(batch.id);
      this.deps.logger.warn(log, 'cancelled a batch whose create was interrupted: no client can know its id');
      return 'cancelled';
    } catch (err) {
      this.deps.logger.warn({ ...log, err: messageOf(err) }, 'could not settle an interrupted batch create yet');
      return 'deferred';
    }
  }

  /** The upstream batch a pending create made on `deployment`, found by its label. */
  private async findUpstream(pending: PendingBatch, deployment: Deployment, signal: AbortSignal): Promise<UpstreamBatch | null> {
    const { batch } = pending;
    const since = toSeconds(batch.createdAtMs) - CLOCK_SKEW_SECONDS;
    const metadataPairs = Object.keys(batch.object.metadata ?? {}).length;
    const inputRef = (await this.deps.store.files.copies(batch.inputFileId)).find((c) => c.deploymentId === deployment.id)?.upstreamRef;
    for await (const upstream of this.deps.registry.adapterFor(deployment).listBatchesSince(since, { signal })) {
      if (upstream.label === batch.id) return upstream;
      // A create that used every metadata pair went up unlabelled: an unlabelled batch on the same
      // input copy that no record knows is that create.
      if (
        metadataPairs >= METADATA_PAIRS_LIMIT &&
        upstream.label === null &&
        inputRef !== undefined &&
        upstream.inputFileRef === inputRef &&
        (await this.deps.store.batches.findByUpstream(deployment.id, upstream.ref)) === undefined
      ) {
        return upstream;
      }
    }
    return null;
  }

  /** The configured deployments among `ids`; one removed from the config cannot be reached. */
  private deployments(ids: readonly string[], objectId: string): Deployment[] {
    return ids.flatMap((id) => {
      const deployment = this.deps.directory.byId(id);
      if (deployment === undefined) {
        this.deps.logger.warn({ objectId, deploymentId: id }, 'a pending record names a deployment no longer configured; skipped');
        return [];
      }
      return [deployment];
    });
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
