/** `waitForBatch`: polls a batch until it is terminal, backing off from 1 s to 10 s between polls. */
import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_BATCH_STATUSES, type Batch } from '../contracts/openai.js';
import { sdkError } from './errors.js';

export interface WaitOptions {
  readonly signal?: AbortSignal | undefined;
  /** Gives up with `SdkError('wait_timeout')` after this long (default: never). */
  readonly timeoutMs?: number | undefined;
  /** Called with the batch after every poll, the last (terminal) one included. */
  readonly onProgress?: ((batch: Batch) => void) | undefined;
  /** First pause between polls (default 1000 ms); each pause doubles, up to `maxIntervalMs`. */
  readonly minIntervalMs?: number | undefined;
  /** Longest pause between polls (default 10 000 ms). */
  readonly maxIntervalMs?: number | undefined;
}

export async function waitUntilTerminal(id: string, retrieve: (signal: AbortSignal) => Promise<Batch>, options: WaitOptions = {}): Promise<Batch> {
  const user = options.signal;
  user?.throwIfAborted();
  const timer = options.timeoutMs === undefined ? null : AbortSignal.timeout(options.timeoutMs);
  const signals = [user, timer].filter((s): s is AbortSignal => s !== undefined && s !== null);
  const signal = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? (signals[0] as AbortSignal) : AbortSignal.any(signals);
  const min = options.minIntervalMs ?? 1_000;
  const max = Math.max(min, options.maxIntervalMs ?? 10_000);
  let interval = min;
  let last: Batch | null = null;
  const timedOut = (cause?: unknown) =>
    sdkError('wait_timeout', `batch '${id}' was still ${last?.status ?? 'not retrieved'} after ${options.timeoutMs} ms`, { cause, retryable: true });
  for (;;) {
    try {
      last = await retrieve(signal);
    } catch (err) {
      if (user?.aborted === true) throw user.reason;
      if (timer?.aborted === true) throw timedOut(err);
      throw err;
    }
    options.onProgress?.(last);
    if (TERMINAL_BATCH_STATUSES.has(last.status)) return last;
    try {
      await sleep(interval, undefined, { signal });
    } catch (err) {
      if (user?.aborted === true) throw user.reason;
      throw timedOut(err);
    }
    interval = Math.min(max, interval * 2);
  }
}
