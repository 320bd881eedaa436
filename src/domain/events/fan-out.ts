/**
 * One sink that hands every event to several: all are tried, whatever one of them does, and the
 * emit rejects (after all have finished) when any rejected, so a durable effect that failed (an
 * outbox row not written) reaches the caller, who retries; the others are idempotent.
 */
import type { EventSink, LifecycleEvent } from '../ports/event-sink.js';

export class FanOutEventSink implements EventSink {
  constructor(private readonly sinks: readonly EventSink[]) {}

  async emit(event: LifecycleEvent): Promise<void> {
    // A sink that throws synchronously counts as a rejection, not as an exception out of here.
    const results = await Promise.allSettled(this.sinks.map(async (sink) => sink.emit(event)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} event sinks failed on ${event.type}`);
  }
}

export const fanOut = (...sinks: EventSink[]): EventSink => new FanOutEventSink(sinks);
