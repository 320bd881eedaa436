/**
 * Webhook signatures, the way OpenAI signs its webhooks: the Standard Webhooks scheme
 * (https://www.standardwebhooks.com, spec v1.0.0). The signed content is `{id}.{timestamp}.{body}`,
 * the signature is `v1,` and the base64 of its HMAC-SHA256, and the key is the base64-decoded part
 * of a `whsec_…` secret. A secret without that prefix is used as its UTF-8 bytes, as the official
 * OpenAI SDKs' `webhooks.unwrap` reads it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** The spec asks for at least 24 random bytes; ours have 32. */
const GENERATED_SECRET_BYTES = 32;

/** A type, not an interface, so it reads as a plain header record. */
export type SignedHeaders = {
  readonly 'webhook-id': string;
  /** Unix seconds of this attempt (not of the event). */
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** A fresh secret in the spec's serialisation: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = (): string => SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key a secret stands for; undefined when a `whsec_` secret is not valid base64. */
export function secretKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return secret === '' ? undefined : Buffer.from(secret, 'utf8');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length === 0 ? undefined : key;
}

/** Whether a secret can sign (a `whsec_` one must carry base64). */
export const isUsableSecret = (secret: string): boolean => secretKey(secret) !== undefined;

function usableKey(secret: string): Buffer {
  const key = secretKey(secret);
  if (key === undefined) throw new Error('webhook secret is not usable: a whsec_ secret must be base64 after its prefix');
  return key;
}

const mac = (key: Buffer, webhookId: string, timestamp: string, body: string): Buffer =>
  createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`, 'utf8').digest();

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. */
export function signature(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  return `v1,${mac(usableKey(secret), webhookId, String(timestampSeconds), body).toString('base64')}`;
}

/** The three headers of one delivery attempt. */
export function signedHeaders(secret: string, webhookId: string, timestampSeconds: number, body: string): SignedHeaders {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signature(secret, webhookId, timestampSeconds, body),
  };
}

/**
 * A receiver's check (used by our tests and shown in the README): any `v1,` signature of the
 * space-separated header may match, compared in constant time; the timestamp must be within
 * `toleranceSeconds` of `nowSeconds` (replay protection).
 */
export function verifySignature(input: {
  readonly secret: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}): boolean {
  const id = input.headers['webhook-id'];
  const timestamp = input.headers['webhook-timestamp'];
  const signatures = input.headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(input.nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const key = secretKey(input.secret);
  if (key === undefined) return false;
  const expected = mac(key, id, timestamp, input.body);
  return signatures.split(' ').some((candidate) => {
    if (!candidate.startsWith('v1,')) return false;
    const given = Buffer.from(candidate.slice(3), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
