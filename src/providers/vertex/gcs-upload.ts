/**
 * Streams an upload of unknown length into GCS with memory bounded by one chunk: a body that
 * fits in one chunk goes up in one simple request; a larger one through a resumable session
 * (`uploadType=resumable`), one `PUT` per chunk with `Content-Range: bytes a-b/*` and the last
 * one with the total. A chunk that fails in a retryable way (429, 5xx, a broken connection) is
 * resumed from what GCS says it persisted (`Content-Range: bytes *\/*` → `308` + `Range`), which
 * may be part of the chunk: the chunk is still in memory, so its tail is resent.
 */
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { CallOptions } from '../../domain/ports/provider-adapter.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { ExchangeResponse } from '../shared/http-client.js';
import { simpleUpload, toGcsObject, uploadUrl, type GcsObject } from './gcs.js';
import type { GoogleApi } from './google-http.js';
import { fixedChunks, type FixedChunk } from '../shared/fixed-chunks.js';

/** GCS wants every chunk but the last to be a multiple of this. */
export const CHUNK_UNIT = 256 * 1024;
export const DEFAULT_CHUNK_BYTES = 32 * CHUNK_UNIT; // 8 MiB
/** Attempts at one chunk that make no progress before the upload gives up. */
const MAX_STALLED_ATTEMPTS = 4;
const RETRY_DELAY_MS = 200;

/** `Range: bytes=0-N` of a 308 → bytes persisted (N + 1); no header means none. */
const persistedOf = (response: ExchangeResponse): number => {
  const range = response.headers['range'];
  const text = Array.isArray(range) ? range[0] : range;
  const match = text === undefined ? null : /bytes=0-(\d+)/.exec(text);
  return match === null ? 0 : Number(match[1]) + 1;
};

const retryable = (error: unknown): boolean => error instanceof UpstreamError && error.retryable && error.status !== 408;

export const uploadStream = async (
  api: GoogleApi,
  name: string,
  contentType: string,
  body: Readable,
  chunkBytes: number,
  opts: CallOptions,
): Promise<GcsObject> => {
  const chunks = fixedChunks(body, chunkBytes);
  const first = await chunks.next();
  if (first.done === true) throw new Error('unreachable: fixedChunks always yields a last chunk');
  if (first.value.last) return simpleUpload(api, name, contentType, first.value.data, opts);

  const known = [[name, 'the uploaded object']] as const;
  const started = await api.call(
    {
      method: 'POST',
      url: uploadUrl(api, { uploadType: 'resumable', name }),
      headers: { 'x-upload-content-type': contentType, 'content-length': '0' },
      body: '',
      known,
    },
    opts,
  );
  const location = started.headers['location'];
  const session = Array.isArray(location) ? location[0] : location;
  if (session === undefined || session === '') throw api.http.malformed('a resumable upload session without a Location');

  const put = (range: string, data: Buffer): Promise<ExchangeResponse> =>
    api.call(
      {
        method: 'PUT',
        url: session,
        headers: { 'content-range': range, 'content-length': String(data.length), 'content-type': contentType },
        body: data,
        accept: [308],
        operation: 'PUT /upload/storage/v1/b/{id}/o (resumable chunk)',
        known,
      },
      opts,
    );

  try {
    return await sendChunks(api, put, first.value, chunks, opts);
  } catch (error) {
    // Best effort: a session left open holds the bytes sent until GCS expires it (a week).
    await api.call({ method: 'DELETE', url: session, accept: [499], body: '' }, opts).catch(() => undefined);
    throw error;
  }
};

type Put = (range: string, data: Buffer) => Promise<ExchangeResponse>;

const sendChunks = async (
  api: GoogleApi,
  put: Put,
  firstChunk: FixedChunk,
  chunks: AsyncGenerator<FixedChunk>,
  opts: CallOptions,
): Promise<GcsObject> => {
  let offset = 0;
  let chunk: FixedChunk = firstChunk;
  for (;;) {
    const end = offset + chunk.data.length;
    const total = chunk.last ? String(end) : '*';
    let sent = offset;
    let stalled = 0;
    let finished: ExchangeResponse | null = null;
    while (finished === null && (sent < end || chunk.last)) {
      const data = chunk.data.subarray(sent - offset);
      const range = data.length === 0 ? `bytes */${total}` : `bytes ${sent}-${end - 1}/${total}`;
      try {
        const response = await put(range, data);
        if (response.status !== 308) finished = response;
        else {
          const persisted = persistedOf(response);
          stalled = persisted > sent ? 0 : stalled + 1;
          sent = persisted;
        }
      } catch (error) {
        if (!retryable(error) || ++stalled >= MAX_STALLED_ATTEMPTS) throw error;
        await delay(RETRY_DELAY_MS * stalled, undefined, { signal: opts.signal });
        // Ask what arrived; the answer may also be the finished object.
        const status = await put(`bytes */${total}`, Buffer.alloc(0)).catch((e: unknown) => (retryable(e) ? null : Promise.reject(e)));
        if (status !== null && status.status !== 308) finished = status;
        else if (status !== null) sent = persistedOf(status);
      }
      if (sent < offset) throw api.http.malformed('the resumable upload lost bytes it had confirmed');
      if (stalled >= MAX_STALLED_ATTEMPTS) throw api.http.malformed('the resumable upload made no progress');
    }
    if (finished !== null) {
      if (!chunk.last) throw api.http.malformed('the resumable upload finished before its last chunk');
      return toGcsObject(api, finished.body);
    }
    offset = end;
    const next = await chunks.next();
    if (next.done === true) throw new Error('unreachable: the last chunk finishes the upload');
    chunk = next.value;
  }
};
