/**
 * Where webhooks go. Endpoints come from the config (`general_settings.webhooks`: URL, secret,
 * event filter, optional team filter) and from virtual keys (`webhook_url` on `/key/generate` and
 * `/key/update`: a tenant receives the events of its own batches only). Outbox rows name their
 * endpoint (a configured URL, or a key hash), never its secret: the secret is looked up here when
 * a delivery is signed, so it is stored in one place only and a rotated secret signs every retry.
 */
import type { KeyRepository, WebhookTarget } from '../ports/store.js';
import type { Owner } from '../principal.js';

export const WEBHOOK_EVENT_TYPES = ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface ConfiguredWebhook {
  readonly url: string;
  /** The secret as resolved at load (`os.environ/…` allowed); held in memory only. */
  readonly secret: string;
  /** The event types it receives (default: every one). */
  readonly events: readonly WebhookEventType[];
  /** Only batches created by keys of these teams; null: every batch. */
  readonly teamIds: readonly string[] | null;
}

export interface WebhookDeliverySettings {
  /** Attempts before a webhook is given up (the first one included). */
  readonly maxAttempts: number;
  /** Wait after the first failure; doubled after each further one, up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** One attempt's deadline: connect, send and the receiver's answer. */
  readonly timeoutMs: number;
  /** How often the delivery loop looks for due webhooks when nothing wakes it. */
  readonly pollIntervalMs: number;
}

export interface WebhookSettings {
  readonly endpoints: readonly ConfiguredWebhook[];
  readonly delivery: WebhookDeliverySettings;
}

/**
 * Defaults close to what Standard Webhooks recommends: a short timeout, retries spread over about
 * a day (10 s, 20 s, 40 s, … capped at 6 h per wait, 16 attempts in all).
 */
export const DEFAULT_WEBHOOK_DELIVERY: WebhookDeliverySettings = {
  maxAttempts: 16,
  initialBackoffMs: 10_000,
  maxBackoffMs: 6 * 3_600_000,
  timeoutMs: 15_000,
  pollIntervalMs: 1_000,
};

export const NO_WEBHOOKS: WebhookSettings = { endpoints: [], delivery: DEFAULT_WEBHOOK_DELIVERY };

/** One receiver of one event: where it goes now, and how its outbox row names it. */
export interface WebhookRoute {
  readonly target: WebhookTarget;
  readonly url: string;
}

export interface ResolvedEndpoint {
  readonly url: string;
  readonly secret: string;
}

/** What the delivery loop needs: the current URL and secret of an endpoint, if it still exists. */
export interface WebhookEndpointResolver {
  resolve(target: WebhookTarget): Promise<ResolvedEndpoint | undefined>;
}

export class WebhookEndpoints implements WebhookEndpointResolver {
  constructor(
    private readonly configured: readonly ConfiguredWebhook[],
    private readonly keys: Pick<KeyRepository, 'get'>,
  ) {}

  /** Every endpoint that receives `type` for a batch of `owner`. */
  async routesFor(type: WebhookEventType, owner: Owner): Promise<WebhookRoute[]> {
    const routes: WebhookRoute[] = this.configured
      .filter((w) => w.events.includes(type))
      .filter((w) => w.teamIds === null || (owner.teamId !== null && w.teamIds.includes(owner.teamId)))
      .map((w) => ({ target: { kind: 'config', url: w.url }, url: w.url }));
    if (owner.keyHash !== null) {
      const key = await this.keys.get(owner.keyHash);
      const url = key?.webhookUrl ?? null;
      if (url !== null) routes.push({ target: { kind: 'key', keyHash: owner.keyHash }, url });
    }
    return routes;
  }

  async resolve(target: WebhookTarget): Promise<ResolvedEndpoint | undefined> {
    if (target.kind === 'config') {
      const found = this.configured.find((w) => w.url === target.url);
      return found && { url: found.url, secret: found.secret };
    }
    const key = await this.keys.get(target.keyHash);
    const url = key?.webhookUrl ?? null;
    const secret = key?.webhookSecret ?? null;
    return url === null || secret === null ? undefined : { url, secret };
  }
}
