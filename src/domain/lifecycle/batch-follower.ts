/**
 * One poll of one leased batch, as the lifecycle worker runs it: refresh from upstream (under the
 * lease, so a worker that lost it cannot write), finish it once terminal, and say when to look
 * again. The interval starts at `minPollMs` and grows by half with every poll of a batch that is
 * still running, up to `maxPollMs`; a failed poll backs off the same way.
 */
import { TERMINAL_BATCH_STATUSES } from '../../contracts/openai.js';
import type { BatchService } from '../batches/batch-service.js';
import type { PollLease } from '../ports/store.js';
import type { ServiceDeps } from '../service-deps.js';
import type { BatchFinisher } from './finish-batch.js';

export interface PollResult {
  /** Null: nothing left to do for this batch. */
  readonly nextPollAtMs: number | null;
  readonly attempts: number;
  /** When the poll checked upstream (the release stores it: an unchanged batch is not rewritten). */
  readonly refreshedAtMs?: number;
}

const GROWTH = 1.5;

export class BatchFollower {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly batches: BatchService,
    private readonly finisher: BatchFinisher,
  ) {}

  /** The wait before poll number `attempts + 1`, with ±10 % jitter so batches do not move in step. */
  intervalMs(attempts: number): number {
    const { minPollMs, maxPollMs } = this.deps.lifecycle;
    const base = Math.min(maxPollMs, minPollMs * GROWTH ** Math.min(attempts, 64));
    return Math.round(base * (0.9 + 0.2 * this.deps.random()));
  }

  async poll(lease: PollLease, signal: AbortSignal): Promise<PollResult | 'lease-lost'> {
    const attempts = lease.attempts + 1;
    const later = (refreshedAtMs?: number): PollResult => ({
      nextPollAtMs: this.deps.clock.now() + this.intervalMs(attempts),
      attempts,
      ...(refreshedAtMs === undefined ? {} : { refreshedAtMs }),
    });
    let batch = lease.batch;
    try {
      if (!TERMINAL_BATCH_STATUSES.has(batch.status)) {
        const refreshed = await this.batches.refreshRecord(batch, signal, lease.fence);
        if (refreshed === undefined) return 'lease-lost';
        batch = refreshed;
        // An unchanged batch was not rewritten; the release records when it was checked.
        if (!TERMINAL_BATCH_STATUSES.has(batch.status)) return later(batch.refreshedAtMs);
      }
      await this.finisher.finish(batch, signal);
      return { nextPollAtMs: null, attempts };
    } catch (err) {
      this.deps.logger.warn(
        { batchId: batch.id, deploymentId: batch.deploymentId, modelGroup: batch.modelGroup, attempts, err: err instanceof Error ? err.message : String(err) },
        'batch poll failed; backing off',
      );
      return later();
    }
  }
}
