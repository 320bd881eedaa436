/**
 * The loop that runs gateway-executed batches in this process: it leases due execution steps and
 * runs them, and keeps up to `concurrency` chunks running, leasing more as they end. All state is
 * in the store, so several processes share the work and a restarted one carries on where the last
 * stopped. Failures are logged and retried: the loop never ends the process.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { BatchExecutor } from '../domain/executor/batch-executor.js';
import type { Clock } from '../domain/ports/clock.js';
import type { ExecutionRepository } from '../domain/ports/executions.js';
import type { Logger } from '../domain/ports/logger.js';

export interface ExecutorLoopOptions {
  readonly executor: BatchExecutor;
  readonly executions: ExecutionRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Chunks this process runs at once. */
  readonly concurrency: number;
  readonly leaseMs: number;
  /** Sleep between looks when there is nothing to do. */
  readonly tickMs: number;
  /** This process's lease owner (also sent upstream as `x-batchgate-worker`). */
  readonly owner: string;
}

export interface ExecutorLoop {
  readonly owner: string;
  /** New work may be due (a create, a cancel): look now rather than at the next tick. */
  wake(): void;
  /** Runs until nothing is due and no chunk is running (tests). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export const newWorkerId = (): string => `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

const STEPS_PER_ROUND = 4;

export function startExecutorLoop(options: ExecutorLoopOptions, run = true): ExecutorLoop {
  const { owner, executions, executor, logger } = options;
  const controller = new AbortController();
  // Every request in flight listens on it (timeouts, pacing, backoff): hundreds at once is normal.
  setMaxListeners(0, controller.signal);
  const chunks = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

  const round = async (): Promise<number> => {
    const now = options.clock.now();
    const steps = await executions.claimDue({ nowMs: now, owner, leaseMs: options.leaseMs, limit: STEPS_PER_ROUND });
    await Promise.all(
      steps.map((lease) =>
        executor.step(lease, controller.signal).catch((err: unknown) => {
          if (!controller.signal.aborted) logger.error({ batchId: lease.execution.batchId, err: errorText(err) }, 'execution step failed; it is retried when its lease expires');
        }),
      ),
    );
    const free = options.concurrency - chunks.size;
    if (free <= 0 || controller.signal.aborted) return steps.length;
    const leases = await executions.claimChunks({ nowMs: options.clock.now(), owner, leaseMs: options.leaseMs, limit: free });
    for (const lease of leases) {
      const task = executor
        .chunk(lease, controller.signal)
        .then(() => undefined)
        .catch((err: unknown) => {
          if (!controller.signal.aborted) logger.error({ batchId: lease.chunk.batchId, chunk: lease.chunk.chunkNo, err: errorText(err) }, 'chunk failed; it is retried when its lease expires');
        })
        .finally(() => {
          chunks.delete(task);
          wake();
        });
      chunks.add(task);
    }
    return steps.length + leases.length;
  };

  const tick = async (): Promise<number> => {
    if (ticking !== null) {
      again = true;
      return ticking;
    }
    ticking = round().catch((err: unknown) => {
      if (!controller.signal.aborted) logger.error({ owner, err: errorText(err) }, 'executor round failed');
      return 0;
    });
    try {
      return await ticking;
    } finally {
      ticking = null;
    }
  };

  const schedule = (ms: number): void => {
    if (stopped || !run) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void tick().then((claimed) => {
        const more = claimed > 0 || again;
        again = false;
        schedule(more ? 0 : options.tickMs);
      });
    }, ms);
    timer.unref();
  };

  function wake(): void {
    if (ticking !== null) again = true;
    else schedule(0);
  }

  schedule(0);

  return {
    owner,
    wake,
    async drain() {
      for (let i = 0; i < 10_000; i++) {
        const claimed = await tick();
        if (chunks.size > 0) await Promise.race(chunks);
        else if (claimed === 0) return;
      }
    },
    async stop() {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
      await ticking;
      await Promise.allSettled([...chunks]);
    },
  };
}
