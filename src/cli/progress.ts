/**
 * Shows a batch's `request_counts` while it runs: on a terminal, one bar redrawn in place
 * (carriage return + clear to end of line), ticking every second so the elapsed time moves; in a
 * log or a pipe, one plain line per change (status or counts), never one per poll, so a CI log
 * of a day-long batch stays short. Written to stderr: stdout is kept for results and `--json`.
 */
import type { Batch } from '../contracts/openai.js';

export interface ProgressSink {
  /** The latest state of the batch (every poll). */
  update(batch: Batch): void;
  /** The last state: draws it and ends the bar's line. */
  finish(batch: Batch): void;
  /** Stops drawing without a final state (Ctrl-C), leaving the cursor on a fresh line. */
  stop(): void;
}

export interface ProgressTarget {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Lines answered (completed or failed) out of total, as a whole percent that reaches 100 only when all are. */
export function percentOf(batch: Batch): number {
  const { total, completed, failed } = batch.request_counts;
  if (total <= 0) return batch.status === 'completed' ? 100 : 0;
  return Math.min(100, Math.floor(((completed + failed) * 100) / total));
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

const countsText = (batch: Batch): string => {
  const { total, completed, failed } = batch.request_counts;
  return `${completed + failed}/${total} (${completed} completed, ${failed} failed)`;
};

/** `[##########..........]  50% 5/10 (4 completed, 1 failed) in_progress 00:12` */
export function barLine(batch: Batch, elapsedMs: number, columns = 80): string {
  const pct = percentOf(batch);
  const tail = ` ${String(pct).padStart(3)}% ${countsText(batch)} ${batch.status} ${formatElapsed(elapsedMs)}`;
  // The bar takes what the counts leave of the terminal's width, between 10 and 40 cells.
  const width = Math.max(10, Math.min(40, columns - tail.length - 3));
  const filled = Math.round((pct / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`;
}

export function plainLine(batch: Batch, elapsedMs: number): string {
  return `${batch.id} ${batch.status} ${countsText(batch)} ${percentOf(batch)}% after ${formatElapsed(elapsedMs)}`;
}

const stateOf = (b: Batch): string => `${b.status} ${b.request_counts.total} ${b.request_counts.completed} ${b.request_counts.failed}`;

export function createProgress(target: ProgressTarget, now: () => number = Date.now): ProgressSink {
  const started = now();
  if (target.isTTY === true) {
    let last: Batch | null = null;
    const draw = (): void => {
      if (last !== null) target.write(`\r${barLine(last, now() - started, target.columns !== undefined && target.columns > 0 ? target.columns : 80)}\x1b[K`);
    };
    const ticker = setInterval(draw, 1000);
    ticker.unref();
    return {
      update(batch) {
        last = batch;
        draw();
      },
      finish(batch) {
        clearInterval(ticker);
        last = batch;
        draw();
        target.write('\n');
      },
      stop() {
        clearInterval(ticker);
        if (last !== null) target.write('\n');
      },
    };
  }
  let seen: string | null = null;
  const print = (batch: Batch): void => {
    const state = stateOf(batch);
    if (state === seen) return;
    seen = state;
    target.write(`${plainLine(batch, now() - started)}\n`);
  };
  return { update: print, finish: print, stop: () => {} };
}

export const isTerminal = (batch: Batch): boolean => TERMINAL.has(batch.status);
