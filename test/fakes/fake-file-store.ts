/**
 * Files of a fake upstream, on disk in its temp dir. Bytes are streamed in (never held whole),
 * hashed and scanned line by line on the way, so tests can assert what reached the upstream.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { emptyLineStats, LineScanner, recordLine, type LineStats } from './fake-lines.js';
import type { FakeFile } from './fake-types.js';

export interface WrittenBlob {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly stats: LineStats;
}

export interface FileMeta {
  readonly filename: string;
  readonly purpose: string;
  readonly expiresAfterSeconds: number | null;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An id like OpenAI's: prefix plus 24 alphanumerics. */
export const randomId = (prefix: string, length = 24): string =>
  prefix + Array.from(randomBytes(length), (b) => ALNUM[b % ALNUM.length] ?? 'a').join('');

export class FakeFileStore {
  readonly files = new Map<string, FakeFile>();
  private counter = 0;

  constructor(
    private readonly dir: string,
    private readonly newId: () => string,
    private readonly now: () => number,
  ) {}

  /** Streams `source` to a new file in the temp dir. */
  async write(source: AsyncIterable<Buffer | string>): Promise<WrittenBlob> {
    this.counter += 1;
    const path = join(this.dir, `blob-${this.counter}-${randomBytes(4).toString('hex')}`);
    const hash = createHash('sha256');
    const stats = emptyLineStats();
    const scanner = new LineScanner((line) => recordLine(stats, line));
    let bytes = 0;
    async function* inspect(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
      for await (const chunk of input) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += buffer.length;
        hash.update(buffer);
        scanner.push(buffer);
        yield buffer;
      }
      scanner.end();
    }
    await pipeline(source, inspect, createWriteStream(path));
    return { path, bytes, sha256: hash.digest('hex'), stats };
  }

  register(meta: FileMeta, blob: WrittenBlob): FakeFile {
    const createdAt = this.now();
    const file: FakeFile = {
      id: this.newId(),
      filename: meta.filename,
      purpose: meta.purpose,
      bytes: blob.bytes,
      createdAt,
      expiresAt: meta.expiresAfterSeconds === null ? null : createdAt + meta.expiresAfterSeconds,
      sha256: blob.sha256,
      models: blob.stats.models,
      urls: blob.stats.urls,
      lineCount: blob.stats.lineCount,
      invalidLines: blob.stats.invalidLines,
      path: blob.path,
    };
    this.files.set(file.id, file);
    return file;
  }

  async remove(id: string): Promise<void> {
    const file = this.files.get(id);
    if (file === undefined) return;
    this.files.delete(id);
    await rm(file.path, { force: true });
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }
}
