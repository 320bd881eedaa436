import type { BlobBody } from '../../domain/ports/blob-store.js';

/**
 * The body's chunks as bytes, ending with the signal's reason as soon as the signal fires, even
 * while the source is still waiting for its next chunk. On exit the source is told to stop
 * (`return()`, which destroys a Readable) without waiting for it: a stuck source cannot hang us.
 */
export async function* abortableBody(body: BlobBody, signal: AbortSignal): AsyncGenerator<Buffer> {
  signal.throwIfAborted();
  const source = body[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const next = await nextOrAbort(source, signal);
      if (next.done === true) {
        done = true;
        return;
      }
      yield toBuffer(next.value);
      signal.throwIfAborted();
    }
  } finally {
    if (!done) source.return?.()?.catch(() => {});
  }
}

/**
 * The source's next chunk, or the signal's reason. A listener per wait, removed once it settles:
 * racing every chunk against one long-lived pending promise would chain a reaction (holding the
 * chunk) onto that promise per chunk, and keep every chunk of the blob alive until the end.
 */
function nextOrAbort(source: AsyncIterator<unknown>, signal: AbortSignal): Promise<IteratorResult<unknown>> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    source.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('blob body chunks must be bytes');
}
