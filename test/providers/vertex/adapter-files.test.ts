/** The Vertex adapter's GCS staging against the fakes: uploads (simple and resumable), reads, deletes, lists. */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { startVertexFakes, type VertexFakes } from '../../fakes/fake-vertex.js';
import { adapterOn, collect, encodedFile, opts, rejection, upload } from './support.js';

const UNIT = 256 * 1024;
let fakes: VertexFakes;

beforeEach(async () => {
  // Small list pages, so every list crosses pages.
  fakes = await startVertexFakes({ pageSize: 2 });
});
afterEach(async () => {
  await fakes.close();
});

describe('uploadFile', () => {
  it('puts a small body in one request under batchgate/<label>/<filename> and reads the label back', async () => {
    const adapter = adapterOn(fakes);
    const content = encodedFile(adapter, 3);
    const file = await upload(adapter, content, 'file-AbCdEfGhIjKlMnOpQrStUvWx', 'my input.jsonl');
    expect(file.ref).toBe(`gs://${fakes.bucket}/batchgate/file-AbCdEfGhIjKlMnOpQrStUvWx/my input.jsonl`);
    expect(file).toMatchObject({ bytes: Buffer.byteLength(content), label: 'file-AbCdEfGhIjKlMnOpQrStUvWx', filename: 'my input.jsonl', status: 'processed', purpose: 'batch' });
    expect(fakes.gcs.requests['simple-upload']).toBe(1);
    expect(fakes.gcs.requests['resumable-start']).toBeUndefined();
    expect(fakes.gcs.get(fakes.bucket, 'batchgate/file-AbCdEfGhIjKlMnOpQrStUvWx/my input.jsonl')?.data.toString()).toBe(content);
  });

  it('honours a bucket/prefix value', async () => {
    const adapter = adapterOn(fakes, { gcs_bucket_name: `${fakes.bucket}/team-a/jobs/` });
    const file = await upload(adapter, 'x\n');
    expect(file.ref).toBe(`gs://${fakes.bucket}/team-a/jobs/batchgate/file-AbCdEfGhIjKlMnOpQrStUvWx/input.jsonl`);
    expect((await collect(adapter.listFilesSince(0, opts()))).map((f) => f.ref)).toEqual([file.ref]);
  });

  it('streams a large body in chunks of the chunk size, the last one with the total', async () => {
    const adapter = adapterOn(fakes, {}, {}, { chunkBytes: UNIT });
    const content = Buffer.alloc(UNIT * 3 + 1000, 'a');
    // Fed in odd-sized pieces, as a transform would.
    const pieces = Array.from({ length: Math.ceil(content.length / 70_001) }, (_, i) => content.subarray(i * 70_001, (i + 1) * 70_001));
    const file = await adapter.uploadFile(
      { filename: 'big.jsonl', purpose: 'batch', body: Readable.from(pieces), bytes: null, expiresAfter: null, label: 'file-big' },
      opts(),
    );
    expect(file.bytes).toBe(content.length);
    expect(fakes.gcs.chunkRanges).toEqual([
      `bytes 0-${UNIT - 1}/*`,
      `bytes ${UNIT}-${2 * UNIT - 1}/*`,
      `bytes ${2 * UNIT}-${3 * UNIT - 1}/*`,
      `bytes ${3 * UNIT}-${content.length - 1}/${content.length}`,
    ]);
    expect(fakes.gcs.maxBodyBytes).toBeLessThanOrEqual(UNIT);
    expect(fakes.gcs.get(fakes.bucket, 'batchgate/file-big/big.jsonl')?.data.equals(content)).toBe(true);
  });

  it('finishes with an empty final chunk when the size is an exact multiple of the chunk', async () => {
    const adapter = adapterOn(fakes, {}, {}, { chunkBytes: UNIT });
    const content = Buffer.alloc(UNIT * 2, 'b');
    const file = await upload(adapter, content);
    expect(file.bytes).toBe(UNIT * 2);
    expect(fakes.gcs.chunkRanges.at(-1)).toBe(`bytes ${UNIT}-${2 * UNIT - 1}/${2 * UNIT}`);
  });

  it('resumes a chunk that failed mid-way from what GCS persisted', async () => {
    const adapter = adapterOn(fakes, {}, {}, { chunkBytes: 2 * UNIT });
    const content = Buffer.from(Array.from({ length: 5 * UNIT + 17 }, (_, i) => i % 251));
    // The second chunk keeps only its first 256 KiB, then the request fails; the third fails outright.
    fakes.gcs.failNext('chunk', { kind: 'partial', status: 503 }, { skip: 1 });
    fakes.gcs.failNext('chunk', { kind: 'status', status: 500 }, { skip: 3 });
    const file = await upload(adapter, content);
    expect(file.bytes).toBe(content.length);
    expect(fakes.gcs.get(fakes.bucket, 'batchgate/file-AbCdEfGhIjKlMnOpQrStUvWx/input.jsonl')?.data.equals(content)).toBe(true);
    expect(fakes.gcs.chunkRanges).toContain('bytes */*');
    expect(fakes.gcs.chunkRanges).toContain(`bytes ${3 * UNIT}-${4 * UNIT - 1}/*`);
  });

  it('gives up on a chunk that keeps failing, with a retryable error', async () => {
    const adapter = adapterOn(fakes, {}, {}, { chunkBytes: UNIT });
    for (let i = 0; i < 10; i++) fakes.gcs.failNext('chunk', { kind: 'status', status: 503 });
    const error = await rejection(upload(adapter, Buffer.alloc(UNIT * 2 + 5)));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).retryable).toBe(true);
  });

  it('passes an error raised by the body through untouched', async () => {
    const adapter = adapterOn(fakes, {}, {}, { chunkBytes: UNIT });
    const boom = new Error('line 3 is invalid');
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(UNIT + 10);
      throw boom;
    }
    const error = await rejection(
      adapter.uploadFile({ filename: 'f', purpose: 'batch', body: Readable.from(body()), bytes: null, expiresAfter: null, label: 'file-x' }, opts()),
    );
    expect(error).toBe(boom);
    expect(fakes.gcs.cancelledUploads).toBe(1);
  });
});

describe('retrieve, content, delete, list', () => {
  it('retrieves metadata and streams the content', async () => {
    const adapter = adapterOn(fakes);
    const file = await upload(adapter, 'line one\nline two\n');
    expect(await adapter.retrieveFile(file.ref, opts())).toMatchObject({ ref: file.ref, bytes: 18, label: 'file-AbCdEfGhIjKlMnOpQrStUvWx' });
    const content = await adapter.openFileContent(file.ref, opts());
    expect(content.bytes).toBe(18);
    expect(Buffer.concat(await collect(content.body as AsyncIterable<Buffer>)).toString()).toBe('line one\nline two\n');
  });

  it('deletes, and a second delete is a not-found UpstreamError whose message names no bucket', async () => {
    const adapter = adapterOn(fakes);
    const file = await upload(adapter, 'x\n');
    await adapter.deleteFile(file.ref, opts());
    expect(fakes.gcs.objects.size).toBe(0);
    const error = await rejection(adapter.deleteFile(file.ref, opts()));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).isNotFound).toBe(true);
    expect((error as UpstreamError).message).not.toContain(fakes.bucket);
    expect((error as UpstreamError).message).not.toContain('gs://');
    expect((error as UpstreamError).message).toContain('the input object');
  });

  it('refuses refs that are not ours', async () => {
    const adapter = adapterOn(fakes);
    await expect(adapter.retrieveFile('gs://other-bucket/batchgate/x/y', opts())).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(adapter.retrieveFile(`gs://${fakes.bucket}/elsewhere/y`, opts())).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('lists our objects since a time across pages, newest first, skipping batch outputs', async () => {
    const adapter = adapterOn(fakes);
    fakes.gcs.put(fakes.bucket, 'batchgate/file-old/a.jsonl', 'x');
    const old = fakes.gcs.get(fakes.bucket, 'batchgate/file-old/a.jsonl');
    if (old !== undefined) fakes.gcs.objects.set(`${fakes.bucket}/batchgate/file-old/a.jsonl`, { ...old, timeCreated: '2020-01-01T00:00:00Z' });
    fakes.gcs.put(fakes.bucket, 'batchgate-out/batch_x/prediction-model-1/predictions.jsonl', 'x');
    fakes.gcs.put(fakes.bucket, 'unrelated.txt', 'x');
    for (let i = 0; i < 5; i++) await upload(adapter, `${i}\n`, `file-${i}`);
    const listed = await collect(adapter.listFilesSince(Math.floor(Date.now() / 1000) - 60, opts()));
    expect(listed.map((f) => f.label).sort()).toEqual(['file-0', 'file-1', 'file-2', 'file-3', 'file-4']);
  });
});
