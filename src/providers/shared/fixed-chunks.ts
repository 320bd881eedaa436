/**
 * A byte stream cut into chunks of exactly `size` bytes (the last one shorter), one chunk held
 * at a time: what resumable and multipart uploads send (GCS, the Gemini Files API). Each chunk says
 * whether it is the last — known only once more bytes than a chunk have arrived, or the stream
 * ended — because a resumable upload names the total size in its final request. An empty stream
 * yields one empty last chunk.
 */
import type { Readable } from 'node:stream';

export interface FixedChunk {
  readonly data: Buffer;
  readonly last: boolean;
}

export async function* fixedChunks(body: Readable, size: number): AsyncGenerator<FixedChunk> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of body) {
    const buffer = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string | Uint8Array);
    pending.push(buffer);
    pendingBytes += buffer.length;
    // Strictly more than a chunk: only then is it certain this chunk is not the last.
    while (pendingBytes > size) {
      const all = Buffer.concat(pending, pendingBytes);
      yield { data: all.subarray(0, size), last: false };
      pending = [all.subarray(size)];
      pendingBytes -= size;
    }
  }
  yield { data: Buffer.concat(pending, pendingBytes), last: true };
}
