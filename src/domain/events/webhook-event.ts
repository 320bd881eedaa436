/**
 * The event a webhook carries, in OpenAI's shape (`batch.completed`, `batch.failed`,
 * `batch.expired`, `batch.cancelled`, with the batch id in `data`), and its deterministic id: the
 * same batch ending the same way, for the same endpoint, always maps to one id, so enqueueing it
 * twice (a retried worker step, a second worker) stores one outbox row.
 */
import { createHash } from 'node:crypto';
import type { FinishedBatchStatus } from '../ports/event-sink.js';
import type { WebhookTarget } from '../ports/store.js';
import type { WebhookEventType } from './webhook-endpoints.js';

export const webhookEventTypeOf = (status: FinishedBatchStatus): WebhookEventType => `batch.${status}`;

const targetRef = (target: WebhookTarget): string => (target.kind === 'config' ? `config:${target.url}` : `key:${target.keyHash}`);

/** `evt_` and 32 hex characters (as OpenAI's event ids look) of a hash of batch, event and endpoint. */
export function webhookIdFor(batchId: string, type: WebhookEventType, target: WebhookTarget): string {
  const digest = createHash('sha256').update(`${batchId}\n${type}\n${targetRef(target)}`, 'utf8').digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

/** The exact body sent (and signed) on every attempt. */
export function webhookBody(webhookId: string, type: WebhookEventType, createdAtSeconds: number, batchId: string): string {
  return JSON.stringify({ object: 'event', id: webhookId, type, created_at: createdAtSeconds, data: { id: batchId } });
}

/** A URL fit for logs and events: scheme, host, port and path; no credentials, query or fragment. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
