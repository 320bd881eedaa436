/**
 * The webhook signer against the Standard Webhooks test vector, against an independent
 * implementation of the spec written here over WebCrypto (not node:crypto's createHmac, which the
 * signer uses), and against the official OpenAI SDK's `webhooks.unwrap`, the check OpenAI's users
 * already run on OpenAI's own webhooks.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import {
  newWebhookSecret,
  secretKey,
  signature,
  signedHeaders,
  verifySignature,
} from '../../src/domain/events/webhook-signature.js';
import { webhookBody, webhookIdFor } from '../../src/domain/events/webhook-event.js';

/** The spec's own vector (standard-webhooks/standard-webhooks, libraries' "sign function works" tests). */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

/**
 * The spec, read independently: key = base64 decode of what follows `whsec_` (else the text's
 * UTF-8 bytes, as OpenAI's SDK reads it); content = `${id}.${timestamp}.${body}`; signature = `v1,`
 * + base64(HMAC-SHA256(key, content)).
 */
async function specSignature(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const keyBytes = secret.startsWith('whsec_') ? Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0)) : new TextEncoder().encode(secret);
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}

const openai = new OpenAI({ apiKey: 'sk-unused' });
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('webhook signatures (Standard Webhooks, as OpenAI signs)', () => {
  it('matches the spec’s test vector', () => {
    expect(signature(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('the independent implementation matches the vector too (so it checks what it should)', async () => {
    expect(await specSignature(VECTOR.secret, VECTOR.id, String(VECTOR.timestamp), VECTOR.body)).toBe(VECTOR.signature);
  });

  it('agrees with the independent implementation on generated secrets, unicode bodies and raw secrets', async () => {
    const bodies = [
      webhookBody('evt_0123', 'batch.completed', 1_760_000_000, 'batch_abc'),
      '{"emoji":"🦀","quote":"\\"","nl":"a\\nb","ü":"ünïcödé"}',
      '',
    ];
    const secrets = [newWebhookSecret(), newWebhookSecret(), 'a plain text secret', 'whsec_' + Buffer.from('x'.repeat(24)).toString('base64')];
    for (const secret of secrets) {
      for (const body of bodies) {
        const ts = 1_700_000_000 + body.length;
        expect(signature(secret, 'evt_1', ts, body)).toBe(await specSignature(secret, 'evt_1', String(ts), body));
      }
    }
  });

  it('is accepted by the official OpenAI SDK’s webhooks.unwrap', async () => {
    const secret = newWebhookSecret();
    const id = webhookIdFor('batch_123', 'batch.completed', { kind: 'config', url: 'https://hooks.example/a' });
    const body = webhookBody(id, 'batch.completed', nowSeconds(), 'batch_123');
    const headers = signedHeaders(secret, id, nowSeconds(), body);
    const event = await openai.webhooks.unwrap(body, headers, secret);
    expect(event).toMatchObject({ object: 'event', id, type: 'batch.completed', data: { id: 'batch_123' } });
    // One changed byte, or another secret, and the SDK refuses it.
    await expect(openai.webhooks.unwrap(body.replace('batch_123', 'batch_124'), headers, secret)).rejects.toThrow();
    await expect(openai.webhooks.unwrap(body, headers, newWebhookSecret())).rejects.toThrow();
  });

  it('sends the three headers of the spec, the timestamp in seconds', () => {
    const headers = signedHeaders(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body);
    expect(headers).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': VECTOR.signature,
    });
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const secrets = Array.from({ length: 20 }, newWebhookSecret);
    expect(new Set(secrets).size).toBe(20);
    for (const s of secrets) {
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(secretKey(s)?.length).toBe(32);
    }
  });

  it('refuses to sign with a whsec_ secret that is not base64', () => {
    expect(secretKey('whsec_not base64!')).toBeUndefined();
    expect(secretKey('whsec_')).toBeUndefined();
    expect(secretKey('')).toBeUndefined();
    expect(() => signature('whsec_%%%', 'evt', 1, '{}')).toThrow(/not usable/);
  });

  describe('the receiver-side check', () => {
    const secret = newWebhookSecret();
    const body = '{"object":"event"}';

    it('accepts a fresh, correct signature, also among others in the header', () => {
      const headers = signedHeaders(secret, 'evt_a', nowSeconds(), body);
      expect(verifySignature({ secret, headers, body, nowSeconds: nowSeconds() })).toBe(true);
      const several = { ...headers, 'webhook-signature': `v1,AAAA v1a,xyz ${headers['webhook-signature']}` };
      expect(verifySignature({ secret, headers: several, body, nowSeconds: nowSeconds() })).toBe(true);
    });

    it('refuses a wrong body, id, secret or a stale timestamp', () => {
      const ts = nowSeconds();
      const headers = signedHeaders(secret, 'evt_a', ts, body);
      expect(verifySignature({ secret, headers, body: `${body} `, nowSeconds: ts })).toBe(false);
      expect(verifySignature({ secret, headers: { ...headers, 'webhook-id': 'evt_b' }, body, nowSeconds: ts })).toBe(false);
      expect(verifySignature({ secret: newWebhookSecret(), headers, body, nowSeconds: ts })).toBe(false);
      expect(verifySignature({ secret, headers, body, nowSeconds: ts + 301 })).toBe(false);
      expect(verifySignature({ secret, headers: { ...headers, 'webhook-timestamp': 'soon' }, body, nowSeconds: ts })).toBe(false);
      expect(verifySignature({ secret, headers: { 'webhook-id': 'evt_a' }, body, nowSeconds: ts })).toBe(false);
    });
  });
});

describe('webhook ids and bodies', () => {
  const config = { kind: 'config', url: 'https://hooks.example/a' } as const;
  const key = { kind: 'key', keyHash: 'f'.repeat(64) } as const;

  it('derives one id per batch, event and endpoint, in OpenAI’s evt_ shape', () => {
    const id = webhookIdFor('batch_1', 'batch.completed', config);
    expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(webhookIdFor('batch_1', 'batch.completed', config)).toBe(id);
    const others = [
      webhookIdFor('batch_2', 'batch.completed', config),
      webhookIdFor('batch_1', 'batch.failed', config),
      webhookIdFor('batch_1', 'batch.completed', key),
      webhookIdFor('batch_1', 'batch.completed', { kind: 'config', url: 'https://hooks.example/b' }),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('writes the OpenAI event object, keys in OpenAI’s order', () => {
    expect(webhookBody('evt_x', 'batch.expired', 1_760_000_123, 'batch_9')).toBe(
      '{"object":"event","id":"evt_x","type":"batch.expired","created_at":1760000123,"data":{"id":"batch_9"}}',
    );
  });
});
