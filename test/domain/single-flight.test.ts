/**
 * The shared refresh of a batch: one call per key, its own deadline, and nothing left behind once
 * it settles (its deadline timer used to outlive it by the whole deadline, 20 minutes by default,
 * keeping its controller alive: a memory climb under steady polling, found by bench/soak.mjs).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SingleFlight } from '../../src/domain/batches/single-flight.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('SingleFlight', () => {
  it('shares one call among the callers that ask while it runs', async () => {
    const flight = new SingleFlight<number>();
    let calls = 0;
    let finish!: (n: number) => void;
    const work = () => {
      calls++;
      return new Promise<number>((r) => (finish = r));
    };
    const a = flight.run('k', 10_000, new AbortController().signal, work);
    const b = flight.run('k', 10_000, new AbortController().signal, work);
    finish(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(calls).toBe(1);
  });

  it('leaves no timer behind once a call settled, answered or failed', async () => {
    vi.useFakeTimers();
    const flight = new SingleFlight<number>();
    const signal = new AbortController().signal;
    for (let i = 0; i < 50; i++) await flight.run(`ok-${i}`, 1_200_000, signal, async () => i);
    for (let i = 0; i < 50; i++) await flight.run(`bad-${i}`, 1_200_000, signal, async () => Promise.reject(new Error('upstream down'))).catch(() => undefined);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still aborts a shared call that outlives its deadline, with a 504', async () => {
    vi.useFakeTimers();
    const flight = new SingleFlight<number>();
    let shared: AbortSignal | undefined;
    const call = flight.run('slow', 1000, new AbortController().signal, (s) => {
      shared = s;
      return new Promise<number>((_resolve, reject) => s.addEventListener('abort', () => reject(s.reason), { once: true }));
    });
    const outcome = call.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1001);
    expect(shared?.aborted).toBe(true);
    expect(await outcome).toMatchObject({ code: 'upstream_timeout', status: 504 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
