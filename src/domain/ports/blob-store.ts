/**
 * The blob storage port: the bytes batchgate keeps itself (inputs it executes, outputs it
 * produces). Implementations live in `store/blobs/` (filesystem by default, S3-compatible for
 * replicas on several machines); one contract suite (`test/blobs/`) runs over each of them.
 *
 * Promises every implementation keeps:
 * - **Atomic writes**: a blob is complete or absent. A reader never sees half a blob; a `put`
 *   that fails (its source errors, the signal aborts, the backend fails) leaves the previous
 *   version (or nothing) in place, and no partial upload behind.
 * - **Streaming, bounded memory**: `put` consumes its body as it arrives and `open` streams; no
 *   implementation holds a whole blob in memory (S3 holds at most one multipart part).
 * - **Validated keys**: every key passes `validateBlobKey`, else `InvalidBlobKeyError`.
 *   Keys are `/`-separated relative paths; on the filesystem a key cannot also be a "directory"
 *   of another key (`a` and `a/b` cannot both exist), so callers should not rely on that.
 */
import type { Readable } from 'node:stream';

export type BlobBody = Readable | AsyncIterable<Uint8Array>;

export interface BlobPutOptions {
  readonly signal: AbortSignal;
  readonly contentType?: string;
}

export interface BlobOpenOptions {
  readonly signal: AbortSignal;
  /** First byte to read (0 by default). A start at or past the end yields an empty stream. */
  readonly start?: number;
}

export interface BlobStore {
  /** Writes the whole body under `key`, replacing any previous version atomically. */
  put(key: string, body: BlobBody, opts: BlobPutOptions): Promise<{ bytes: number }>;
  /** Streams the blob from `start`; rejects with `BlobNotFoundError` when it does not exist. */
  open(key: string, opts: BlobOpenOptions): Promise<Readable>;
  /** The blob's size, or null when it does not exist. */
  stat(key: string): Promise<{ bytes: number } | null>;
  /** Removes the blob; a missing blob is fine. */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` (a plain string prefix, not only a "directory"), once each, in no promised order. */
  list(prefix: string): AsyncIterable<string>;
}

/** The longest key accepted, in UTF-8 bytes (S3 allows 1024 including the store's own prefix). */
export const MAX_BLOB_KEY_BYTES = 512;

export type InvalidBlobKeyReason =
  | 'empty'
  | 'too_long'
  | 'absolute'
  | 'backslash'
  | 'control_character'
  | 'empty_segment'
  | 'dot_segment'
  | 'trailing_slash';

/** A key (or list prefix) the store refuses; `reason` says which rule it broke. */
export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  readonly code = 'invalid_blob_key' as const;
  constructor(
    readonly key: string,
    readonly reason: InvalidBlobKeyReason,
  ) {
    super(`invalid blob key (${reason}): ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}`);
  }
}

/** `open` of a key that holds no blob. */
export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  readonly code = 'blob_not_found' as const;
  constructor(readonly key: string) {
    super(`blob not found: ${JSON.stringify(key)}`);
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function check(key: string, asPrefix: boolean): InvalidBlobKeyReason | null {
  if (key === '') return asPrefix ? null : 'empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_BLOB_KEY_BYTES) return 'too_long';
  if (key.startsWith('/')) return 'absolute';
  if (key.includes('\\')) return 'backslash';
  if (CONTROL.test(key)) return 'control_character';
  const segments = key.split('/');
  const last = segments.length - 1;
  for (let i = 0; i <= last; i++) {
    const segment = segments[i] as string;
    if (segment === '') {
      if (i === last) {
        if (!asPrefix) return 'trailing_slash';
        continue;
      }
      return 'empty_segment';
    }
    // Segments starting with a dot are refused: no `.` / `..`, and the filesystem store keeps
    // its temporary files under dot-names nobody else can write.
    if (segment.startsWith('.')) return 'dot_segment';
  }
  return null;
}

/** Throws `InvalidBlobKeyError` unless `key` is a relative, normalised, bounded path. */
export function validateBlobKey(key: string): string {
  const reason = check(key, false);
  if (reason !== null) throw new InvalidBlobKeyError(key, reason);
  return key;
}

/** Like `validateBlobKey`, for `list` prefixes: empty and trailing-slash prefixes are fine. */
export function validateBlobPrefix(prefix: string): string {
  const reason = check(prefix, true);
  if (reason !== null) throw new InvalidBlobKeyError(prefix, reason);
  return prefix;
}
