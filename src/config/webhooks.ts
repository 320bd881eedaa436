/**
 * `general_settings.webhooks` (the endpoints) and `general_settings.webhook_settings` (retries):
 *
 * ```yaml
 * general_settings:
 *   webhooks:
 *     - url: https://hooks.example.com/batchgate
 *       secret: os.environ/BATCHGATE_WEBHOOK_SECRET     # whsec_… (Standard Webhooks), or any text
 *       events: [batch.completed, batch.failed]          # default: every batch.* event
 *       team_ids: [team-research]                        # default: batches of every team and key
 *   webhook_settings:
 *     max_attempts: 16
 *     initial_backoff_seconds: 10
 *     max_backoff_seconds: 21600
 *     timeout_seconds: 15
 *     poll_interval_seconds: 1
 * ```
 *
 * Values arrive with their `os.environ/` references already resolved. Messages name the path,
 * never a value (secrets come through here).
 */
import { z } from 'zod';
import {
  DEFAULT_WEBHOOK_DELIVERY,
  WEBHOOK_EVENT_TYPES,
  type ConfiguredWebhook,
  type WebhookDeliverySettings,
  type WebhookEventType,
  type WebhookSettings,
} from '../domain/events/webhook-endpoints.js';
import { isUsableSecret } from '../domain/events/webhook-signature.js';
import { indexPath, isMapping, keyPath, type Diagnostics } from './diagnostics.js';
import { httpUrl, nonEmptyString, positiveInteger, positiveNumber, readField, requireField, type Field } from './fields.js';

/** Reads a setting as it is (after `os.environ/` resolution), for this module to check. */
export const rawSetting: Field<unknown> = { schema: z.unknown(), expected: 'set' };

const ENTRY_KEYS = ['url', 'secret', 'events', 'team_ids'] as const;
const SETTINGS_KEYS = [
  'max_attempts',
  'initial_backoff_seconds',
  'max_backoff_seconds',
  'timeout_seconds',
  'poll_interval_seconds',
] as const;

const MAX_ATTEMPTS_LIMIT = 1_000;

const eventTypes: Field<WebhookEventType[]> = {
  schema: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1),
  expected: `a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
};

/** LiteLLM-style ids may be written as numbers; they are names, so strings. */
const teamIds: Field<string[]> = {
  schema: z.array(z.union([z.string().trim().min(1), z.number().int()]).transform(String)).min(1),
  expected: 'a non-empty list of team ids',
};

const attemptLimit: Field<number> = {
  schema: positiveInteger.schema.refine((n) => n <= MAX_ATTEMPTS_LIMIT),
  expected: `an integer between 1 and ${MAX_ATTEMPTS_LIMIT}`,
};

function warnUnknownKeys(value: Record<string, unknown>, path: string, known: readonly string[], diag: Diagnostics): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) diag.warn(`${keyPath(path, key)} is not a webhook setting (known: ${known.join(', ')}); it is ignored`);
  }
}

function readEntry(value: unknown, path: string, diag: Diagnostics): ConfiguredWebhook | undefined {
  if (!isMapping(value)) {
    diag.problem(`${path} must be a mapping with url and secret`);
    return undefined;
  }
  warnUnknownKeys(value, path, ENTRY_KEYS, diag);
  const url = requireField(value.url, keyPath(path, 'url'), httpUrl, diag);
  const secret = requireField(value.secret, keyPath(path, 'secret'), nonEmptyString, diag);
  if (secret !== undefined && !isUsableSecret(secret)) {
    diag.problem(`${keyPath(path, 'secret')} starts with whsec_ but what follows is not base64`);
  }
  const events = readField(value.events, keyPath(path, 'events'), eventTypes, diag);
  const teams = readField(value.team_ids, keyPath(path, 'team_ids'), teamIds, diag);
  if (url === undefined || secret === undefined || !isUsableSecret(secret)) return undefined;
  return { url, secret, events: events ?? [...WEBHOOK_EVENT_TYPES], teamIds: teams ?? null };
}

function readEndpoints(raw: unknown, diag: Diagnostics): ConfiguredWebhook[] {
  const path = 'general_settings.webhooks';
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    diag.problem(`${path} must be a list of endpoints ({url, secret, events?, team_ids?})`);
    return [];
  }
  const endpoints: ConfiguredWebhook[] = [];
  const positions: number[] = [];
  raw.forEach((value, i) => {
    const entry = readEntry(value, indexPath(path, i), diag);
    if (entry === undefined) return;
    // Outbox rows name a configured endpoint by its URL, so one URL is one endpoint.
    const first = endpoints.findIndex((e) => e.url === entry.url);
    if (first >= 0) {
      diag.problem(`${keyPath(indexPath(path, i), 'url')} is already the url of ${indexPath(path, positions[first] ?? first)}`);
      return;
    }
    endpoints.push(entry);
    positions.push(i);
  });
  return endpoints;
}

function readDelivery(raw: unknown, diag: Diagnostics): WebhookDeliverySettings {
  const path = 'general_settings.webhook_settings';
  if (raw === undefined) return DEFAULT_WEBHOOK_DELIVERY;
  if (!isMapping(raw)) {
    diag.problem(`${path} must be a mapping (${SETTINGS_KEYS.join(', ')})`);
    return DEFAULT_WEBHOOK_DELIVERY;
  }
  warnUnknownKeys(raw, path, SETTINGS_KEYS, diag);
  const seconds = (key: (typeof SETTINGS_KEYS)[number], fallbackMs: number): number => {
    const value = readField(raw[key], keyPath(path, key), positiveNumber, diag);
    return value === undefined ? fallbackMs : Math.max(1, Math.round(value * 1000));
  };
  const delivery: WebhookDeliverySettings = {
    maxAttempts: readField(raw.max_attempts, keyPath(path, 'max_attempts'), attemptLimit, diag) ?? DEFAULT_WEBHOOK_DELIVERY.maxAttempts,
    initialBackoffMs: seconds('initial_backoff_seconds', DEFAULT_WEBHOOK_DELIVERY.initialBackoffMs),
    maxBackoffMs: seconds('max_backoff_seconds', DEFAULT_WEBHOOK_DELIVERY.maxBackoffMs),
    timeoutMs: seconds('timeout_seconds', DEFAULT_WEBHOOK_DELIVERY.timeoutMs),
    pollIntervalMs: seconds('poll_interval_seconds', DEFAULT_WEBHOOK_DELIVERY.pollIntervalMs),
  };
  if (delivery.maxBackoffMs < delivery.initialBackoffMs) {
    diag.problem(`${keyPath(path, 'max_backoff_seconds')} must be at least initial_backoff_seconds`);
  }
  return delivery;
}

/** Both settings, read from their (env-resolved) raw values; absent means none / the defaults. */
export function readWebhookSettings(webhooks: unknown, webhookSettings: unknown, diag: Diagnostics): WebhookSettings {
  return { endpoints: readEndpoints(webhooks, diag), delivery: readDelivery(webhookSettings, diag) };
}
