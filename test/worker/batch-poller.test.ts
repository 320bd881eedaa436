/**
 * The worker's loop keeps its slots busy: a poll that hangs holds one slot, not the worker (a
 * round-based loop waited for its slowest poll, so one stuck upstream stopped every batch's
 * polls), and stop() waits for what is in flight.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchFollower } from '../../src/domain/lifecycle/batch-follower.js';
import type { Logger } from '../../src/domain/ports/logger.js';
import type { BatchRecord, PollLease, PollRepository } from '../../src/domain/ports/store.js';
import { startBatchPoller, type BatchPoller } from '../../src/worker/batch-poller.js';

/** Batches due now, leased once each (a released batch is done: nothing to poll again). */
const duePolls = (ids: readonly string[]) => {
  const due = [...ids];
  const released: string[] = [];
  const repo: PollRepository = {
    claimDue: async ({ limit }) => due.splice(0, limit).map((id): PollLease => ({ batch: { id } as BatchRecord, fence: { owner: 'o', token: id } as never, attempts: 0 })),
    release: async (id) => {
      released.push(id);
      return true;
    },
    oldestDueMs: async () => null,
    pollSoon: async () => undefined,
  };
  return { repo, released };
};

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

/** Polls answer at once, except those named, which wait until their signal aborts. */
const follower = (hanging: ReadonlySet<string>): BatchFollower =>
  ({
    poll: (lease: PollLease, signal: AbortSignal) =>
      hanging.has(lease.batch.id)
        ? new Promise((resolve) => signal.addEventListener('abort', () => resolve('lease-lost'), { once: true }))
        : Promise.resolve({ nextPollAtMs: null, attempts: 1 }),
  }) as unknown as BatchFollower;

let poller: BatchPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

const until = async (check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('the batch poller', () => {
  it('goes on polling every other batch while one poll hangs', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `batch_${i}`);
    const { repo, released } = duePolls(ids);
    poller = startBatchPoller({ polls: repo, follower: follower(new Set(['batch_0'])), clock: { now: () => Date.now() }, logger: silent, concurrency: 4, leaseMs: 60_000, tickMs: 50 });
    await until(() => released.length === 39);
    expect(released).not.toContain('batch_0');
  });

  it('keeps every slot busy while polls are slow, no more and no fewer', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `batch_${i}`);
    const { repo, released } = duePolls(ids);
    let running = 0;
    let most = 0;
    const slow = {
      poll: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
        running--;
        return { nextPollAtMs: null, attempts: 1 };
      },
    } as unknown as BatchFollower;
    poller = startBatchPoller({ polls: repo, follower: slow, clock: { now: () => Date.now() }, logger: silent, concurrency: 3, leaseMs: 60_000, tickMs: 50 });
    await until(() => released.length === 12);
    expect(most).toBe(3);
  });

  it('stop() ends the polls in flight and waits for them', async () => {
    const { repo, released } = duePolls(['a', 'b']);
    poller = startBatchPoller({ polls: repo, follower: follower(new Set(['a'])), clock: { now: () => Date.now() }, logger: silent, concurrency: 2, leaseMs: 60_000, tickMs: 50 });
    await until(() => released.includes('b'));
    await poller.stop();
    poller = undefined;
    // The hanging poll saw the abort and gave its lease up rather than releasing it.
    expect(released).toEqual(['b']);
  });
});
