/**
 * A virtual key's own webhook endpoint, as `/key/generate` and `/key/update` set it: `webhook_url`
 * (null removes it, and its secret) and an optional `webhook_secret`. Setting a URL on a key that
 * has no secret generates one, which the response carries once (`webhook_secret`); it is never
 * shown again. A tenant's endpoint receives the events of the key's own batches only.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { KeyRecord } from '../ports/store.js';
import { isUsableSecret, newWebhookSecret } from './webhook-signature.js';

export interface KeyWebhookSettings {
  readonly webhookUrl?: string | null | undefined;
  readonly webhookSecret?: string | null | undefined;
}

export interface KeyWebhookChange {
  /** The fields to write; absent when the request did not touch them. */
  readonly webhookUrl?: string | null;
  readonly webhookSecret?: string | null;
  /** A secret minted for this request, to be returned once. */
  readonly generatedSecret?: string;
}

/** What the settings change on `existing` (undefined for a new key). */
export function keyWebhookChange(settings: KeyWebhookSettings, existing: KeyRecord | undefined): KeyWebhookChange {
  const { webhookUrl, webhookSecret } = settings;
  if (typeof webhookSecret === 'string' && !isUsableSecret(webhookSecret)) {
    throw new GatewayError('invalid_request', 'webhook_secret starts with whsec_ but what follows is not base64.', { param: 'webhook_secret' });
  }
  if (webhookUrl === null) return { webhookUrl: null, webhookSecret: null };
  if (webhookUrl === undefined) {
    if (typeof webhookSecret !== 'string') return {};
    if ((existing?.webhookUrl ?? null) === null) {
      throw new GatewayError('invalid_request', 'webhook_secret needs a webhook_url: set one on this key first (or in the same request).', {
        param: 'webhook_secret',
      });
    }
    return { webhookSecret };
  }
  if (typeof webhookSecret === 'string') return { webhookUrl, webhookSecret };
  const kept = existing?.webhookSecret ?? null;
  if (kept !== null) return { webhookUrl };
  const generatedSecret = newWebhookSecret();
  return { webhookUrl, webhookSecret: generatedSecret, generatedSecret };
}
