/**
 * S3-compatible `BlobStore` (AWS S3, MinIO, R2, Ceph…): SigV4-signed REST calls over undici.
 *
 * A put reads at most one part (`partSize`, 8 MiB by default) into memory at a time: a body that
 * ends within the first part is one PutObject; a longer one is a multipart upload, parts sent
 * one after the other and completed at the end, so the object appears whole or not at all. On
 * any failure (source error, abort, upstream error) the upload is aborted upstream before the
 * put rejects. Every part and small body is sent with its SHA-256 signed; reads stream.
 */
import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import {
  BlobNotFoundError,
  validateBlobKey,
  validateBlobPrefix,
  type BlobBody,
  type BlobOpenOptions,
  type BlobPutOptions,
  type BlobStore,
} from '../../../domain/ports/blob-store.js';
import { abortableBody } from '../body.js';
import { EMPTY_SHA256, encodePath, sha256Hex, signRequest, type S3Credentials } from './sigv4.js';

export interface S3BlobStoreOptions {
  /** e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`. */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Prepended to every key (e.g. `batchgate/`); a trailing `/` is added when missing. */
  readonly prefix?: string;
  readonly credentials: S3Credentials;
  /** Path-style (`endpoint/bucket/key`, the default, what custom endpoints want) or virtual-hosted. */
  readonly pathStyle?: boolean;
  /** Multipart part size in bytes; at least 5 MiB (S3's minimum), 8 MiB by default. */
  readonly partSize?: number;
  /** `max-keys` of each ListObjectsV2 page (1–1000, 1000 by default). */
  readonly listPageSize?: number;
  /** Connection pool (undici); the global dispatcher when absent. */
  readonly dispatcher?: Dispatcher;
  /** Bound of the clean-up calls (AbortMultipartUpload) made after a put failed; 30 s by default. */
  readonly cleanupTimeoutMs?: number;
  readonly now?: () => Date;
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/** A non-success answer from S3 (its XML `Code` and `Message` when it sent them). */
export class S3RequestError extends Error {
  override readonly name = 'S3RequestError';
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly s3Code: string | null,
    message: string,
  ) {
    super(`S3 ${operation} failed: ${status}${s3Code === null ? '' : ` ${s3Code}`}${message === '' ? '' : `: ${message}`}`);
  }
}

type Query = Array<[string, string]>;

interface Call {
  readonly operation: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Object key without the store prefix, or null for a bucket-level call. */
  readonly key: string | null;
  readonly query?: Query;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  readonly signal: AbortSignal;
}

export class S3BlobStore implements BlobStore {
  readonly #endpoint: URL;
  readonly #opts: S3BlobStoreOptions;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #pathStyle: boolean;

  constructor(options: S3BlobStoreOptions) {
    this.#opts = options;
    this.#endpoint = new URL(options.endpoint);
    if (this.#endpoint.protocol !== 'http:' && this.#endpoint.protocol !== 'https:') {
      throw new Error(`S3 endpoint must be http(s): ${options.endpoint}`);
    }
    if (options.bucket === '' || /[/\s]/.test(options.bucket)) throw new Error(`invalid S3 bucket: ${options.bucket}`);
    const prefix = options.prefix ?? '';
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (this.#prefix !== '') validateBlobPrefix(this.#prefix);
    this.#partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(this.#partSize) || this.#partSize < MIN_PART_SIZE) {
      throw new Error(`S3 partSize must be an integer of at least ${MIN_PART_SIZE} bytes`);
    }
    this.#pathStyle = options.pathStyle ?? true;
  }

  async put(key: string, body: BlobBody, opts: BlobPutOptions): Promise<{ bytes: number }> {
    validateBlobKey(key);
    opts.signal.throwIfAborted();
    const contentType = opts.contentType ?? 'application/octet-stream';
    const parts = new PartBuffer(this.#partSize);
    const source = abortableBody(body, opts.signal)[Symbol.asyncIterator]();
    let uploadId: string | null = null;
    const etags: string[] = [];
    let bytes = 0;
    try {
      for (;;) {
        const next = await source.next();
        if (next.done === true) break;
        const chunk = next.value;
        bytes += chunk.length;
        parts.push(chunk);
        while (parts.full()) {
          uploadId ??= await this.#createMultipart(key, contentType, opts.signal);
          etags.push(await this.#uploadPart(key, uploadId, etags.length + 1, parts.view(), opts.signal));
          parts.drain();
        }
      }
      opts.signal.throwIfAborted();
      if (uploadId === null) {
        const payload = parts.view();
        await this.#send({
          operation: 'PutObject',
          method: 'PUT',
          key,
          headers: { 'content-type': contentType },
          body: payload,
          signal: opts.signal,
        });
        return { bytes };
      }
      const rest = parts.view();
      if (rest.length > 0) etags.push(await this.#uploadPart(key, uploadId, etags.length + 1, rest, opts.signal));
      await this.#completeMultipart(key, uploadId, etags, opts.signal);
      return { bytes };
    } catch (err) {
      await source.return(undefined).catch(() => {});
      if (uploadId !== null) await this.#abortMultipart(key, uploadId);
      throw err;
    }
  }

  async open(key: string, opts: BlobOpenOptions): Promise<Readable> {
    validateBlobKey(key);
    const start = opts.start ?? 0;
    const res = await this.#request({
      operation: 'GetObject',
      method: 'GET',
      key,
      ...(start > 0 ? { headers: { range: `bytes=${start}-` } } : {}),
      signal: opts.signal,
    });
    if (res.statusCode === 200 || res.statusCode === 206) return res.body;
    if (res.statusCode === 416) {
      await res.body.dump();
      // Past the end: empty, unless the object does not exist at all.
      if ((await this.stat(key)) === null) throw new BlobNotFoundError(key);
      return Readable.from([]);
    }
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new BlobNotFoundError(key);
    }
    throw await this.#failure('GetObject', res);
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    validateBlobKey(key);
    const res = await this.#request({ operation: 'HeadObject', method: 'HEAD', key, signal: this.#boundedSignal() });
    await res.body.dump();
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw new S3RequestError('HeadObject', res.statusCode, null, '');
    const length = Number(res.headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0) throw new S3RequestError('HeadObject', 200, null, 'no Content-Length');
    return { bytes: length };
  }

  async delete(key: string): Promise<void> {
    validateBlobKey(key);
    const res = await this.#request({ operation: 'DeleteObject', method: 'DELETE', key, signal: this.#boundedSignal() });
    if (res.statusCode === 404 || (res.statusCode >= 200 && res.statusCode < 300)) {
      await res.body.dump();
      return;
    }
    throw await this.#failure('DeleteObject', res);
  }

  async *list(prefix: string): AsyncIterable<string> {
    validateBlobPrefix(prefix);
    let token: string | null = null;
    const pageSize = this.#opts.listPageSize ?? 1000;
    do {
      const query: Query = [
        ['list-type', '2'],
        ['prefix', this.#prefix + prefix],
        ['max-keys', String(pageSize)],
      ];
      if (token !== null) query.push(['continuation-token', token]);
      const xml = (
        await this.#send({ operation: 'ListObjectsV2', method: 'GET', key: null, query, signal: this.#boundedSignal() })
      ).text;
      for (const match of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const full = xmlText(match[1] as string, 'Key');
        if (full !== null && full.startsWith(this.#prefix)) yield full.slice(this.#prefix.length);
      }
      token = xmlText(xml, 'IsTruncated') === 'true' ? xmlText(xml, 'NextContinuationToken') : null;
    } while (token !== null);
  }

  async #createMultipart(key: string, contentType: string, signal: AbortSignal): Promise<string> {
    const { text } = await this.#send({
      operation: 'CreateMultipartUpload',
      method: 'POST',
      key,
      query: [['uploads', '']],
      headers: { 'content-type': contentType },
      signal,
    });
    const id = xmlText(text, 'UploadId');
    if (id === null || id === '') throw new S3RequestError('CreateMultipartUpload', 200, null, 'no UploadId');
    return id;
  }

  async #uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, signal: AbortSignal): Promise<string> {
    if (partNumber > MAX_PARTS) throw new S3RequestError('UploadPart', 0, null, `more than ${MAX_PARTS} parts`);
    const { headers } = await this.#send({
      operation: 'UploadPart',
      method: 'PUT',
      key,
      query: [
        ['partNumber', String(partNumber)],
        ['uploadId', uploadId],
      ],
      body,
      signal,
    });
    const etag = headers['etag'];
    if (typeof etag !== 'string' || etag === '') throw new S3RequestError('UploadPart', 200, null, 'no ETag');
    return etag;
  }

  async #completeMultipart(key: string, uploadId: string, etags: string[], signal: AbortSignal): Promise<void> {
    const xml =
      '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`).join('') +
      '</CompleteMultipartUpload>';
    const { text } = await this.#send({
      operation: 'CompleteMultipartUpload',
      method: 'POST',
      key,
      query: [['uploadId', uploadId]],
      headers: { 'content-type': 'application/xml' },
      body: Buffer.from(xml, 'utf8'),
      signal,
    });
    // S3 may answer 200 and still fail: the error is then in the body.
    if (/<Error>/.test(text)) {
      throw new S3RequestError('CompleteMultipartUpload', 200, xmlText(text, 'Code'), xmlText(text, 'Message') ?? '');
    }
  }

  async #abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      const res = await this.#request({
        operation: 'AbortMultipartUpload',
        method: 'DELETE',
        key,
        query: [['uploadId', uploadId]],
        signal: this.#boundedSignal(),
      });
      await res.body.dump();
    } catch {
      // Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
    }
  }

  #boundedSignal(): AbortSignal {
    return AbortSignal.timeout(this.#opts.cleanupTimeoutMs ?? 30_000);
  }

  /** A call that must succeed (2xx); returns its headers and body text. */
  async #send(call: Call): Promise<{ headers: Record<string, string | string[] | undefined>; text: string }> {
    const res = await this.#request(call);
    if (res.statusCode < 200 || res.statusCode >= 300) throw await this.#failure(call.operation, res);
    return { headers: res.headers, text: await res.body.text() };
  }

  async #failure(operation: string, res: Dispatcher.ResponseData): Promise<S3RequestError> {
    const text = await res.body.text().catch(() => '');
    return new S3RequestError(operation, res.statusCode, xmlText(text, 'Code'), xmlText(text, 'Message') ?? '');
  }

  #request(call: Call): Promise<Dispatcher.ResponseData> {
    const objectPath = call.key === null ? '' : encodePath(this.#prefix + call.key);
    const base = this.#endpoint.pathname.replace(/\/+$/, '');
    let host = this.#endpoint.host;
    let path: string;
    if (this.#pathStyle) {
      path = `${base}/${encodePath(this.#opts.bucket)}${call.key === null ? '' : `/${objectPath}`}`;
    } else {
      host = `${this.#opts.bucket}.${host}`;
      path = `${base}/${objectPath}`;
    }
    const payloadHash = call.body === undefined ? EMPTY_SHA256 : sha256Hex(call.body);
    const signed = signRequest({
      method: call.method,
      path,
      query: call.query ?? [],
      headers: { host, ...(call.headers ?? {}) },
      payloadHash,
      region: this.#opts.region,
      credentials: this.#opts.credentials,
      now: this.#opts.now?.() ?? new Date(),
    });
    const url = `${this.#endpoint.protocol}//${host}${path}${signed.queryString === '' ? '' : `?${signed.queryString}`}`;
    return request(url, {
      method: call.method,
      headers: signed.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      signal: call.signal,
      ...(this.#opts.dispatcher === undefined ? {} : { dispatcher: this.#opts.dispatcher }),
    });
  }
}

/**
 * One part-sized buffer, reused for every part: chunks are copied in until it is full; what does
 * not fit waits (as a view of its chunk) until the full part has been sent and `drain()` is called.
 */
class PartBuffer {
  #buf: Buffer | null = null;
  #length = 0;
  #pending: Buffer | null = null;
  constructor(readonly size: number) {}
  /** Only while not `full()`. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#buf ??= Buffer.allocUnsafe(this.size);
    const n = Math.min(chunk.length, this.size - this.#length);
    chunk.copy(this.#buf, this.#length, 0, n);
    this.#length += n;
    this.#pending = n < chunk.length ? chunk.subarray(n) : null;
  }
  full(): boolean {
    return this.#length === this.size;
  }
  /** The bytes collected so far (a view: valid until the next `drain`/`push`). */
  view(): Buffer {
    return this.#buf === null ? Buffer.alloc(0) : this.#buf.subarray(0, this.#length);
  }
  /** Empties the part once it has been sent, then takes in what was waiting. */
  drain(): void {
    this.#length = 0;
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null) this.push(pending);
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlDecode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(parseInt(e.slice(1), 10))
        : (ENTITIES[e] as string),
  );
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The text of the first `<tag>` element (flat S3 response shapes need no more). */
function xmlText(xml: string, tag: string): string | null {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match === null ? null : xmlDecode(match[1] as string);
}
