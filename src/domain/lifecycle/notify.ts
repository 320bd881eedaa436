/**
 * Emits an event whose loss is no reason to fail the request that caused it (an upload, a create,
 * a status seen on a retrieve): a failing sink is logged. `batch.finished`, whose webhooks must
 * not be lost, is emitted by the worker directly and retried until it lands.
 */
import type { LifecycleEvent } from '../ports/event-sink.js';
import type { ServiceDeps } from '../service-deps.js';

export async function notify(deps: Pick<ServiceDeps, 'events' | 'logger'>, event: LifecycleEvent): Promise<void> {
  try {
    await deps.events.emit(event);
  } catch (err) {
    deps.logger.warn({ event: event.type, err: err instanceof Error ? err.message : String(err) }, 'a lifecycle event could not be recorded');
  }
}
