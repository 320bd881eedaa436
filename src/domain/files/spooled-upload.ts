import type { Readable } from 'node:stream';

/**
 * An upload the HTTP layer has already written to local disk. The domain reads it as many times
 * as it needs (one validation pass, then one stream per target deployment) without holding it
 * in memory.
 */
export interface SpooledUpload {
  readonly filename: string;
  readonly bytes: number;
  /** The bytes from `start` (default 0) to the end. */
  open(start?: number): Readable;
  /**
   * The same bytes for a reader that copies what it keeps (the line splitters): each chunk is
   * valid only until the next is asked for, so one buffer serves the whole pass instead of a
   * fresh one per read, which piled up as garbage faster than V8 collected it (bench/RESULTS.md,
   * "Big uploads: reused read buffers").
   */
  chunks(start?: number): AsyncIterable<Uint8Array>;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function firstBytes(file: SpooledUpload, n: number): Promise<Buffer> {
  const stream = file.open();
  const parts: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= n) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** The same upload without a leading UTF-8 byte-order mark (the upload itself when it has none). */
export async function withoutBom(file: SpooledUpload): Promise<SpooledUpload> {
  if (file.bytes < BOM.length || !(await firstBytes(file, BOM.length)).equals(BOM)) return file;
  return {
    filename: file.filename,
    bytes: file.bytes - BOM.length,
    open: (start = 0) => file.open(start + BOM.length),
    chunks: (start = 0) => file.chunks(start + BOM.length),
  };
}
