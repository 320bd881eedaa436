/**
 * One call per key at a time, shared by every caller that asks meanwhile: concurrent retrieves of
 * one batch make one upstream refresh. The shared call runs under its own deadline, not the first
 * caller's signal, so one caller leaving does not fail the others; each caller still stops
 * waiting when its own signal fires.
 */
import { GatewayError } from '../../errors/gateway-error.js';

export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, deadlineMs: number, signal: AbortSignal, work: (shared: AbortSignal) => Promise<T>): Promise<T> {
    let call = this.running.get(key);
    if (call === undefined) {
      const shared = deadline(deadlineMs);
      call = work(shared.signal).finally(() => {
        // Cleared, not left to fire: an unref'd timer still keeps its closure (the controller,
        // the signal's listeners) alive until it fires, 20 minutes by default — a soak showed
        // 1.2 KB kept per refresh, RSS climbing by a quarter in 10 minutes (bench/RESULTS.md).
        clearTimeout(shared.timer);
        this.running.delete(key);
      });
      this.running.set(key, call);
    }
    return raceAbort(call, signal);
  }
}

/** A signal that aborts after `ms` with a 504, as a request's own deadline does, and its timer. */
const deadline = (ms: number): { signal: AbortSignal; timer: NodeJS.Timeout } => {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new GatewayError('upstream_timeout', `The shared upstream call did not complete within ${Math.round(ms / 1000)} s.`)),
    ms,
  );
  timer.unref();
  return { signal: controller.signal, timer };
};

/** `work`, or the caller's abort reason as soon as its signal fires (the work itself goes on). */
const raceAbort = <T>(work: Promise<T>, signal: AbortSignal): Promise<T> => {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
};
