/**
 * What happens once when a batch ends (completed, failed, expired, cancelled): its output file is
 * streamed and its usage summed, priced at the deployment's batch prices, and booked, once, in
 * the store's booking transaction; then `batch.finished` is emitted (the webhook outbox dedups it).
 *
 * Every step is safe to repeat: a worker that dies halfway leaves the batch due, and the next
 * worker's run books nothing twice (the booking's compare-and-set) and enqueues nothing twice
 * (deterministic webhook ids). So "finished" means both steps completed at least once.
 */
import type { Batch } from '../../contracts/openai.js';
import { batchCostUsd } from '../cost/batch-cost.js';
import { batchPricesFor } from '../cost/batch-prices.js';
import { EMPTY_OUTPUT_USAGE, sumOutputUsage, toBatchUsage, type OutputUsage } from '../cost/output-usage.js';
import type { FinishedBatchStatus } from '../ports/event-sink.js';
import type { BatchRecord, SpendRecord } from '../ports/store.js';
import type { ServiceDeps } from '../service-deps.js';


export const spendIdOf = (batchId: string): string => `spend_${batchId}`;

export class BatchFinisher {
  constructor(private readonly deps: ServiceDeps) {}

  /** Books and reports a terminal batch; throws when a step could not be done (retry later). */
  async finish(batch: BatchRecord, signal: AbortSignal): Promise<void> {
    const status = batch.status as FinishedBatchStatus;
    const deployment = this.deps.directory.byId(batch.deploymentId);
    const usage = await this.usageOf(batch, signal);
    const prices = deployment === undefined ? null : batchPricesFor(deployment);
    const costUsd = prices === null ? 0 : batchCostUsd(usage, prices);
    const now = this.deps.clock.now();
    const spend: SpendRecord = {
      id: spendIdOf(batch.id),
      batchId: batch.id,
      owner: batch.owner,
      modelGroup: batch.modelGroup,
      deploymentId: batch.deploymentId,
      status: batch.status,
      inputTokens: usage.inputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.totalTokens,
      requestsCompleted: batch.object.request_counts.completed,
      requestsFailed: batch.object.request_counts.failed,
      costUsd,
      priceSource: prices?.source ?? 'unknown',
      createdAtMs: now,
    };
    // The object carries the usage the cost was computed from, when the upstream gave none.
    if (batch.object.usage === undefined && usage.lines > 0) await this.recordUsage(batch, usage);
    const booked = await this.deps.store.spend.book(spend);
    const [row] = booked ? [spend] : await this.deps.store.spend.list({ batchId: batch.id, limit: 1 });
    if (booked) {
      const group = batch.modelGroup ?? '';
      this.deps.metrics.requestsFinished(group, batch.owner.teamId, spend.requestsCompleted, spend.requestsFailed);
      this.deps.metrics.tokens(group, batch.owner.teamId, spend.inputTokens, spend.outputTokens);
      this.deps.metrics.spend(group, batch.owner.teamId, costUsd);
      this.deps.logger.info({ batchId: batch.id, deploymentId: batch.deploymentId, modelGroup: batch.modelGroup, costUsd, priceSource: spend.priceSource }, 'batch cost booked');
    }
    await this.deps.events.emit({
      type: 'batch.finished',
      at: now,
      batchId: batch.id,
      owner: batch.owner,
      modelGroup: batch.modelGroup,
      deploymentId: batch.deploymentId,
      status,
      requestCounts: batch.object.request_counts,
      usage: usage.lines > 0 ? toBatchUsage(usage) : (batch.object.usage ?? null),
      costUsd: row?.costUsd ?? null,
    });
  }

  /** Usage summed over the output file's lines; none when the batch produced no output. */
  private async usageOf(batch: BatchRecord, signal: AbortSignal): Promise<OutputUsage> {
    const outputId = batch.object.output_file_id;
    if (outputId === null) return EMPTY_OUTPUT_USAGE;
    const copy = (await this.deps.store.files.copies(outputId))[0];
    const deployment = this.deps.directory.byId(batch.deploymentId);
    if (copy === undefined || deployment === undefined) return EMPTY_OUTPUT_USAGE;
    const content = await this.deps.registry.adapterFor(deployment).openFileContent(copy.upstreamRef, { signal });
    try {
      return await sumOutputUsage(content.body);
    } finally {
      content.body.destroy();
    }
  }

  private async recordUsage(batch: BatchRecord, usage: OutputUsage): Promise<void> {
    await this.deps.store.batches.updateWith(batch.id, (current) => {
      if (current.object.usage !== undefined) return null;
      const object: Batch = { ...current.object, usage: toBatchUsage(usage) };
      return { status: current.status, object, updatedAtMs: this.deps.clock.now() };
    });
  }
}
