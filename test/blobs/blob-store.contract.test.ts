/**
 * The BlobStore contract: one suite, run against every implementation (filesystem, and S3 against
 * the signature-checking fake in test/fakes/fake-s3.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError, InvalidBlobKeyError, type BlobStore } from '../../src/domain/ports/blob-store.js';
import { FsBlobStore } from '../../src/store/blobs/fs-blob-store.js';
import { S3BlobStore } from '../../src/store/blobs/s3/s3-blob-store.js';
import { FakeS3 } from '../fakes/fake-s3.js';

const MiB = 1024 * 1024;

interface Harness {
  readonly store: BlobStore;
  /** Partial writes left behind (temp files, multipart uploads in progress); must be 0 after any put. */
  leftovers(): Promise<number>;
  /** Multipart uploads aborted upstream so far (S3 only; null elsewhere). */
  abortedUploads(): number | null;
  close(): Promise<void>;
}

async function countFiles(dir: string, pred: (name: string) => boolean): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) n += await countFiles(join(dir, entry.name), pred);
    else if (pred(entry.name)) n++;
  }
  return n;
}

const implementations: Array<{ name: string; make: () => Promise<Harness> }> = [
  {
    name: 'filesystem',
    make: async () => {
      const root = await mkdtemp(join(tmpdir(), 'batchgate-blobs-'));
      return {
        store: new FsBlobStore({ root: join(root, 'blobs') }),
        leftovers: () => countFiles(root, (name) => name.startsWith('.')),
        abortedUploads: () => null,
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    make: async () => {
      const fake = await new FakeS3({ pageSize: 2 }).start();
      return {
        store: new S3BlobStore({
          endpoint: fake.endpoint,
          region: fake.region,
          bucket: fake.bucket,
          prefix: 'gw/',
          credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey },
        }),
        leftovers: async () => fake.uploads.size,
        abortedUploads: () => fake.stats().multipartAborted,
        close: async () => {
          expect(fake.stats().signatureFailures).toBe(0);
          await fake.close();
        },
      };
    },
  },
];

const signal = (): AbortSignal => new AbortController().signal;

/** A deterministic pseudo-random body of `bytes`, generated in chunks, never held whole. */
async function* generated(bytes: number, seed = 1, chunk = 64 * 1024): AsyncGenerator<Uint8Array> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < bytes; sent += chunk) {
    const buf = Buffer.allocUnsafe(Math.min(chunk, bytes - sent));
    for (let i = 0; i < buf.length; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      buf.writeUInt32LE(state, i);
    }
    yield buf;
  }
}

async function digest(source: AsyncIterable<Uint8Array>): Promise<{ sha: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha: hash.digest('hex'), bytes };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out.sort();
}

describe.each(implementations)('BlobStore contract: $name', ({ make }) => {
  let h: Harness;
  let store: BlobStore;
  beforeAll(async () => {
    h = await make();
    store = h.store;
  });
  afterAll(async () => h.close());
  afterEach(async () => {
    expect(await h.leftovers()).toBe(0);
  });

  it('round-trips a small body byte for byte, from a Readable and from an async iterable', async () => {
    const body = Buffer.from('{"custom_id":"a"}\n{"custom_id":"b"}\n', 'utf8');
    expect(await store.put('rt/small.jsonl', Readable.from([body]), { signal: signal(), contentType: 'application/jsonl' })).toEqual({ bytes: body.length });
    expect((await readAll(await store.open('rt/small.jsonl', { signal: signal() }))).equals(body)).toBe(true);
    expect(await store.stat('rt/small.jsonl')).toEqual({ bytes: body.length });
    async function* parts() {
      yield new Uint8Array([1, 2, 3]);
      yield new Uint8Array(0);
      yield new Uint8Array([4]);
    }
    expect(await store.put('rt/iter', parts(), { signal: signal() })).toEqual({ bytes: 4 });
    expect([...(await readAll(await store.open('rt/iter', { signal: signal() })))]).toEqual([1, 2, 3, 4]);
  });

  it('round-trips an empty body', async () => {
    expect(await store.put('rt/empty', Readable.from([]), { signal: signal() })).toEqual({ bytes: 0 });
    expect(await store.stat('rt/empty')).toEqual({ bytes: 0 });
    expect((await readAll(await store.open('rt/empty', { signal: signal() }))).length).toBe(0);
  });

  it('streams a 20 MiB body (several multipart parts) in and out byte for byte', async () => {
    const size = 20 * MiB + 12_344;
    const expected = await digest(generated(size, 7));
    expect(await store.put('big/20m.bin', generated(size, 7), { signal: signal() })).toEqual({ bytes: size });
    expect(await store.stat('big/20m.bin')).toEqual({ bytes: size });
    expect(await digest(await store.open('big/20m.bin', { signal: signal() }))).toEqual(expected);
    // Ranged read from inside the second part.
    const start = 9 * MiB + 3;
    const hash = createHash('sha256');
    let skipped = 0;
    for await (const chunk of generated(size, 7)) {
      const from = Math.max(0, start - skipped);
      if (from < chunk.length) hash.update(chunk.subarray(from));
      skipped += chunk.length;
    }
    expect(await digest(await store.open('big/20m.bin', { signal: signal(), start }))).toEqual({
      sha: hash.digest('hex'),
      bytes: size - start,
    });
  });

  it('opens from an offset; at or past the end is empty', async () => {
    await store.put('range/hello', Readable.from([Buffer.from('hello world')]), { signal: signal() });
    expect((await readAll(await store.open('range/hello', { signal: signal(), start: 5 }))).toString()).toBe(' world');
    expect((await readAll(await store.open('range/hello', { signal: signal(), start: 0 }))).toString()).toBe('hello world');
    expect((await readAll(await store.open('range/hello', { signal: signal(), start: 11 }))).length).toBe(0);
    expect((await readAll(await store.open('range/hello', { signal: signal(), start: 50 }))).length).toBe(0);
  });

  it('stat and open of a missing key: null and BlobNotFoundError', async () => {
    expect(await store.stat('missing/x')).toBeNull();
    await expect(store.open('missing/x', { signal: signal() })).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.open('missing/x', { signal: signal(), start: 3 })).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('replaces a blob; delete is idempotent', async () => {
    await store.put('del/a', Readable.from([Buffer.from('one')]), { signal: signal() });
    await store.put('del/a', Readable.from([Buffer.from('second')]), { signal: signal() });
    expect((await readAll(await store.open('del/a', { signal: signal() }))).toString()).toBe('second');
    await store.delete('del/a');
    expect(await store.stat('del/a')).toBeNull();
    await expect(store.open('del/a', { signal: signal() })).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.delete('del/a');
    await store.delete('del/never-existed');
  });

  it('lists by prefix across several pages', async () => {
    const keys = ['ls/p/1', 'ls/p/2', 'ls/p/3', 'ls/p/sub/4', 'ls/p/sub/5', 'ls/pq', 'ls/q/6'];
    for (const k of keys) await store.put(k, Readable.from([Buffer.from(k)]), { signal: signal() });
    expect(await collect(store.list('ls/p/'))).toEqual(['ls/p/1', 'ls/p/2', 'ls/p/3', 'ls/p/sub/4', 'ls/p/sub/5']);
    expect(await collect(store.list('ls/p'))).toEqual(['ls/p/1', 'ls/p/2', 'ls/p/3', 'ls/p/sub/4', 'ls/p/sub/5', 'ls/pq']);
    expect(await collect(store.list('ls/p/s'))).toEqual(['ls/p/sub/4', 'ls/p/sub/5']);
    expect(await collect(store.list('ls/none/'))).toEqual([]);
    expect((await collect(store.list(''))).filter((k) => k.startsWith('ls/'))).toEqual([...keys].sort());
  });

  it('concurrent puts of one key leave exactly one complete version, and readers see whole versions', async () => {
    const size = 300 * 1024;
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(size, i + 1));
    const readers: Array<Promise<Buffer | null>> = [];
    await Promise.all(
      bodies.map(async (body, i) => {
        await store.put('conc/key', Readable.from([body.subarray(0, size / 2), body.subarray(size / 2)]), { signal: signal() });
        if (i % 2 === 0) {
          readers.push(store.open('conc/key', { signal: signal() }).then(readAll, () => null));
        }
      }),
    );
    const check = (got: Buffer): void => {
      expect(got.length).toBe(size);
      const first = got[0] as number;
      expect(first >= 1 && first <= 8).toBe(true);
      expect(got.equals(Buffer.alloc(size, first))).toBe(true);
    };
    for (const got of await Promise.all(readers)) if (got !== null) check(got);
    check(await readAll(await store.open('conc/key', { signal: signal() })));
  });

  it('a put whose source fails midway leaves nothing (and keeps the previous version)', async () => {
    const before = h.abortedUploads();
    async function* failing() {
      yield* generated(9 * MiB, 3);
      throw new Error('source broke');
    }
    await expect(store.put('fail/new', failing(), { signal: signal() })).rejects.toThrow('source broke');
    expect(await store.stat('fail/new')).toBeNull();
    expect(await collect(store.list('fail/'))).toEqual([]);

    await store.put('fail/old', Readable.from([Buffer.from('old')]), { signal: signal() });
    await expect(store.put('fail/old', failing(), { signal: signal() })).rejects.toThrow('source broke');
    expect((await readAll(await store.open('fail/old', { signal: signal() }))).toString()).toBe('old');
    if (before !== null) expect(h.abortedUploads()).toBe(before + 2);
  });

  it('an aborted signal leaves nothing, also while the source is waiting', async () => {
    const before = h.abortedUploads();
    const ctl = new AbortController();
    async function* slow() {
      yield* generated(9 * MiB, 4);
      ctl.abort(new Error('client left'));
      await new Promise(() => {}); // never yields again: only the signal can end the put
    }
    await expect(store.put('abort/a', slow(), { signal: ctl.signal })).rejects.toThrow();
    expect(await store.stat('abort/a')).toBeNull();
    if (before !== null) expect(h.abortedUploads()).toBe(before + 1);

    const already = AbortSignal.abort();
    await expect(store.put('abort/b', Readable.from([Buffer.from('x')]), { signal: already })).rejects.toThrow();
    expect(await store.stat('abort/b')).toBeNull();
    expect(await collect(store.list('abort/'))).toEqual([]);
  });

  it('refuses bad keys with InvalidBlobKeyError', async () => {
    const bad = ['', '/abs', '../up', 'a/../b', 'a/./b', './a', 'a//b', 'a/', 'a\\b', 'a\0b', 'nl\nkey', '.hidden', 'k/.tmp', 'x'.repeat(600)];
    for (const key of bad) {
      await expect(store.put(key, Readable.from([Buffer.from('x')]), { signal: signal() }), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.open(key, { signal: signal() }), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.stat(key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.delete(key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
    for (const prefix of ['/abs', '../', 'a/../', 'a//']) {
      await expect(collect(store.list(prefix)), prefix).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
    // Unusual but valid keys work.
    const odd = 'odd/spaces and+plus=eq&amp;%25ünï(1)*~.jsonl';
    await store.put(odd, Readable.from([Buffer.from('ok')]), { signal: signal() });
    expect((await readAll(await store.open(odd, { signal: signal() }))).toString()).toBe('ok');
    expect(await collect(store.list('odd/'))).toEqual([odd]);
  });
});
