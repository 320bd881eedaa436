/**
 * Delivers the webhook outbox. A loop claims due rows (a lease in the store, so several processes
 * share the work and none sends a row another holds), signs each body the way OpenAI signs its
 * webhooks and POSTs it. A 2xx answer marks the row delivered; anything else (another status, a
 * timeout, a refused connection) schedules a retry with bounded exponential backoff until the
 * attempt limit, where the row is given up. Every state lives in the store, so a restart resumes
 * where the last process stopped; a row whose process died mid-send is claimed again once its
 * lease expires (delivery is at least once: receivers de-duplicate by `webhook-id`).
 *
 * Nothing here may end the process: every failure (receiver, store, event sink) is caught, logged
 * and retried on the next pass.
 */
import { randomBytes } from 'node:crypto';
import type { WebhookDeliverySettings, WebhookEndpointResolver } from '../domain/events/webhook-endpoints.js';
import { displayUrl } from '../domain/events/webhook-event.js';
import { signedHeaders } from '../domain/events/webhook-signature.js';
import type { WebhookTransport } from '../domain/events/webhook-transport.js';
import type { Clock } from '../domain/ports/clock.js';
import type { EventSink } from '../domain/ports/event-sink.js';
import type { Logger } from '../domain/ports/logger.js';
import type { OutboxClaim, OutboxRepository } from '../domain/ports/store.js';

export interface WebhookDeliveryDeps {
  readonly outbox: OutboxRepository;
  readonly endpoints: WebhookEndpointResolver;
  readonly transport: WebhookTransport;
  /** Receives `webhook.delivered` and `webhook.given_up`. */
  readonly events: EventSink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: WebhookDeliverySettings;
  /** Sends in flight at once (the loop), or rows claimed per pass (`deliverDueWebhooks`); default 16. */
  readonly batchSize?: number;
  /** Names this process in lease columns; default a random id. */
  readonly workerId?: string;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
}

export interface DeliveryReport {
  readonly claimed: number;
  readonly delivered: number;
  readonly retried: number;
  readonly givenUp: number;
  /** Claims lost to another loop before they could be written (their lease had expired). */
  readonly lost: number;
}

export interface WebhookDeliveryLoop {
  /** Looks for due rows now instead of at the next interval (called when rows were enqueued). */
  wake(): void;
  /** Stops the loop, aborting sends in flight (their rows are retried by whoever runs next). */
  stop(): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 16;
/** Longest stored error text: a status line or a transport error's message. */
const MAX_ERROR_CHARS = 300;

/** A claim outlives one attempt's deadline comfortably, so a live sender never loses its row. */
export const leaseMsFor = (settings: WebhookDeliverySettings): number => 2 * settings.timeoutMs + 5_000;

/**
 * The wait after the `attempts`-th failed attempt: the initial backoff doubled per earlier failure,
 * capped, with ±20% jitter so receivers that failed together are not retried together.
 */
export function backoffMs(settings: WebhookDeliverySettings, attempts: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  const base = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** exponent);
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(settings.maxBackoffMs, Math.max(0, jittered)));
}

const messageOf = (error: unknown): string => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
};

type Outcome = 'delivered' | 'retried' | 'givenUp' | 'lost';

class Deliverer {
  private readonly random: () => number;

  constructor(
    private readonly deps: WebhookDeliveryDeps,
    private readonly owner: string,
  ) {
    this.random = deps.random ?? Math.random;
  }

  /** Claims what is due, up to `limit`. */
  claim(limit: number): Promise<OutboxClaim[]> {
    const { outbox, clock, settings } = this.deps;
    return outbox.claimDue({ nowMs: clock.now(), limit, owner: this.owner, leaseMs: leaseMsFor(settings) });
  }

  async pass(signal: AbortSignal): Promise<DeliveryReport> {
    const claims = await this.claim(this.deps.batchSize ?? DEFAULT_BATCH_SIZE);
    const outcomes = await Promise.all(claims.map((claim) => this.deliverOne(claim, signal)));
    const count = (o: Outcome): number => outcomes.filter((x) => x === o).length;
    return { claimed: claims.length, delivered: count('delivered'), retried: count('retried'), givenUp: count('givenUp'), lost: count('lost') };
  }

  /** Never rejects: every failure ends as an outcome. */
  async deliverOne(claim: OutboxClaim, signal: AbortSignal): Promise<Outcome> {
    const { entry, fence } = claim;
    const { settings } = this.deps;
    try {
      // Only a process that died mid-attempt leaves a row claimed past the limit.
      if (entry.attempts > settings.maxAttempts) return await this.giveUp(claim, entry.url, entry.lastError ?? 'attempt limit reached');
      const endpoint = await this.deps.endpoints.resolve(entry.target);
      if (endpoint === undefined) {
        return await this.giveUp(claim, entry.url, 'endpoint no longer configured (config entry or key webhook_url removed)');
      }
      const error = await this.attempt(entry.webhookId, entry.payload, endpoint.url, endpoint.secret, signal);
      const now = this.deps.clock.now();
      if (error === null) {
        if (!(await this.deps.outbox.markDelivered(entry.webhookId, fence, now))) return this.lost(claim);
        await this.emit({ type: 'webhook.delivered', at: now, webhookId: entry.webhookId, endpoint: displayUrl(endpoint.url), eventType: entry.eventType, attempts: entry.attempts });
        return 'delivered';
      }
      if (entry.attempts >= settings.maxAttempts && !signal.aborted) return await this.giveUp(claim, endpoint.url, error);
      // An attempt cut short by shutdown is retried at once by whoever runs next.
      const wait = signal.aborted ? 0 : backoffMs(settings, entry.attempts, this.random);
      const rescheduled = await this.deps.outbox.retryLater(entry.webhookId, fence, {
        lastError: error,
        nextAttemptAtMs: now + wait,
        atMs: now,
        // Shutdown is not the receiver's failure: the attempt does not count against the limit.
        refundAttempt: signal.aborted,
      });
      if (!rescheduled) return this.lost(claim);
      if (!signal.aborted) {
        this.deps.logger.warn(
          { webhookId: entry.webhookId, endpoint: displayUrl(endpoint.url), attempts: entry.attempts, retryInMs: wait, error },
          'webhook delivery failed; will retry',
        );
      }
      return 'retried';
    } catch (err) {
      // The store failed mid-way: the lease expires and the row is claimed again.
      if (!signal.aborted) this.deps.logger.error({ webhookId: entry.webhookId, err: messageOf(err) }, 'webhook delivery step failed');
      return 'lost';
    }
  }

  /** One POST; null when the receiver answered 2xx, else why not. */
  private async attempt(webhookId: string, body: string, url: string, secret: string, stop: AbortSignal): Promise<string | null> {
    const timestamp = Math.floor(this.deps.clock.now() / 1000);
    let headers: Record<string, string>;
    try {
      headers = { 'content-type': 'application/json', ...signedHeaders(secret, webhookId, timestamp, body) };
    } catch (err) {
      return messageOf(err);
    }
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.deps.settings.timeoutMs)]);
    try {
      const { status } = await this.deps.transport.post({ url, headers, body }, signal);
      return status >= 200 && status < 300 ? null : `receiver answered HTTP ${status}`;
    } catch (err) {
      if (stop.aborted) return 'interrupted by shutdown';
      if (signal.aborted) return `no answer within ${this.deps.settings.timeoutMs} ms`;
      return messageOf(err);
    }
  }

  private async giveUp(claim: OutboxClaim, url: string, lastError: string): Promise<Outcome> {
    const { entry, fence } = claim;
    const now = this.deps.clock.now();
    if (!(await this.deps.outbox.giveUp(entry.webhookId, fence, { lastError, atMs: now }))) return this.lost(claim);
    // Logged as the `webhook.given_up` event by the log sink, once.
    await this.emit({
      type: 'webhook.given_up',
      at: now,
      webhookId: entry.webhookId,
      endpoint: displayUrl(url),
      eventType: entry.eventType,
      attempts: entry.attempts,
      lastError,
    });
    return 'givenUp';
  }

  private lost(claim: OutboxClaim): Outcome {
    this.deps.logger.warn({ webhookId: claim.entry.webhookId }, 'webhook claim lost to another worker (lease expired)');
    return 'lost';
  }

  private async emit(event: Parameters<EventSink['emit']>[0]): Promise<void> {
    try {
      await this.deps.events.emit(event);
    } catch (err) {
      this.deps.logger.warn({ event: event.type, err: messageOf(err) }, 'event sink failed');
    }
  }
}

/** A fresh lease owner id: host-independent, unique per loop. */
const newWorkerId = (): string => `wh-${randomBytes(6).toString('hex')}`;

/** One pass by hand (tests, tools): claims what is due now and delivers it. */
export function deliverDueWebhooks(deps: WebhookDeliveryDeps, signal: AbortSignal = new AbortController().signal): Promise<DeliveryReport> {
  return new Deliverer(deps, deps.workerId ?? newWorkerId()).pass(signal);
}

/**
 * Runs until stopped, with up to `batchSize` sends in flight: it claims as many due rows as there
 * is room for and starts them without waiting, so a receiver that takes its whole timeout holds
 * one slot, never the others. It looks again at once while claims come back full, else after
 * `pollIntervalMs`, a `wake()` or a send ending, whichever comes first.
 */
export function startWebhookDelivery(deps: WebhookDeliveryDeps): WebhookDeliveryLoop {
  const controller = new AbortController();
  const deliverer = new Deliverer(deps, deps.workerId ?? newWorkerId());
  const capacity = Math.max(1, deps.batchSize ?? DEFAULT_BATCH_SIZE);
  const inFlight = new Set<Promise<Outcome>>();
  let wakeUp: (() => void) | null = null;
  let woken = false;

  const wake = (): void => {
    woken = true;
    wakeUp?.();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (woken || controller.signal.aborted) {
        woken = false;
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', done);
        wakeUp = null;
        woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      wakeUp = done;
      controller.signal.addEventListener('abort', done, { once: true });
    });

  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      const room = capacity - inFlight.size;
      let full = false;
      if (room > 0) {
        try {
          const claims = await deliverer.claim(room);
          full = claims.length === room;
          for (const claim of claims) {
            const sending = deliverer.deliverOne(claim, controller.signal);
            inFlight.add(sending);
            // A freed slot is a reason to look again (more may be due).
            void sending.then(() => {
              inFlight.delete(sending);
              wake();
            });
          }
        } catch (err) {
          if (!controller.signal.aborted) deps.logger.error({ err: messageOf(err) }, 'webhook delivery pass failed');
        }
      }
      if (!full || inFlight.size >= capacity) await sleep(deps.settings.pollIntervalMs);
    }
  };
  const running = run();

  return {
    wake,
    async stop() {
      controller.abort();
      await running;
      await Promise.all(inFlight);
    },
  };
}
