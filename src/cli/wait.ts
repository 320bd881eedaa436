/**
 * Waits for a batch to finish: retrieves it with backoff (1 s, growing to at most 10 s while
 * nothing changes, back to 1 s when the counts move), reports every state to the progress sink,
 * and stops on Ctrl-C without cancelling anything: the batch belongs to the gateway, the
 * waiting is all the CLI owns.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch } from '../contracts/openai.js';
import { CliError, EXIT } from './exit-codes.js';
import type { GatewayClient } from './gateway-client.js';
import { isTerminal, type ProgressSink } from './progress.js';

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 10_000, factor: 1.5 };

/** A gateway restarting under a long wait is ridden out; this many failed polls in a row are not. */
const MAX_UNREACHABLE_POLLS = 5;

const countsKey = (b: Batch): string => `${b.status}/${b.request_counts.completed}/${b.request_counts.failed}/${b.request_counts.total}`;

export const interruptedMessage = (id: string): string =>
  `stopped waiting (interrupted); batch ${id} was NOT cancelled and keeps running.\n` +
  `  see it:        batchgate batch get ${id}\n` +
  `  its results:   batchgate batch results ${id} --wait\n` +
  `  cancel it:     batchgate batch cancel ${id}`;

export async function waitForBatch(client: GatewayClient, first: Batch, progress: ProgressSink, backoff: Backoff = DEFAULT_BACKOFF): Promise<Batch> {
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let batch = first;
  let delay = backoff.initialMs;
  let unreachableInARow = 0;
  try {
    progress.update(batch);
    while (!isTerminal(batch)) {
      await sleep(delay, undefined, { signal: interrupt.signal });
      let next: Batch;
      try {
        next = await client.retrieveBatch(batch.id, interrupt.signal);
        unreachableInARow = 0;
      } catch (err) {
        if (err instanceof CliError && err.exitCode === EXIT.unreachable && ++unreachableInARow < MAX_UNREACHABLE_POLLS) {
          delay = Math.min(backoff.maxMs, delay * backoff.factor);
          continue;
        }
        throw err;
      }
      delay = countsKey(next) === countsKey(batch) ? Math.min(backoff.maxMs, delay * backoff.factor) : backoff.initialMs;
      batch = next;
      if (!isTerminal(batch)) progress.update(batch);
    }
    progress.finish(batch);
    return batch;
  } catch (err) {
    if (interrupt.signal.aborted) {
      progress.stop();
      throw new CliError(interruptedMessage(batch.id), EXIT.interrupted);
    }
    progress.stop();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
