import type { BlobBody } from '../../domain/ports/blob-store.js';

/**
 * The body's chunks as bytes, ending with the signal's reason as soon as the signal fires, even
 * while the source is still waiting for its next chunk. On exit the source is told to stop
 * (`return()`, which destroys a Readable) without waiting for it: a stuck source cannot hang us.
 */
export async function* abortableBody(body: BlobBody, signal: AbortSignal): AsyncGenerator<Buffer> {
  signal.throwIfAborted();
  const source = body[Symbol.asyncIterator]();
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
  });
  aborted.catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  let done = false;
  try {
    for (;;) {
      const next = await Promise.race([source.next(), aborted]);
      if (next.done === true) {
        done = true;
        return;
      }
      yield toBuffer(next.value);
      signal.throwIfAborted();
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!done) source.return?.()?.catch(() => {});
  }
}

export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('blob body chunks must be bytes');
}
