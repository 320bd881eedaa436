/**
 * What only the S3 implementation has: SigV4 (AWS's published example), multipart and its clean-up
 * when the upstream fails, credentials the fake refuses, session tokens.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore, S3RequestError, type S3BlobStoreOptions } from '../../src/store/blobs/s3/s3-blob-store.js';
import { EMPTY_SHA256, signRequest } from '../../src/store/blobs/s3/sigv4.js';
import { FakeS3 } from '../fakes/fake-s3.js';

const MiB = 1024 * 1024;
const signal = (): AbortSignal => new AbortController().signal;

async function* zeros(bytes: number, chunk = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < bytes; sent += chunk) yield new Uint8Array(Math.min(chunk, bytes - sent)).fill(sent % 251);
}

describe('SigV4', () => {
  it('matches the GET Object example of the S3 SigV4 documentation', () => {
    const signed = signRequest({
      method: 'GET',
      path: '/test.txt',
      query: [],
      headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' },
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      now: new Date('2013-05-24T00:00:00Z'),
    });
    expect(signed.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });
});

describe('S3BlobStore against the fake', () => {
  let fake: FakeS3;
  const make = (over: Partial<S3BlobStoreOptions> = {}): S3BlobStore =>
    new S3BlobStore({
      endpoint: fake.endpoint,
      region: fake.region,
      bucket: fake.bucket,
      prefix: 'tenant-a',
      credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey },
      ...over,
    });
  beforeAll(async () => {
    fake = await new FakeS3({ pageSize: 3 }).start();
  });
  afterAll(async () => fake.close());

  it('uses PutObject below the part size and multipart (bounded parts) above it, under the prefix', async () => {
    const store = make();
    const before = fake.stats();
    await store.put('small', Readable.from([Buffer.from('abc')]), { signal: signal(), contentType: 'text/plain' });
    expect(fake.objects.get('tenant-a/small')?.contentType).toBe('text/plain');
    await store.put('large', zeros(17 * MiB), { signal: signal() });
    const after = fake.stats();
    expect((after.requests['PutObject'] ?? 0) - (before.requests['PutObject'] ?? 0)).toBe(1);
    expect((after.requests['UploadPart'] ?? 0) - (before.requests['UploadPart'] ?? 0)).toBe(3);
    expect(after.multipartCompleted - before.multipartCompleted).toBe(1);
    expect(after.maxBodyBytes).toBeLessThanOrEqual(8 * MiB);
    const hash = createHash('sha256');
    for await (const c of zeros(17 * MiB)) hash.update(c);
    expect(createHash('sha256').update(fake.objects.get('tenant-a/large')!.data).digest('hex')).toBe(hash.digest('hex'));
    expect(fake.stats().signatureFailures).toBe(0);
  });

  it('splits chunks that straddle parts, and one chunk larger than several parts', async () => {
    const store = make();
    for (const [name, body] of [
      ['odd-chunks', Buffer.from(Array.from({ length: 17 * MiB + 5 }, (_, i) => (i * 31) % 256))],
      ['one-chunk', Buffer.alloc(19 * MiB, 7)],
    ] as const) {
      const chunks = name === 'one-chunk' ? [body] : Array.from({ length: Math.ceil(body.length / 100_003) }, (_, i) => body.subarray(i * 100_003, (i + 1) * 100_003));
      expect(await store.put(name, Readable.from(chunks), { signal: signal() })).toEqual({ bytes: body.length });
      expect(fake.objects.get(`tenant-a/${name}`)!.data.equals(body)).toBe(true);
    }
  });

  it('an UploadPart answered 500 fails the put, aborts the upload upstream and leaves no object', async () => {
    const store = make();
    const aborted = fake.stats().multipartAborted;
    fake.failNext('UploadPart', { kind: 'status', status: 500 });
    await expect(store.put('p500', zeros(12 * MiB), { signal: signal() })).rejects.toBeInstanceOf(S3RequestError);
    expect(fake.objects.has('tenant-a/p500')).toBe(false);
    expect(fake.uploads.size).toBe(0);
    expect(fake.stats().multipartAborted).toBe(aborted + 1);
  });

  it('a connection reset during the second part does the same', async () => {
    const store = make();
    const aborted = fake.stats().multipartAborted;
    await store.put('reset', Readable.from([Buffer.from('previous')]), { signal: signal() });
    fake.failNext('UploadPart', { kind: 'reset' }, { skip: 1 });
    await expect(store.put('reset', zeros(20 * MiB), { signal: signal() })).rejects.toThrow();
    expect(fake.objects.get('tenant-a/reset')?.data.toString()).toBe('previous');
    expect(fake.uploads.size).toBe(0);
    expect(fake.stats().multipartAborted).toBe(aborted + 1);
  });

  it('refuses a wrong secret with SignatureDoesNotMatch, and writes nothing', async () => {
    const store = make({ credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: 'not-the-secret' } });
    const failures = fake.stats().signatureFailures;
    const err = await store.put('nope', Readable.from([Buffer.from('x')]), { signal: signal() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).status).toBe(403);
    expect((err as S3RequestError).s3Code).toBe('SignatureDoesNotMatch');
    expect(fake.objects.has('tenant-a/nope')).toBe(false);
    expect(fake.stats().signatureFailures).toBe(failures + 1);
  });

  it('signs and sends a session token when one is configured', async () => {
    const tokenFake = await new FakeS3({ sessionToken: 'session-123' }).start();
    try {
      const base = {
        endpoint: tokenFake.endpoint,
        region: tokenFake.region,
        bucket: tokenFake.bucket,
      };
      const withToken = new S3BlobStore({
        ...base,
        credentials: { accessKeyId: tokenFake.accessKeyId, secretAccessKey: tokenFake.secretAccessKey, sessionToken: 'session-123' },
      });
      await withToken.put('t', Readable.from([Buffer.from('tok')]), { signal: signal() });
      expect(await withToken.stat('t')).toEqual({ bytes: 3 });
      const without = new S3BlobStore({
        ...base,
        credentials: { accessKeyId: tokenFake.accessKeyId, secretAccessKey: tokenFake.secretAccessKey },
      });
      await expect(without.stat('t')).rejects.toBeInstanceOf(S3RequestError);
    } finally {
      await tokenFake.close();
    }
  });

  it('rejects part sizes below S3’s 5 MiB minimum', () => {
    expect(() => make({ partSize: 1024 })).toThrow(/partSize/);
  });
});
