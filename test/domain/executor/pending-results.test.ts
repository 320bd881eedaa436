/**
 * The chunk runner's result batching: the results of one event-loop turn in one write (at most
 * FLUSH_RESULTS each), writes one after another, each add resolved once its result is stored,
 * and a failed write logged (its lines run again) instead of failing the chunk.
 */
import { describe, expect, it, vi } from 'vitest';
import { FLUSH_RESULTS, PendingResults } from '../../../src/domain/executor/pending-results.js';
import type { ExecutionResult } from '../../../src/domain/ports/executions.js';

const result = (lineNo: number): ExecutionResult => ({ batchId: 'b', lineNo, customId: `r${lineNo}`, outcome: 'ok', line: '{}', costUsd: 0, createdAtMs: 0 });

function recorder(fail = false) {
  const writes: number[][] = [];
  let running = 0;
  let overlapped = false;
  return {
    writes,
    overlapped: () => overlapped,
    recordResults: async (rs: readonly ExecutionResult[]) => {
      running += 1;
      if (running > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      if (fail) throw new Error('disk full');
      writes.push(rs.map((r) => r.lineNo));
      return rs.length;
    },
  };
}

const logger = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

describe('PendingResults', () => {
  it('writes the results of one turn of the event loop together, at most FLUSH_RESULTS a write, one write at a time', async () => {
    const store = recorder();
    const pending = new PendingResults(store, logger());
    const count = FLUSH_RESULTS * 2 + 3;
    const stored = Array.from({ length: count }, (_, n) => pending.add(result(n)));
    expect(store.writes).toEqual([]);
    await Promise.all(stored);
    expect(store.writes.map((w) => w.length)).toEqual([FLUSH_RESULTS, FLUSH_RESULTS, 3]);
    expect(store.writes.flat()).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(store.overlapped()).toBe(false);
    await pending.close();
    expect(store.writes).toHaveLength(3);
  });

  it('resolves an add only once its result is stored, and a later turn gets its own write', async () => {
    const store = recorder();
    const pending = new PendingResults(store, logger());
    let first = false;
    const one = pending.add(result(1)).then(() => (first = true));
    pending.add(result(2));
    await new Promise((r) => setImmediate(r));
    expect(first).toBe(false);
    await one;
    expect(store.writes).toEqual([[1, 2]]);
    await pending.add(result(3));
    expect(store.writes).toEqual([[1, 2], [3]]);
  });

  it('close writes what is queued without waiting for the end of the turn', async () => {
    const store = recorder();
    const pending = new PendingResults(store, logger());
    void pending.add(result(9));
    await pending.close();
    expect(store.writes).toEqual([[9]]);
  });

  it('logs a write that failed and resolves: those lines have no result and run again', async () => {
    const log = logger();
    const pending = new PendingResults(recorder(true), log);
    await expect(pending.add(result(4))).resolves.toBeUndefined();
    await expect(pending.close()).resolves.toBeUndefined();
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ batchId: 'b', lines: 1, firstLine: 5, err: 'disk full' }), expect.stringContaining('run again'));
  });
});
