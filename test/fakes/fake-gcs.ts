/**
 * A fake GCS JSON API for tests (`reference/wire.md` §4.6): real HTTP on 127.0.0.1, objects in
 * memory. Simple upload (`uploadType=media`), resumable upload (session `Location`, chunk `PUT`s
 * with `Content-Range`, `308` + `Range`, status queries `bytes *\/*`, non-final chunks a
 * multiple of 256 KiB), metadata, download (`alt=media`), list (prefix, pageToken, maxResults)
 * and delete. Every request must carry a Bearer token the fake OAuth server issued and that has
 * not expired. Errors use Google's envelope and, like GCS, name the bucket and object (so tests
 * can check that the adapter keeps them from clients). Faults queue up per operation.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { bearerOf, closeServer, googleError, listen, readBody, sendJson, type GoogleFault } from './fake-google-oauth.js';

export type FakeGcsOperation = 'simple-upload' | 'resumable-start' | 'chunk' | 'cancel-upload' | 'metadata' | 'download' | 'list' | 'delete';

/** `partial`: a chunk persists only its first 256 KiB, then the request fails with `status`. */
export type FakeGcsFault = GoogleFault | { kind: 'partial'; status: number };

export const CHUNK_UNIT = 256 * 1024;

export interface StoredObject {
  readonly bucket: string;
  readonly name: string;
  readonly data: Buffer;
  readonly contentType: string;
  readonly timeCreated: string;
  readonly generation: string;
}

interface Session {
  readonly bucket: string;
  readonly name: string;
  readonly contentType: string;
  parts: Buffer[];
  received: number;
  done: boolean;
}

export interface FakeGcsOptions {
  /** Whether a bearer token is good (the OAuth fake's `isValid`); every token is when absent. */
  readonly auth?: (token: string) => boolean;
  /** Largest list page, whatever `maxResults` asks. */
  readonly pageSize?: number;
  readonly now?: () => number;
}

export class FakeGcs {
  readonly objects = new Map<string, StoredObject>();
  readonly requests: Record<string, number> = {};
  /** Chunk PUTs received, with their Content-Range. */
  readonly chunkRanges: string[] = [];
  /** The largest request body received: what a client held for one request, at least. */
  maxBodyBytes = 0;
  /** Resumable sessions the client cancelled (`DELETE` on the session URI). */
  cancelledUploads = 0;
  readonly #sessions = new Map<string, Session>();
  readonly #faults: Array<{ op: FakeGcsOperation; fault: FakeGcsFault; skip: number }> = [];
  readonly #opts: FakeGcsOptions;
  #server: Server | null = null;
  url = '';

  constructor(options: FakeGcsOptions = {}) {
    this.#opts = options;
  }

  async start(): Promise<this> {
    const { server, url } = await listen((req, res) => this.#handle(req, res));
    this.#server = server;
    this.url = url;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    await closeServer(server);
  }

  /** A coming request of `op` fails this way: the next one, or the one after `skip` more. */
  failNext(op: FakeGcsOperation, fault: FakeGcsFault, options: { skip?: number } = {}): void {
    this.#faults.push({ op, fault, skip: options.skip ?? 0 });
  }

  put(bucket: string, name: string, data: Buffer | string, contentType = 'application/jsonl'): StoredObject {
    const object: StoredObject = {
      bucket,
      name,
      data: Buffer.isBuffer(data) ? data : Buffer.from(data),
      contentType,
      timeCreated: new Date((this.#opts.now ?? Date.now)()).toISOString(),
      generation: String(Date.now() * 1000 + Math.floor(Math.random() * 1000)),
    };
    this.objects.set(`${bucket}/${name}`, object);
    return object;
  }

  get(bucket: string, name: string): StoredObject | undefined {
    return this.objects.get(`${bucket}/${name}`);
  }

  /** `gs://bucket/name` → the object. */
  getUri(uri: string): StoredObject | undefined {
    const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
    return match === null ? undefined : this.get(match[1] ?? '', match[2] ?? '');
  }

  #resource(o: StoredObject): Record<string, unknown> {
    return {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      selfLink: `${this.url}/storage/v1/b/${o.bucket}/o/${encodeURIComponent(o.name)}`,
      mediaLink: `${this.url}/download/storage/v1/b/${o.bucket}/o/${encodeURIComponent(o.name)}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket: o.bucket,
      generation: o.generation,
      contentType: o.contentType,
      size: String(o.data.length),
      md5Hash: createHash('md5').update(o.data).digest('base64'),
      timeCreated: o.timeCreated,
      updated: o.timeCreated,
    };
  }

  #takeFault(op: FakeGcsOperation): FakeGcsFault | undefined {
    const index = this.#faults.findIndex((f) => f.op === op);
    if (index < 0) return undefined;
    const entry = this.#faults[index];
    if (entry === undefined) return undefined;
    if (entry.skip > 0) {
      entry.skip--;
      return undefined;
    }
    this.#faults.splice(index, 1);
    return entry.fault;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const segments = url.pathname.split('/').map((s) => decodeURIComponent(s));
    const body = await readBody(req);
    this.maxBodyBytes = Math.max(this.maxBodyBytes, body.length);
    const token = bearerOf(req);
    if (token === null || !(this.#opts.auth?.(token) ?? true)) {
      return googleError(res, 401, 'Invalid Credentials', 'UNAUTHENTICATED');
    }
    const op = this.#operation(req.method ?? 'GET', segments, url);
    if (op === null) return googleError(res, 404, `Not Found: ${url.pathname}`);
    this.requests[op] = (this.requests[op] ?? 0) + 1;
    const fault = this.#takeFault(op);
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'status') return sendJson(res, fault.status, fault.body ?? { error: { code: fault.status, message: 'Backend Error' } });
    const bucket = (segments[1] === 'upload' ? segments[5] : segments[4]) ?? '';
    switch (op) {
      case 'simple-upload': {
        const name = url.searchParams.get('name') ?? '';
        if (name === '') return googleError(res, 400, 'Required parameter: name');
        return sendJson(res, 200, this.#resource(this.put(bucket, name, body, String(req.headers['content-type'] ?? 'application/octet-stream'))));
      }
      case 'resumable-start': {
        const name = url.searchParams.get('name') ?? '';
        if (name === '') return googleError(res, 400, 'Required parameter: name');
        const id = randomBytes(16).toString('base64url');
        const contentType = String(req.headers['x-upload-content-type'] ?? 'application/octet-stream');
        this.#sessions.set(id, { bucket, name, contentType, parts: [], received: 0, done: false });
        const location = `${this.url}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
        return sendJson(res, 200, null, { location, 'x-guploader-uploadid': id });
      }
      case 'chunk':
        return this.#chunk(req, res, url, body, fault);
      case 'cancel-upload': {
        // GCS answers a cancelled session with 499 Client Closed Request.
        const deleted = this.#sessions.delete(url.searchParams.get('upload_id') ?? '');
        if (deleted) this.cancelledUploads++;
        return deleted ? sendJson(res, 499, null) : googleError(res, 404, 'No such upload session');
      }
      case 'metadata':
      case 'download':
      case 'delete': {
        const name = segments[6] ?? '';
        const object = this.get(bucket, name);
        if (object === undefined) return googleError(res, 404, `No such object: ${bucket}/${name}`);
        if (op === 'delete') {
          this.objects.delete(`${bucket}/${name}`);
          return sendJson(res, 204, null);
        }
        if (op === 'metadata') return sendJson(res, 200, this.#resource(object));
        res.writeHead(200, { 'content-type': object.contentType, 'content-length': object.data.length });
        return void res.end(object.data);
      }
      case 'list':
        return this.#list(res, bucket, url);
    }
  }

  #operation(method: string, s: string[], url: URL): FakeGcsOperation | null {
    // /upload/storage/v1/b/{bucket}/o
    if (s[1] === 'upload' && s[2] === 'storage' && s[4] === 'b' && s[6] === 'o' && s.length === 7) {
      const type = url.searchParams.get('uploadType');
      if (method === 'PUT' && url.searchParams.has('upload_id')) return 'chunk';
      if (method === 'DELETE' && url.searchParams.has('upload_id')) return 'cancel-upload';
      if (method === 'POST' && type === 'media') return 'simple-upload';
      if (method === 'POST' && type === 'resumable') return 'resumable-start';
      return null;
    }
    // /storage/v1/b/{bucket}/o[/{object}]
    if (s[1] !== 'storage' || s[3] !== 'b' || s[5] !== 'o') return null;
    if (s.length === 6) return method === 'GET' ? 'list' : null;
    if (s.length !== 7) return null;
    if (method === 'DELETE') return 'delete';
    if (method === 'GET') return url.searchParams.get('alt') === 'media' ? 'download' : 'metadata';
    return null;
  }

  #chunk(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, fault: FakeGcsFault | undefined): void {
    const session = this.#sessions.get(url.searchParams.get('upload_id') ?? '');
    if (session === undefined) return googleError(res, 404, 'No such upload session');
    const range = String(req.headers['content-range'] ?? '');
    this.chunkRanges.push(range);
    const incomplete = (): void =>
      sendJson(res, 308, null, session.received === 0 ? {} : { range: `bytes=0-${session.received - 1}` });
    const finish = (): void => {
      session.done = true;
      const object = this.put(session.bucket, session.name, Buffer.concat(session.parts), session.contentType);
      sendJson(res, 200, this.#resource(object));
    };
    const query = /^bytes \*\/(\*|\d+)$/.exec(range);
    if (query !== null) {
      if (body.length !== 0) return googleError(res, 400, 'A status query has no body');
      if (query[1] !== '*' && Number(query[1]) === session.received) return finish();
      return incomplete();
    }
    const match = /^bytes (\d+)-(\d+)\/(\*|\d+)$/.exec(range);
    if (match === null) return googleError(res, 400, `Invalid Content-Range: ${range}`);
    const first = Number(match[1]);
    const last = Number(match[2]);
    const total = match[3] === '*' ? null : Number(match[3]);
    if (last - first + 1 !== body.length) return googleError(res, 400, 'Content-Range does not match the body length');
    if (first > session.received) return googleError(res, 400, `Chunk starts at ${first} but only ${session.received} bytes were received`);
    const isFinal = total !== null && last + 1 === total;
    if (!isFinal && (last + 1) % CHUNK_UNIT !== 0) return googleError(res, 400, 'A non-final chunk must end on a multiple of 256 KiB');
    let fresh = body.subarray(session.received - first);
    if (fault?.kind === 'partial') {
      // Keep whole units only, as GCS does, then fail.
      fresh = fresh.subarray(0, Math.min(fresh.length, CHUNK_UNIT));
      session.parts.push(fresh);
      session.received += fresh.length;
      return sendJson(res, fault.status, { error: { code: fault.status, message: 'Backend Error' } });
    }
    session.parts.push(fresh);
    session.received += fresh.length;
    return isFinal ? finish() : incomplete();
  }

  #list(res: ServerResponse, bucket: string, url: URL): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const max = Math.min(Number(url.searchParams.get('maxResults') ?? '1000') || 1000, this.#opts.pageSize ?? 1000);
    const start = Number(url.searchParams.get('pageToken') ?? '0');
    const names = [...this.objects.values()].filter((o) => o.bucket === bucket && o.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const page = names.slice(start, start + max);
    const next = start + max < names.length ? String(start + max) : undefined;
    sendJson(res, 200, { kind: 'storage#objects', items: page.map((o) => this.#resource(o)), ...(next === undefined ? {} : { nextPageToken: next }) });
  }
}
