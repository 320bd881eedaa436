/**
 * What `createFile` uploads: a path, bytes, a Node or web stream, or an (async) iterable of request
 * objects, each serialised as one JSONL line as it is pulled (strings and bytes in the iterable are
 * taken as raw chunks). Nothing is buffered beyond one chunk; a UTF-8 BOM at the start is dropped
 * (Azure rejects it, and it is never content).
 */
import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sdkError } from './errors.js';

export type UploadSource =
  | string
  | Uint8Array
  | Readable
  | WebReadableStream<Uint8Array>
  | ReadableStream<Uint8Array>
  | AsyncIterable<unknown>
  | Iterable<unknown>;

export interface PreparedSource {
  /** The file's name when the source has one (a path). */
  readonly filename: string | null;
  /** Whether `open` may be called again (paths, bytes and arrays): a failed upload can move elsewhere. */
  readonly replayable: boolean;
  open(signal: AbortSignal): Promise<{ body: Readable; bytes: number | null }>;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CHUNK = 64 * 1024;

const isWebStream = (s: unknown): s is WebReadableStream<Uint8Array> =>
  typeof s === 'object' && s !== null && typeof (s as { getReader?: unknown }).getReader === 'function';

const toBuffer = (chunk: unknown): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.from(String(chunk));

async function* withoutBom(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  let head: Buffer | null = Buffer.alloc(0);
  for await (const raw of source) {
    const chunk = toBuffer(raw);
    if (head === null) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < BOM.length) continue;
    yield head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
    head = null;
  }
  if (head !== null && head.length > 0 && !BOM.subarray(0, head.length).equals(head)) yield head;
}

/** Request objects as JSONL, in chunks of about 64 KiB. */
async function* jsonLines(items: AsyncIterable<unknown> | Iterable<unknown>, signal: AbortSignal): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const item of items as AsyncIterable<unknown>) {
    signal.throwIfAborted();
    let piece: Buffer;
    if (typeof item === 'string' || item instanceof Uint8Array) piece = toBuffer(item);
    else {
      if (typeof item !== 'object' || item === null) {
        throw sdkError('invalid_request', `every item of an iterable upload must be a request object (or a string/bytes chunk); got ${item === null ? 'null' : typeof item}`, { param: 'file' });
      }
      piece = Buffer.from(`${JSON.stringify(item)}\n`);
    }
    pending.push(piece);
    size += piece.length;
    if (size >= CHUNK) {
      yield Buffer.concat(pending);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending);
}

const isAsyncIterable = (s: unknown): s is AsyncIterable<unknown> =>
  typeof s === 'object' && s !== null && typeof (s as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
const isIterable = (s: unknown): s is Iterable<unknown> =>
  typeof s === 'object' && s !== null && typeof (s as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';

async function pathSource(path: string, signal: AbortSignal): Promise<{ body: Readable; bytes: number | null }> {
  let size: number;
  let start = 0;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw sdkError('invalid_request', `${path} is not a file`, { param: 'file' });
    size = info.size;
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(3);
      const { bytesRead } = await handle.read(head, 0, 3, 0);
      if (bytesRead === 3 && head.equals(BOM)) start = 3;
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof Error && err.name === 'SdkError') throw err;
    throw sdkError('invalid_request', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { param: 'file', cause: err });
  }
  return { body: createReadStream(path, { start, signal }), bytes: size - start };
}

export function prepareSource(source: UploadSource): PreparedSource {
  if (typeof source === 'string') {
    return { filename: basename(source), replayable: true, open: (signal) => pathSource(source, signal) };
  }
  if (source instanceof Uint8Array) {
    const bytes = toBuffer(source);
    const body = bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes;
    return { filename: null, replayable: true, open: async () => ({ body: Readable.from([body]), bytes: body.length }) };
  }
  let used = false;
  const once = <T>(fn: () => T): T => {
    if (used) throw sdkError('invalid_request', 'a stream or iterator upload can be read only once', { param: 'file' });
    used = true;
    return fn();
  };
  if (source instanceof Readable) {
    return { filename: null, replayable: false, open: async () => once(() => ({ body: Readable.from(withoutBom(source)), bytes: null })) };
  }
  if (isWebStream(source)) {
    return {
      filename: null,
      replayable: false,
      open: async () => once(() => ({ body: Readable.from(withoutBom(Readable.fromWeb(source))), bytes: null })),
    };
  }
  if (Array.isArray(source)) {
    return { filename: null, replayable: true, open: async (signal) => ({ body: Readable.from(withoutBom(jsonLines(source, signal))), bytes: null }) };
  }
  if (isAsyncIterable(source) || isIterable(source)) {
    return {
      filename: null,
      replayable: false,
      open: async (signal) => once(() => ({ body: Readable.from(withoutBom(jsonLines(source, signal))), bytes: null })),
    };
  }
  throw sdkError('invalid_request', 'file must be a path, a Buffer, a Node or web stream, or an iterable of request objects', { param: 'file' });
}
