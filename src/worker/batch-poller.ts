/**
 * The lifecycle worker's loop: lease the batches whose poll is due, poll up to `concurrency` of
 * them at once, release each with its next poll time, and repeat; when nothing is due it sleeps a
 * tick. All state is in the store, so a restart picks up where the last process stopped, and
 * several processes on one database share the work through the leases. A failing poll or store
 * is logged and retried: the loop never ends the process.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { BatchFollower } from '../domain/lifecycle/batch-follower.js';
import type { Clock } from '../domain/ports/clock.js';
import type { Logger } from '../domain/ports/logger.js';
import type { PollRepository } from '../domain/ports/store.js';

export interface BatchPollerOptions {
  readonly polls: PollRepository;
  readonly follower: BatchFollower;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly leaseMs: number;
  /** Sleep between looks when nothing is due. */
  readonly tickMs: number;
  /**
   * Run at most every SNAPSHOT_MS after a round, with the age in seconds of the oldest overdue
   * poll (the worker-lag gauge; the batches-by-status gauge reads the store there too).
   */
  readonly snapshot?: (lagSeconds: number) => Promise<void>;
}

const SNAPSHOT_MS = 15_000;

export interface BatchPoller {
  readonly owner: string;
  /** Runs one round now (tests); resolves with the number of batches polled. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startBatchPoller(options: BatchPollerOptions, run = true): BatchPoller {
  const owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastSnapshot = 0;

  const round = async (): Promise<number> => {
    const now = options.clock.now();
    const leases = await options.polls.claimDue({ nowMs: now, limit: options.concurrency, owner, leaseMs: options.leaseMs });
    await Promise.all(
      leases.map(async (lease) => {
        const result = await options.follower.poll(lease, AbortSignal.any([controller.signal, AbortSignal.timeout(options.leaseMs)]));
        if (result === 'lease-lost') return;
        const kept = await options.polls.release(lease.batch.id, lease.fence, result);
        if (!kept) options.logger.warn({ batchId: lease.batch.id, owner }, 'lease lost before release; another worker has the batch');
      }),
    );
    if (options.snapshot !== undefined && options.clock.now() - lastSnapshot >= SNAPSHOT_MS) {
      lastSnapshot = options.clock.now();
      const due = await options.polls.oldestDueMs(lastSnapshot);
      await options.snapshot(due === null ? 0 : Math.max(0, (lastSnapshot - due) / 1000));
    }
    return leases.length;
  };

  const loop = async (): Promise<void> => {
    let polled = 0;
    try {
      polled = await round();
    } catch (err) {
      if (!controller.signal.aborted) options.logger.error({ owner, err: err instanceof Error ? err.message : String(err) }, 'worker round failed');
    }
    if (controller.signal.aborted) return;
    // A full round means more may be due: go again at once.
    timer = setTimeout(() => {
      running = loop();
    }, polled >= options.concurrency ? 0 : options.tickMs);
    timer.unref();
  };
  if (run) running = loop();

  return {
    owner,
    runOnce: round,
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
