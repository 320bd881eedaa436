/**
 * Filesystem `BlobStore`: one file per key under `root`. A put writes a temporary file in the
 * key's own directory, fsyncs it, then renames it over the key (atomic on POSIX), and fsyncs the
 * directory; readers hold the inode they opened, so they see the old or the new version whole.
 * Temporary files are dot-names, which keys cannot use (see `validateBlobKey`).
 */
import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import {
  BlobNotFoundError,
  validateBlobKey,
  validateBlobPrefix,
  type BlobBody,
  type BlobOpenOptions,
  type BlobPutOptions,
  type BlobStore,
} from '../../domain/ports/blob-store.js';
import { abortableBody } from './body.js';

export interface FsBlobStoreOptions {
  /** Directory holding the blobs; created on first write. */
  readonly root: string;
}

const isCode = (err: unknown, ...codes: string[]): boolean =>
  typeof err === 'object' && err !== null && codes.includes((err as { code?: string }).code ?? '');

export class FsBlobStore implements BlobStore {
  readonly #root: string;

  constructor(options: FsBlobStoreOptions) {
    this.#root = options.root;
  }

  #path(key: string): string {
    return join(this.#root, ...validateBlobKey(key).split('/'));
  }

  async put(key: string, body: BlobBody, opts: BlobPutOptions): Promise<{ bytes: number }> {
    const target = this.#path(key);
    opts.signal.throwIfAborted();
    const dir = target.slice(0, target.lastIndexOf(sep));
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${randomBytes(12).toString('hex')}.tmp`);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    let bytes = 0;
    let closed = false;
    try {
      for await (const chunk of abortableBody(body, opts.signal)) {
        const buf = chunk;
        let offset = 0;
        while (offset < buf.length) {
          const { bytesWritten } = await handle.write(buf, offset, buf.length - offset);
          offset += bytesWritten;
        }
        bytes += buf.length;
      }
      opts.signal.throwIfAborted();
      await handle.sync();
      await handle.close();
      closed = true;
      await rename(temp, target);
    } catch (err) {
      if (!closed) await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw err;
    }
    await syncDir(dir);
    return { bytes };
  }

  async open(key: string, opts: BlobOpenOptions): Promise<Readable> {
    const path = this.#path(key);
    opts.signal.throwIfAborted();
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new BlobNotFoundError(key);
      throw err;
    }
    const info = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    if (!info.isFile()) {
      await handle.close();
      throw new BlobNotFoundError(key);
    }
    const start = opts.start ?? 0;
    if (start >= info.size) {
      await handle.close();
      return Readable.from([]);
    }
    const stream = handle.createReadStream({ start, autoClose: true });
    return addAbortSignal(opts.signal, stream);
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    const path = this.#path(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { bytes: info.size } : null;
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await unlink(path);
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR', 'EISDIR', 'EPERM')) {
        // EISDIR/EPERM: the key names a directory of other keys, so there is no blob to delete.
        if (isCode(err, 'EISDIR', 'EPERM') && (await this.stat(key)) !== null) throw err;
        return;
      }
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    validateBlobPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    yield* this.#walk(base, prefix);
  }

  async *#walk(relDir: string, prefix: string): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(relDir === '' ? this.#root : join(this.#root, ...relDir.split('/')), {
        withFileTypes: true,
      });
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // temporary files of puts in flight
      const key = relDir === '' ? entry.name : posix.join(relDir, entry.name);
      if (entry.isDirectory()) {
        // Descend only where keys with the prefix can be.
        const asDir = `${key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) yield* this.#walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        yield key;
      }
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some platforms cannot open a directory, which is not an error.
  const handle = await open(dir, 'r').catch(() => null);
  if (handle === null) return;
  try {
    await handle.sync();
  } catch {
    // ignored: directory fsync is best effort
  } finally {
    await handle.close();
  }
}
