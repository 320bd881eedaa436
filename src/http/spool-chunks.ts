/**
 * Reads a spool file through one buffer, reused for every read: the chunks are views of it, each
 * valid until the next is asked for (`SpooledUpload.chunks`). A read stream allocates a new
 * buffer per read, and a pass over a 200 MB upload left 800 of them to the garbage collector.
 */
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 256 * 1024;

export async function* spoolChunks(path: string, start = 0): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    let position = start;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
