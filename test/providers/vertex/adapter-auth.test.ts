/** The Vertex adapter's OAuth: one token for many calls, renewal before expiry, 401 retry, refusals. */
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { startVertexFakes, type VertexFakes } from '../../fakes/fake-vertex.js';
import { adapterOn, fakeClock, opts, rejection } from './support.js';

let fakes: VertexFakes | null = null;
afterEach(async () => {
  await fakes?.close();
  fakes = null;
});

describe('access tokens', () => {
  it('uses one token for many calls, fetched once by concurrent callers', async () => {
    fakes = await startVertexFakes();
    const adapter = adapterOn(fakes);
    await Promise.all(Array.from({ length: 8 }, () => adapter.probe(opts())));
    for (let i = 0; i < 5; i++) await adapter.probe(opts());
    expect(fakes.oauth.tokensIssued).toBe(1);
    expect(fakes.oauth.refusals).toEqual([]);
  });

  it('renews the token five minutes before it expires, by the injected clock', async () => {
    const clock = fakeClock();
    fakes = await startVertexFakes({ now: clock.now });
    const adapter = adapterOn(fakes, {}, { clock });
    await adapter.probe(opts());
    clock.advance(54 * 60_000);
    await adapter.probe(opts());
    expect(fakes.oauth.tokensIssued).toBe(1);
    clock.advance(2 * 60_000); // 56 minutes: inside the 5-minute margin of a 3599 s token
    await adapter.probe(opts());
    expect(fakes.oauth.tokensIssued).toBe(2);
    expect(fakes.oauth.refusals).toEqual([]);
  });

  it('drops a token Google refuses (401) and retries the call once with a new one', async () => {
    fakes = await startVertexFakes();
    const adapter = adapterOn(fakes);
    await adapter.probe(opts());
    fakes.oauth.expireAll();
    await adapter.probe(opts());
    expect(fakes.oauth.tokensIssued).toBe(2);
    // The same for GCS, whose answers are streamed.
    fakes.gcs.put(fakes.bucket, 'batchgate/file-a/in.jsonl', 'hello\n');
    fakes.oauth.expireAll();
    const content = await adapter.openFileContent(`gs://${fakes.bucket}/batchgate/file-a/in.jsonl`, opts());
    content.body.resume();
    expect(fakes.oauth.tokensIssued).toBe(3);
  });

  it('a 401 that persists is an UpstreamError, not a loop', async () => {
    fakes = await startVertexFakes();
    const adapter = adapterOn(fakes);
    fakes.vertex.failNext('list', { kind: 'status', status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } });
    fakes.vertex.failNext('list', { kind: 'status', status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } });
    const error = (await rejection(adapter.probe(opts()))) as UpstreamError;
    expect(error.status).toBe(401);
    expect(fakes.vertex.requests['list']).toBe(2);
    expect(error.toGatewayError().wireCode).toBe('upstream_authentication_failed');
  });

  it("the token endpoint's refusal is an authentication failure; its 5xx stays retryable", async () => {
    fakes = await startVertexFakes();
    const adapter = adapterOn(fakes);
    fakes.oauth.failNext({ kind: 'status', status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    const refused = (await rejection(adapter.probe(opts()))) as UpstreamError;
    expect([refused.status, refused.retryable]).toEqual([401, false]);
    expect(refused.message).toContain('Invalid JWT Signature');
    fakes.oauth.failNext({ kind: 'status', status: 503 });
    expect(((await rejection(adapter.probe(opts()))) as UpstreamError).retryable).toBe(true);
    await adapter.probe(opts());
  });

  it('a key the token endpoint does not know is refused by the fake, and the adapter says so', async () => {
    fakes = await startVertexFakes();
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const adapter = adapterOn(fakes, { vertex_credentials: fakes.oauth.credentials({ private_key: other }) });
    const error = (await rejection(adapter.probe(opts()))) as UpstreamError;
    expect(error.status).toBe(401);
    expect(fakes.oauth.refusals).toEqual(['Invalid JWT Signature.']);
  });

  it('never puts the token in a message', async () => {
    fakes = await startVertexFakes();
    const adapter = adapterOn(fakes);
    await adapter.probe(opts());
    const token = fakes.oauth.tokens[0] ?? '';
    const message = `Token ${token} lacks permission on projects/fake-project/locations/us-central1`;
    fakes.vertex.failNext('list', { kind: 'status', status: 403, body: { error: { code: 403, message, status: 'PERMISSION_DENIED' } } });
    const error = (await rejection(adapter.probe(opts()))) as UpstreamError;
    expect(error.upstreamMessage).toBe('Token [REDACTED] lacks permission on a Vertex AI resource');
    expect(error.message).not.toContain(token);
  });
});
