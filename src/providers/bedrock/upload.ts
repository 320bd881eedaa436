/**
 * Streams a body into one S3 object with memory bounded by one part, whatever the size: the body
 * is cut into {@link PART_SIZE} parts, each sent before the next is read. A body that ends inside
 * the first part is sent as one PutObject (no multipart bookkeeping for small files). On any
 * failure (S3's, the network's, or the body's own: a line the encoder refused) the multipart
 * upload is aborted, so no object and no billed orphan parts are left, and the error is rethrown
 * as it was.
 */
import type { Readable } from 'node:stream';
import type { S3Client, S3Object } from './s3.js';

/** 8 MiB: above S3's 5 MiB minimum part, and 10,000 parts hold 80 GB, far past Bedrock's 1 GB file quota. */
export const PART_SIZE = 8 * 1024 * 1024;

export interface UploadOptions {
  readonly signal: AbortSignal;
  /** Budget of the abort call, which runs even when `signal` already fired. */
  readonly abortTimeoutMs: number;
  readonly partSize?: number;
}

/** Collects chunks until `size` bytes are held; yields exactly `size`-byte parts, then the rest. */
async function* partsOf(body: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const raw of body) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    while (heldBytes + chunk.length >= size) {
      const take = size - heldBytes;
      held.push(chunk.subarray(0, take));
      yield Buffer.concat(held);
      held = [];
      heldBytes = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      held.push(chunk);
      heldBytes += chunk.length;
    }
  }
  yield Buffer.concat(held);
}

/** Returns the number of bytes stored. */
export const uploadStream = async (s3: S3Client, obj: S3Object, body: Readable, options: UploadOptions): Promise<number> => {
  const size = options.partSize ?? PART_SIZE;
  const parts = partsOf(body, size);
  const first = await parts.next();
  const firstPart = first.done === true ? Buffer.alloc(0) : first.value;
  // Parts are always exactly `size` bytes but the last, so a short first part is the whole body.
  if (firstPart.length < size) {
    await s3.putObject(obj, firstPart, options.signal);
    return firstPart.length;
  }
  const uploadId = await s3.createMultipartUpload(obj, options.signal);
  const etags: string[] = [];
  let bytes = 0;
  try {
    let part: Buffer | undefined = firstPart;
    while (part !== undefined) {
      // The empty tail after a body of an exact multiple of the part size is not a part.
      if (part.length > 0 || etags.length === 0) {
        etags.push(await s3.uploadPart(obj, uploadId, etags.length + 1, part, options.signal));
        bytes += part.length;
      }
      const next: IteratorResult<Buffer> = await parts.next();
      part = next.done === true ? undefined : next.value;
    }
    await s3.completeMultipartUpload(obj, uploadId, etags, options.signal);
    return bytes;
  } catch (err) {
    // Stop reading the body, then drop the parts S3 holds; a failed abort must not hide `err`.
    await parts.return(undefined).catch(() => undefined);
    await s3.abortMultipartUpload(obj, uploadId, AbortSignal.timeout(options.abortTimeoutMs)).catch(() => undefined);
    throw err;
  }
};
