/** Fault injection for the fake upstreams: per operation, a queue of what the next calls do. */
import type { FailSpec, FakeOperation } from './fake-types.js';

export type Fault =
  | { readonly kind: 'fail'; readonly spec: FailSpec }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'hold-response'; readonly onHeld?: () => void };

export class FaultQueue {
  private readonly queues = new Map<FakeOperation, Fault[]>();

  private queue(operation: FakeOperation): Fault[] {
    let queue = this.queues.get(operation);
    if (queue === undefined) {
      queue = [];
      this.queues.set(operation, queue);
    }
    return queue;
  }

  fail(operation: FakeOperation, spec: FailSpec): void {
    const times = spec.times ?? 1;
    for (let i = 0; i < times; i++) this.queue(operation).push({ kind: 'fail', spec });
  }

  delay(operation: FakeOperation, ms: number): void {
    this.queue(operation).push({ kind: 'delay', ms });
  }

  hang(operation: FakeOperation): void {
    this.queue(operation).push({ kind: 'hang' });
  }

  /** The call is carried out (the file stored, the batch created) but its answer is never sent. */
  holdResponse(operation: FakeOperation, onHeld?: () => void): void {
    this.queue(operation).push({ kind: 'hold-response', ...(onHeld === undefined ? {} : { onHeld }) });
  }

  /** Forgets every queued fault. */
  clear(): void {
    this.queues.clear();
  }

  /** The fault for this call, if one is queued. */
  take(operation: FakeOperation): Fault | undefined {
    return this.queues.get(operation)?.shift();
  }
}
