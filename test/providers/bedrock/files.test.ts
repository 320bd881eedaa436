/** Bedrock adapter, input files in S3: upload (single PUT, multipart, failures), read, delete, list. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { PART_SIZE } from '../../../src/providers/bedrock/upload.js';
import { startBedrockFakes, type BedrockFakes } from '../../fakes/fake-bedrock.js';
import { adapterOver, collect, encodedBody, expectClean, opts, readAll, rejectionOf } from './support.js';

let fakes: BedrockFakes;
beforeAll(async () => {
  fakes = await startBedrockFakes();
});
afterAll(async () => fakes.close());
beforeEach(() => {
  fakes.s3.objects.clear();
  fakes.s3.uploads.clear();
});

const upload = (body: Readable, label = 'file-abc123', filename = 'requests.jsonl') =>
  adapterOver(fakes).uploadFile({ filename, purpose: 'batch', body, bytes: null, expiresAfter: null, label }, opts());

/** A body of `bytes` bytes in 64 KiB lines, produced lazily. */
const bigBody = (bytes: number, failAfter: number | null = null): Readable =>
  Readable.from(
    (function* () {
      const line = Buffer.from(`${'x'.repeat(64 * 1024 - 1)}\n`);
      for (let sent = 0; sent < bytes; sent += line.length) {
        if (failAfter !== null && sent >= failAfter) throw new GatewayError('invalid_request', 'Line 200: refused by the encoder');
        yield line.subarray(0, Math.min(line.length, bytes - sent));
      }
    })(),
  );

describe('uploadFile', () => {
  it('sends a small body as one PutObject under <prefix>batchgate/<label>/<name>.jsonl', async () => {
    const adapter = adapterOver(fakes);
    const file = await adapter.uploadFile(
      { filename: 'my requests.txt', purpose: 'batch', body: encodedBody(adapter, 3), bytes: null, expiresAfter: null, label: 'file-abc123' },
      opts(),
    );
    expect(file.ref).toBe('s3://batch-bucket/batchgate/file-abc123/my_requests.txt.jsonl');
    expect(file.label).toBe('file-abc123');
    expect(file.filename).toBe('my_requests.txt.jsonl');
    expect(file.status).toBe('processed');
    const stored = fakes.s3.objects.get('batchgate/file-abc123/my_requests.txt.jsonl')!.data.toString('utf8').trim().split('\n');
    expect(file.bytes).toBe(fakes.s3.objects.get('batchgate/file-abc123/my_requests.txt.jsonl')!.data.length);
    expect(stored.map((l) => (JSON.parse(l) as { recordId: string }).recordId)).toEqual(['L0000000001', 'L0000000002', 'L0000000003']);
    expect(fakes.s3.stats().requests['PutObject']).toBe(1);
    expect(fakes.s3.stats().signatureFailures).toBe(0);
  });

  it('honours a bucket/prefix value', async () => {
    const adapter = adapterOver(fakes, { s3_bucket_name: 'batch-bucket/teams/a' });
    const file = await adapter.uploadFile(
      { filename: 'r.jsonl', purpose: 'batch', body: encodedBody(adapter, 1), bytes: null, expiresAfter: null, label: 'file-x1' },
      opts(),
    );
    expect(file.ref).toBe('s3://batch-bucket/teams/a/batchgate/file-x1/r.jsonl');
    expect((await adapter.retrieveFile(file.ref, opts())).label).toBe('file-x1');
  });

  it('uses a multipart upload above one part, holding one part at a time', async () => {
    const size = PART_SIZE + 3 * 1024 * 1024;
    const before = fakes.s3.stats();
    const file = await upload(bigBody(size));
    const after = fakes.s3.stats();
    expect(file.bytes).toBe(size);
    expect(fakes.s3.objects.get('batchgate/file-abc123/requests.jsonl')!.data.length).toBe(size);
    expect((after.requests['UploadPart'] ?? 0) - (before.requests['UploadPart'] ?? 0)).toBe(2);
    expect(after.multipartCompleted - before.multipartCompleted).toBe(1);
    expect(after.maxBodyBytes).toBeLessThanOrEqual(PART_SIZE);
  });

  it('aborts the multipart upload and leaves no object when a part fails mid-way', async () => {
    const before = fakes.s3.stats();
    fakes.s3.failNext('UploadPart', { kind: 'status', status: 500, code: 'InternalError' }, { skip: 1 });
    const err = await rejectionOf(upload(bigBody(PART_SIZE + 1024 * 1024)));
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(500);
    expect((err as UpstreamError).retryable).toBe(true);
    expectClean((err as UpstreamError).message);
    expect(fakes.s3.objects.size).toBe(0);
    expect(fakes.s3.uploads.size).toBe(0);
    expect(fakes.s3.stats().multipartAborted - before.multipartAborted).toBe(1);
  });

  it('aborts and rethrows the body’s own error (a line the encoder refused) untouched', async () => {
    const before = fakes.s3.stats();
    const err = await rejectionOf(upload(bigBody(3 * PART_SIZE, PART_SIZE + 1024 * 1024)));
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toContain('Line 200');
    expect(fakes.s3.objects.size).toBe(0);
    expect(fakes.s3.uploads.size).toBe(0);
    expect(fakes.s3.stats().multipartAborted - before.multipartAborted).toBe(1);
  });

  it('a refused PutObject is an UpstreamError naming no bucket or key', async () => {
    fakes.s3.failNext('PutObject', { kind: 'status', status: 403, code: 'AccessDenied' });
    const err = (await rejectionOf(upload(bigBody(100)))) as UpstreamError;
    expect(err.status).toBe(403);
    expect(err.upstreamCode).toBe('AccessDenied');
    expect(err.retryable).toBe(false);
    expectClean(err.message);
  });
});

describe('retrieveFile, openFileContent, deleteFile, listFilesSince', () => {
  it('reads back size, label and content, and deletes (a missing object is not found, never a 500)', async () => {
    const adapter = adapterOver(fakes);
    const file = await upload(bigBody(1000));
    const got = await adapter.retrieveFile(file.ref, opts());
    expect(got).toMatchObject({ ref: file.ref, bytes: 1000, label: 'file-abc123', filename: 'requests.jsonl', purpose: 'batch' });
    expect(got.createdAt).toBeTypeOf('number');
    const content = await adapter.openFileContent(file.ref, opts());
    expect(content.bytes).toBe(1000);
    expect((await readAll(content.body)).length).toBe(1000);

    await adapter.deleteFile(file.ref, opts());
    expect(fakes.s3.objects.size).toBe(0);
    for (const call of [adapter.retrieveFile(file.ref, opts()), adapter.deleteFile(file.ref, opts()), adapter.openFileContent(file.ref, opts())]) {
      const err = (await rejectionOf(call)) as UpstreamError;
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.isNotFound).toBe(true);
      expect(err.toGatewayError().status).toBe(404);
      expectClean(err.message);
    }
  });

  it('a key that is only a prefix of another is not found', async () => {
    const adapter = adapterOver(fakes);
    await upload(bigBody(10), 'file-abc123', 'requests.jsonl');
    const err = (await rejectionOf(adapter.retrieveFile('s3://batch-bucket/batchgate/file-abc123/req', opts()))) as UpstreamError;
    expect(err.isNotFound).toBe(true);
  });

  it('lists the files under batchgate/ newest first, with their labels', async () => {
    const adapter = adapterOver(fakes);
    await upload(bigBody(10), 'file-one');
    await upload(bigBody(10), 'file-two');
    fakes.s3.objects.set('elsewhere/x.jsonl', { data: Buffer.from('x'), etag: '"x"', contentType: 'x' });
    const files = await collect(adapter.listFilesSince(0, opts()));
    expect(files.map((f) => f.label).sort()).toEqual(['file-one', 'file-two']);
    // The fake stamps every object 2026-01-01: a later `since` finds none.
    expect(await collect(adapter.listFilesSince(Date.parse('2026-06-01') / 1000, opts()))).toEqual([]);
  });
});
