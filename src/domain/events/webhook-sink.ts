/**
 * The webhook side of the lifecycle: when a batch finishes, one outbox row per endpoint that wants
 * that event (config endpoints by event and team filter, the creating key's own endpoint). Rows
 * are enqueued idempotently (deterministic ids), so emitting `batch.finished` again after a crash
 * or from a second worker adds nothing. Delivery is the worker's (`worker/webhook-delivery.ts`).
 */
import type { Clock } from '../ports/clock.js';
import type { BatchFinished, EventSink, LifecycleEvent } from '../ports/event-sink.js';
import type { NewOutboxEntry, OutboxRepository } from '../ports/store.js';
import type { WebhookEndpoints } from './webhook-endpoints.js';
import { webhookBody, webhookEventTypeOf, webhookIdFor } from './webhook-event.js';

export interface WebhookSinkDeps {
  readonly outbox: Pick<OutboxRepository, 'enqueue'>;
  readonly endpoints: Pick<WebhookEndpoints, 'routesFor'>;
  readonly clock: Clock;
  /** Called after rows were added, so a delivery loop in this process can start at once. */
  readonly onEnqueued?: (() => void) | undefined;
}

export class WebhookEventSink implements EventSink {
  constructor(private readonly deps: WebhookSinkDeps) {}

  async emit(event: LifecycleEvent): Promise<void> {
    if (event.type !== 'batch.finished') return;
    const entries = await this.entriesFor(event);
    if (entries.length === 0) return;
    const added = await this.deps.outbox.enqueue(entries);
    if (added > 0) this.deps.onEnqueued?.();
  }

  /** The outbox rows a finished batch makes, one per receiving endpoint. */
  async entriesFor(event: BatchFinished): Promise<NewOutboxEntry[]> {
    const type = webhookEventTypeOf(event.status);
    const routes = await this.deps.endpoints.routesFor(type, event.owner);
    const now = this.deps.clock.now();
    // created_at is when the batch ended, not when a delivery happens: the same on every retry.
    const createdAt = Math.floor(event.at / 1000);
    return routes.map((route) => {
      const webhookId = webhookIdFor(event.batchId, type, route.target);
      return {
        webhookId,
        eventType: type,
        batchId: event.batchId,
        payload: webhookBody(webhookId, type, createdAt, event.batchId),
        target: route.target,
        url: route.url,
        createdAtMs: now,
      };
    });
  }
}
