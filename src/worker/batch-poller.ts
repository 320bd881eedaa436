/**
 * The lifecycle worker's loop: keep up to `concurrency` polls in flight, leasing more due batches
 * whenever a slot frees; release each with its next poll time; when nothing is due, look again
 * after a tick. Slots, not rounds: a round waited for the slowest of its polls, so one upstream
 * that hung (cut off only by the lease timeout, two minutes by default) stopped every other
 * batch's polls with it (bench/RESULTS.md, following many batches). All state is in the store, so
 * a restart picks up where the last process stopped, and several processes on one database share
 * the work through the leases. A failing poll or store is logged and retried: the loop never ends
 * the process.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { BatchFollower } from '../domain/lifecycle/batch-follower.js';
import type { Clock } from '../domain/ports/clock.js';
import type { Logger } from '../domain/ports/logger.js';
import type { PollLease, PollRepository } from '../domain/ports/store.js';

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
   * Run every SNAPSHOT_MS on a timer of its own (so it also reports a worker whose every slot is
   * stuck), with the age in seconds of the oldest overdue poll (the worker-lag gauge; the
   * batches-by-status gauge reads the store there too).
   */
  readonly snapshot?: (lagSeconds: number) => Promise<void>;
}

const SNAPSHOT_MS = 15_000;

export interface BatchPoller {
  readonly owner: string;
  /** Leases what is due now (up to `concurrency`) and polls it (tests); resolves with the number polled. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startBatchPoller(options: BatchPollerOptions, run = true): BatchPoller {
  const owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const controller = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> = Promise.resolve();
  /** Set while every slot is busy: the next poll to finish looks for more at once. */
  let waitingForSlot = false;

  const pollOne = async (lease: PollLease): Promise<void> => {
    const result = await options.follower.poll(lease, AbortSignal.any([controller.signal, AbortSignal.timeout(options.leaseMs)]));
    if (result === 'lease-lost') return;
    const kept = await options.polls.release(lease.batch.id, lease.fence, result);
    if (!kept) options.logger.warn({ batchId: lease.batch.id, owner }, 'lease lost before release; another worker has the batch');
  };

  /** Starts a poll in a free slot; the slot is given back however the poll ends. */
  const start = (lease: PollLease): Promise<void> => {
    const task: Promise<void> = pollOne(lease)
      .catch((err: unknown) => {
        if (!controller.signal.aborted) options.logger.error({ owner, batchId: lease.batch.id, err: err instanceof Error ? err.message : String(err) }, 'poll failed');
      })
      .finally(() => {
        inFlight.delete(task);
        if (waitingForSlot && !controller.signal.aborted) {
          waitingForSlot = false;
          schedule(0);
        }
      });
    inFlight.add(task);
    return task;
  };

  /** Leases as many due batches as there are free slots and starts them; resolves with their polls. */
  const fill = async (): Promise<Promise<void>[]> => {
    const free = options.concurrency - inFlight.size;
    if (free <= 0) return [];
    const leases = await options.polls.claimDue({ nowMs: options.clock.now(), limit: free, owner, leaseMs: options.leaseMs });
    return leases.map(start);
  };

  const look = async (): Promise<void> => {
    let started = 0;
    try {
      started = (await fill()).length;
    } catch (err) {
      if (!controller.signal.aborted) options.logger.error({ owner, err: err instanceof Error ? err.message : String(err) }, 'worker round failed');
    }
    if (controller.signal.aborted) return;
    if (inFlight.size >= options.concurrency) waitingForSlot = true;
    // Slots left free though some were filled: more may be due as soon as those are leased.
    else schedule(started > 0 ? 0 : options.tickMs);
  };

  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => {
      looking = looking.then(look);
    }, ms);
    timer.unref();
  }

  let snapshotting = false;
  let snapshotRun: Promise<void> = Promise.resolve();
  const takeSnapshot = (): void => {
    if (snapshotting || options.snapshot === undefined || controller.signal.aborted) return;
    snapshotting = true;
    const now = options.clock.now();
    snapshotRun = options.polls
      .oldestDueMs(now)
      .then((due) => options.snapshot?.(due === null ? 0 : Math.max(0, (now - due) / 1000)))
      .catch((err: unknown) => options.logger.warn({ owner, err: err instanceof Error ? err.message : String(err) }, 'worker snapshot failed'))
      .finally(() => {
        snapshotting = false;
      });
  };
  const snapshotTimer = options.snapshot === undefined || !run ? undefined : setInterval(takeSnapshot, SNAPSHOT_MS);
  snapshotTimer?.unref();

  if (run) {
    schedule(0);
    // The gauges have values from the start, not only after the first interval.
    takeSnapshot();
  }

  return {
    owner,
    runOnce: async () => {
      const polls = await fill();
      await Promise.all(polls);
      return polls.length;
    },
    async stop() {
      controller.abort();
      clearTimeout(timer);
      clearInterval(snapshotTimer);
      await looking;
      await snapshotRun;
      await Promise.all([...inFlight]);
    },
  };
}
