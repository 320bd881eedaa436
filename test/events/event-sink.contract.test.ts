/**
 * The EventSink contract, run over every implementation: the null sink, the log sink, the webhook
 * sink (over SQLite and PostgreSQL stores), and the fan-out of all of them. Every event type is
 * accepted, an event is never modified, emitting twice is harmless, and nothing throws
 * synchronously.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FanOutEventSink } from '../../src/domain/events/fan-out.js';
import { LogEventSink } from '../../src/domain/events/log-sink.js';
import { WebhookEndpoints } from '../../src/domain/events/webhook-endpoints.js';
import { WebhookEventSink } from '../../src/domain/events/webhook-sink.js';
import { nullEventSink, type EventSink, type LifecycleEvent } from '../../src/domain/ports/event-sink.js';
import type { Store } from '../../src/domain/ports/store.js';
import { backendsFor, type OpenedBackend } from '../store/backends.js';
import { keyRecord } from '../store/fixtures.js';
import { postgresForTests } from '../helpers/postgres.js';
import { allEvents, CapturingLogger, fixedClock } from './support.js';

const backends = backendsFor(await postgresForTests());

interface Subject {
  readonly name: string;
  /** A sink over a fresh store (when it needs one), and how to dispose of it. */
  open(): Promise<{ sink: EventSink; store?: Store; dispose(): Promise<void> }>;
}

const webhookSink = (store: Store): EventSink =>
  new WebhookEventSink({
    outbox: store.outbox,
    endpoints: new WebhookEndpoints(
      [{ url: 'https://hooks.example/all', secret: 'whsec_c2VjcmV0', events: ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'], teamIds: null }],
      store.keys,
    ),
    clock: fixedClock,
  });

const withStore = (name: string, backendIndex: number, make: (store: Store) => EventSink): Subject | undefined => {
  const backend = backends[backendIndex];
  if (backend === undefined) return undefined;
  return {
    name: `${name} (${backend.name})`,
    open: async () => {
      const opened: OpenedBackend = await backend.open();
      await opened.store.keys.insert(keyRecord({ keyHash: 'hash-a', webhookUrl: 'https://tenant.example/h', webhookSecret: 'whsec_c2VjcmV0' }));
      return { sink: make(opened.store), store: opened.store, dispose: () => opened.dispose() };
    },
  };
};

const subjects: Subject[] = [
  { name: 'null sink', open: () => Promise.resolve({ sink: nullEventSink, dispose: () => Promise.resolve() }) },
  { name: 'log sink', open: () => Promise.resolve({ sink: new LogEventSink(new CapturingLogger()), dispose: () => Promise.resolve() }) },
  ...backends.map((_, i) => withStore('webhook sink', i, webhookSink)),
  ...backends.map((_, i) =>
    withStore('fan-out of log + webhook + null', i, (store) => new FanOutEventSink([new LogEventSink(new CapturingLogger()), webhookSink(store), nullEventSink])),
  ),
].filter((s): s is Subject => s !== undefined);

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
};

for (const subject of subjects) {
  describe(`event sink contract: ${subject.name}`, () => {
    let sink: EventSink;
    let store: Store | undefined;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ sink, store, dispose } = await subject.open());
    });
    afterEach(async () => {
      await dispose();
    });

    it('accepts every event type, frozen, without modifying it', async () => {
      for (const event of allEvents()) {
        const frozen = deepFreeze(structuredClone(event)) as LifecycleEvent;
        await expect(sink.emit(frozen)).resolves.toBeUndefined();
        expect(frozen).toEqual(event);
      }
    });

    it('takes the same events again without harm (durable effects are idempotent)', async () => {
      for (const event of allEvents()) await sink.emit(event);
      const before = store === undefined ? 0 : await store.outbox.countPending();
      for (const event of allEvents()) await sink.emit(event);
      await Promise.all(allEvents().map((event) => sink.emit(event)));
      if (store !== undefined) expect(await store.outbox.countPending()).toBe(before);
    });

    it('answers with a promise, never a synchronous throw', async () => {
      const results = allEvents().map((event) => sink.emit(event));
      for (const result of results) expect(result).toBeInstanceOf(Promise);
      await Promise.all(results);
    });
  });
}
