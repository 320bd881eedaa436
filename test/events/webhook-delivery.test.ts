/**
 * The delivery loop over a real (SQLite) outbox and a scripted transport: what each answer does to
 * the row, the backoff, the attempt limit, shutdown in the middle of a send, and that no failure
 * of the receiver, the store or an event sink escapes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookEndpoints, type WebhookDeliverySettings } from '../../src/domain/events/webhook-endpoints.js';
import { WebhookEventSink } from '../../src/domain/events/webhook-sink.js';
import { verifySignature } from '../../src/domain/events/webhook-signature.js';
import type { WebhookRequest, WebhookTransport } from '../../src/domain/events/webhook-transport.js';
import type { EventSink, LifecycleEvent } from '../../src/domain/ports/event-sink.js';
import type { Store } from '../../src/domain/ports/store.js';
import {
  backoffMs,
  deliverDueWebhooks,
  leaseMsFor,
  startWebhookDelivery,
  type WebhookDeliveryDeps,
} from '../../src/worker/webhook-delivery.js';
import { sqliteBackend, type OpenedBackend } from '../store/backends.js';
import { keyRecord } from '../store/fixtures.js';
import { CapturingLogger, finished } from './support.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const URL_A = 'https://user:pw@ops.example/hook?token=t0ken';

const SETTINGS: WebhookDeliverySettings = {
  maxAttempts: 4,
  initialBackoffMs: 1_000,
  maxBackoffMs: 5_000,
  timeoutMs: 200,
  pollIntervalMs: 20,
};

class ManualClock {
  constructor(public ms = Date.now()) {}
  now(): number {
    return this.ms;
  }
}

type Answer = number | Error | 'hang';

/** Answers from a script (the last one repeats), and records every request. */
class ScriptedTransport implements WebhookTransport {
  readonly requests: WebhookRequest[] = [];
  constructor(private readonly script: Answer[]) {}
  post(request: WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
    this.requests.push(request);
    const answer = this.script.length > 1 ? this.script.shift() : this.script[0];
    if (answer === 'hang') {
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    }
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({ status: answer ?? 200 });
  }
}

class RecordingSink implements EventSink {
  readonly events: LifecycleEvent[] = [];
  emit(event: LifecycleEvent): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }
}

describe('webhook delivery', () => {
  let opened: OpenedBackend;
  let store: Store;
  let clock: ManualClock;
  let logger: CapturingLogger;
  let events: RecordingSink;
  let endpoints: WebhookEndpoints;

  const deps = (transport: WebhookTransport, over: Partial<WebhookDeliveryDeps> = {}): WebhookDeliveryDeps => ({
    outbox: store.outbox,
    endpoints,
    transport,
    events,
    clock,
    logger,
    settings: SETTINGS,
    random: () => 0.5,
    workerId: 'w-test',
    ...over,
  });

  const enqueue = async (batchId = 'batch_1'): Promise<string> => {
    await new WebhookEventSink({ outbox: store.outbox, endpoints, clock }).emit(finished({ batchId, at: clock.now(), owner: { keyHash: null, userId: null, teamId: null } }));
    const [row] = await store.outbox.listForBatch(batchId);
    if (row === undefined) throw new Error('nothing enqueued');
    return row.webhookId;
  };

  beforeEach(async () => {
    opened = await sqliteBackend.open();
    store = opened.store;
    clock = new ManualClock();
    logger = new CapturingLogger();
    events = new RecordingSink();
    endpoints = new WebhookEndpoints([{ url: URL_A, secret: SECRET, events: ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'], teamIds: null }], store.keys);
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('backs off exponentially, with bounded jitter, capped', () => {
    const s = { ...SETTINGS, initialBackoffMs: 1_000, maxBackoffMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => backoffMs(s, n, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffMs(s, 50, () => 0.5)).toBe(60_000);
    expect(backoffMs(s, 10_000, () => 0.999)).toBe(60_000);
    for (const r of [0, 0.25, 0.75, 0.9999]) {
      const wait = backoffMs(s, 3, () => r);
      expect(wait).toBeGreaterThanOrEqual(3_200);
      expect(wait).toBeLessThanOrEqual(4_800);
    }
    expect(leaseMsFor(SETTINGS)).toBeGreaterThan(SETTINGS.timeoutMs);
  });

  it('POSTs the signed body and marks the row delivered on 2xx', async () => {
    const id = await enqueue();
    const transport = new ScriptedTransport([204]);
    expect(await deliverDueWebhooks(deps(transport))).toEqual({ claimed: 1, delivered: 1, retried: 0, givenUp: 0, lost: 0 });
    const [request] = transport.requests;
    expect(request?.url).toBe(URL_A);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['webhook-id']).toBe(id);
    expect(request?.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(verifySignature({ secret: SECRET, headers: request?.headers ?? {}, body: request?.body ?? '', nowSeconds: Math.floor(clock.now() / 1000) })).toBe(true);
    expect(JSON.parse(request?.body ?? '')).toMatchObject({ object: 'event', id, type: 'batch.completed', data: { id: 'batch_1' } });
    expect(await store.outbox.get(id)).toMatchObject({ state: 'delivered', attempts: 1 });
    // The event names the endpoint without credentials or query.
    expect(events.events).toEqual([
      { type: 'webhook.delivered', at: clock.now(), webhookId: id, endpoint: 'https://ops.example/hook', eventType: 'batch.completed', attempts: 1 },
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain('t0ken');
  });

  it('retries non-2xx, transport errors and timeouts with backoff, resending the same bytes, then delivers', async () => {
    const id = await enqueue();
    const transport = new ScriptedTransport([500, new Error('ECONNREFUSED'), 'hang', 200]);
    const d = deps(transport);
    const pass = async (): Promise<void> => {
      await deliverDueWebhooks(d);
    };
    await pass();
    expect(await store.outbox.get(id)).toMatchObject({ state: 'pending', attempts: 1, lastError: 'receiver answered HTTP 500', nextAttemptAtMs: clock.now() + 1_000 });
    await pass(); // not due yet
    expect(transport.requests).toHaveLength(1);
    clock.ms += 1_000;
    await pass();
    expect(await store.outbox.get(id)).toMatchObject({ attempts: 2, lastError: 'Error: ECONNREFUSED', nextAttemptAtMs: clock.now() + 2_000 });
    clock.ms += 2_000;
    await pass();
    expect(await store.outbox.get(id)).toMatchObject({ attempts: 3, lastError: `no answer within ${SETTINGS.timeoutMs} ms` });
    clock.ms += 4_000;
    await pass();
    expect(await store.outbox.get(id)).toMatchObject({ state: 'delivered', attempts: 4 });
    expect(new Set(transport.requests.map((r) => r.body)).size).toBe(1);
    expect(new Set(transport.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(logger.lines.filter((l) => l.msg === 'webhook delivery failed; will retry')).toHaveLength(3);
  });

  it('gives up at the attempt limit and says so', async () => {
    const id = await enqueue();
    const transport = new ScriptedTransport([503]);
    for (let i = 0; i < SETTINGS.maxAttempts; i++) {
      await deliverDueWebhooks(deps(transport));
      clock.ms += SETTINGS.maxBackoffMs;
    }
    await deliverDueWebhooks(deps(transport));
    expect(transport.requests).toHaveLength(SETTINGS.maxAttempts);
    expect(await store.outbox.get(id)).toMatchObject({ state: 'given_up', attempts: SETTINGS.maxAttempts, lastError: 'receiver answered HTTP 503' });
    expect(events.events).toEqual([
      expect.objectContaining({ type: 'webhook.given_up', webhookId: id, attempts: SETTINGS.maxAttempts, endpoint: 'https://ops.example/hook', lastError: 'receiver answered HTTP 503' }),
    ]);
  });

  it('gives up at once when the endpoint is gone (config entry or key webhook removed)', async () => {
    await store.keys.insert(keyRecord({ keyHash: 'hash-a', webhookUrl: 'https://tenant.example/h', webhookSecret: SECRET }));
    await new WebhookEventSink({ outbox: store.outbox, endpoints: new WebhookEndpoints([], store.keys), clock }).emit(finished({ batchId: 'batch_k' }));
    await store.keys.delete('hash-a');
    const transport = new ScriptedTransport([200]);
    await deliverDueWebhooks(deps(transport));
    expect(transport.requests).toEqual([]);
    const [row] = await store.outbox.listForBatch('batch_k');
    expect(row).toMatchObject({ state: 'given_up', lastError: expect.stringContaining('no longer configured') });
  });

  it('gives up without sending a row a crashed process left past the limit', async () => {
    const id = await enqueue();
    for (let i = 0; i < SETTINGS.maxAttempts; i++) {
      // Claimed and never finished: a process killed mid-send, each time.
      await store.outbox.claimDue({ nowMs: clock.now(), limit: 1, owner: `dead-${i}`, leaseMs: 1 });
      clock.ms += 2;
    }
    const transport = new ScriptedTransport([200]);
    await deliverDueWebhooks(deps(transport));
    expect(transport.requests).toEqual([]);
    expect(await store.outbox.get(id)).toMatchObject({ state: 'given_up' });
  });

  it('keeps going when an event sink fails', async () => {
    await enqueue();
    const failing: EventSink = { emit: () => Promise.reject(new Error('sink down')) };
    expect((await deliverDueWebhooks(deps(new ScriptedTransport([200]), { events: failing }))).delivered).toBe(1);
    expect(logger.lines.some((l) => l.msg === 'event sink failed')).toBe(true);
  });

  it('runs in the background, woken by enqueues, and survives a store that fails', async () => {
    const transport = new ScriptedTransport([200]);
    let failures = 2;
    const flaky: Store['outbox'] = {
      ...store.outbox,
      claimDue: (input) => {
        if (failures > 0) {
          failures -= 1;
          return Promise.reject(new Error('database is locked'));
        }
        return store.outbox.claimDue(input);
      },
    };
    // A long interval: only wake() can make the loop look again in time.
    const loop = startWebhookDelivery(deps(transport, { clock: { now: () => Date.now() }, outbox: flaky, settings: { ...SETTINGS, pollIntervalMs: 60_000 } }));
    try {
      await expect.poll(() => logger.lines.filter((l) => l.msg === 'webhook delivery pass failed').length).toBe(1);
      loop.wake();
      await expect.poll(() => logger.lines.filter((l) => l.msg === 'webhook delivery pass failed').length).toBe(2);
      clock.ms = Date.now();
      await enqueue('batch_bg');
      loop.wake();
      await expect.poll(() => transport.requests.length, { timeout: 5_000 }).toBe(1);
    } finally {
      await loop.stop();
    }
    const [row] = await store.outbox.listForBatch('batch_bg');
    expect(row?.state).toBe('delivered');
  });

  it('stops promptly mid-send; the interrupted attempt is not counted and is due at once', async () => {
    const id = await enqueue();
    const transport = new ScriptedTransport(['hang']);
    const loop = startWebhookDelivery(deps(transport, { settings: { ...SETTINGS, timeoutMs: 60_000 } }));
    await expect.poll(() => transport.requests.length, { timeout: 5_000 }).toBe(1);
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await store.outbox.get(id)).toMatchObject({ state: 'pending', attempts: 0, lastError: 'interrupted by shutdown', nextAttemptAtMs: clock.now() });
  });
});
