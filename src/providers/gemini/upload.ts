/**
 * Uploads a staged input to the Gemini Files API with the resumable protocol (`reference/wire.md`
 * §10): `start` (the length and type announced) → an upload URL, then one `upload` per chunk at
 * its `X-Goog-Upload-Offset`, the last one `upload, finalize`. Memory holds one chunk (8 MiB by
 * default, rounded up to the granularity Google announces). A chunk that fails in a retryable way
 * is resumed from what Google says it received (`query` → `X-Goog-Upload-Size-Received`); an
 * upload that cannot finish is cancelled so the sent bytes do not linger.
 */
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { CallOptions } from '../../domain/ports/provider-adapter.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { ExchangeResponse, ResponseHeaders } from '../shared/http-client.js';
import { isRecord, recordAt, stringAt } from '../shared/json.js';
import type { GeminiApi } from './api.js';
import { fixedChunks } from '../shared/fixed-chunks.js';

export const DEFAULT_UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_STALLED_ATTEMPTS = 4;
const RETRY_DELAY_MS = 200;
export const INPUT_MIME_TYPE = 'application/jsonl';

const header = (headers: ResponseHeaders, name: string): string | null => {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? null : text;
};

/** Exactly `size`-byte chunks of `body`, the last one shorter (none at all for an empty body). */
async function* chunksOf(body: Readable, size: number): AsyncGenerator<Buffer> {
  for await (const { data } of fixedChunks(body, size)) if (data.length > 0) yield data;
}

const retryable = (error: unknown): boolean => error instanceof UpstreamError && error.retryable && error.status !== 408;

/** Uploads `bytes` bytes of `body`; resolves with the file's name (`files/…`). */
export const uploadInput = async (
  api: GeminiApi,
  displayName: string,
  body: Readable,
  bytes: number,
  chunkBytes: number,
  opts: CallOptions,
): Promise<string> => {
  const started = await api.call(
    {
      method: 'POST',
      path: '/upload/v1beta/files',
      headers: {
        'x-goog-upload-protocol': 'resumable',
        'x-goog-upload-command': 'start',
        'x-goog-upload-header-content-length': String(bytes),
        'x-goog-upload-header-content-type': INPUT_MIME_TYPE,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ file: { displayName } }),
    },
    opts,
  );
  const session = header(started.headers, 'x-goog-upload-url');
  if (session === null) throw api.http.malformed('a resumable upload start without an upload URL');
  const granularity = Number(header(started.headers, 'x-goog-upload-chunk-granularity') ?? '0');
  const size = granularity > 0 ? Math.ceil(chunkBytes / granularity) * granularity : chunkBytes;

  const command = (name: string, offset: number, data: Buffer): Promise<ExchangeResponse> =>
    api.call(
      {
        method: 'POST',
        path: session,
        headers: { 'x-goog-upload-command': name, 'x-goog-upload-offset': String(offset), 'content-length': String(data.length) },
        body: data,
        operation: `POST /upload/v1beta/files (${name})`,
      },
      opts,
    );

  try {
    const finished = await sendChunks(api, command, chunksOf(body, size), bytes, opts);
    const file = isRecord(finished.body) ? (recordAt(finished.body, 'file') ?? finished.body) : null;
    const name = file === null ? null : stringAt(file, 'name');
    if (name === null || !name.startsWith('files/')) throw api.http.malformed('a finished upload without a file name');
    return name;
  } catch (error) {
    await command('cancel', 0, Buffer.alloc(0)).catch(() => undefined);
    throw error;
  }
};

type Command = (name: string, offset: number, data: Buffer) => Promise<ExchangeResponse>;

/** Sends each chunk at its offset; the one that reaches the announced length finalizes. */
const sendChunks = async (api: GeminiApi, command: Command, chunks: AsyncGenerator<Buffer>, bytes: number, opts: CallOptions): Promise<ExchangeResponse> => {
  let offset = 0;
  for await (const chunk of chunks) {
    const end = offset + chunk.length;
    if (end > bytes) throw api.http.malformed(`a staged input longer than the ${bytes} bytes announced`);
    const finished = await sendChunk(api, command, chunk, offset, end === bytes, opts);
    if (finished !== null) return finished;
    offset = end;
  }
  if (bytes === 0) return command('upload, finalize', 0, Buffer.alloc(0));
  throw api.http.malformed(`a staged input of ${offset} bytes, not the ${bytes} announced`);
};

/** One chunk, resumed from what Google received after a retryable failure; the final answer or null. */
const sendChunk = async (api: GeminiApi, command: Command, chunk: Buffer, offset: number, last: boolean, opts: CallOptions): Promise<ExchangeResponse | null> => {
  const end = offset + chunk.length;
  let sent = offset;
  let stalled = 0;
  for (;;) {
    try {
      const response = await command(last ? 'upload, finalize' : 'upload', sent, chunk.subarray(sent - offset));
      return last ? response : null;
    } catch (error) {
      if (!retryable(error) || ++stalled >= MAX_STALLED_ATTEMPTS) throw error;
      await delay(RETRY_DELAY_MS * stalled, undefined, { signal: opts.signal });
      const status = await command('query', 0, Buffer.alloc(0)).catch((e: unknown) => (retryable(e) ? null : Promise.reject(e)));
      if (status === null) continue;
      if (last && header(status.headers, 'x-goog-upload-status') === 'final') return status;
      const received = Number(header(status.headers, 'x-goog-upload-size-received') ?? 'NaN');
      // What Google holds of this chunk; anything outside it means the upload cannot be resumed here.
      if (Number.isFinite(received) && received >= offset && received <= end) {
        if (received === end && !last) return null;
        sent = received;
      } else if (Number.isFinite(received)) {
        throw api.http.malformed(`a resumable upload that reports ${received} bytes received, outside the chunk ${offset}-${end}`);
      }
    }
  }
};
