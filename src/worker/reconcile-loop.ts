/**
 * Runs the pending-record reconciler on start and then every interval, one run at a time, until
 * stopped. A failed run (the store unreachable, say) is logged and the next one tries again: a
 * background task must never end the process.
 */
import type { Logger } from '../domain/ports/logger.js';
import type { PendingReconciler } from '../domain/recovery/pending-reconciler.js';

export interface ReconcileLoop {
  /** Stops the timer and waits for a run in progress (which is aborted). */
  stop(): Promise<void>;
}

/** Often enough that a crash's leftovers go soon after their grace period, never busier than 4 Hz. */
export const reconcileIntervalMs = (pendingGraceMs: number): number => Math.min(60_000, Math.max(250, Math.round(pendingGraceMs / 4)));

export function startReconcileLoop(reconciler: PendingReconciler, intervalMs: number, logger: Logger): ReconcileLoop {
  const controller = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const runOnce = async (): Promise<void> => {
    try {
      const report = await reconciler.runOnce(controller.signal);
      const acted = report.filesRemoved + report.batchesAdopted + report.batchesCancelled + report.batchesForgotten;
      if (acted > 0 || report.deferred > 0) logger.info({ ...report }, 'reconciled pending records');
    } catch (err) {
      if (!controller.signal.aborted) logger.error({ err: err instanceof Error ? err.message : String(err) }, 'reconciling pending records failed');
    }
  };
  const schedule = (): void => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      running = runOnce().then(schedule);
    }, intervalMs);
    timer.unref();
  };
  running = runOnce().then(schedule);

  return {
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
