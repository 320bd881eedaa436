/**
 * A fake S3-compatible server for tests: real HTTP on 127.0.0.1 (ephemeral port), path-style
 * addressing, objects in memory. It verifies the SigV4 signature of every request from the raw
 * request it received (its own canonicalisation, not the client's), checks signed payload hashes,
 * answers with S3's XML shapes, and can inject faults. Operations: PutObject, GetObject (Range),
 * HeadObject, DeleteObject, ListObjectsV2 (continuation tokens, `pageSize` cap),
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeS3Operation =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'ListObjectsV2'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload';

export type FakeS3Fault = { kind: 'status'; status: number; code?: string } | { kind: 'reset' };

export interface FakeS3Options {
  readonly bucket?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** When set, every request must carry (and sign) this `x-amz-security-token`. */
  readonly sessionToken?: string;
  /** Largest ListObjectsV2 page, whatever `max-keys` asks (S3's is 1000). */
  readonly pageSize?: number;
  /** Allowed clock skew of `x-amz-date` (S3: 15 minutes). */
  readonly maxSkewMs?: number;
}

interface Upload {
  readonly key: string;
  readonly parts: Map<number, { etag: string; data: Buffer }>;
}

export interface FakeS3Stats {
  readonly requests: Record<string, number>;
  readonly signatureFailures: number;
  readonly multipartCompleted: number;
  readonly multipartAborted: number;
  /** The largest request body received: what a client held in memory for one request, at least. */
  readonly maxBodyBytes: number;
}

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const uriEncode = (v: string): string =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (d: string | Buffer): string => createHash('sha256').update(d).digest('hex');
const hmac = (k: string | Buffer, d: string): Buffer => createHmac('sha256', k).update(d, 'utf8').digest();
const esc = (t: string): string =>
  t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeS3 {
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly objects = new Map<string, { data: Buffer; etag: string; contentType: string }>();
  readonly uploads = new Map<string, Upload>();
  readonly #opts: FakeS3Options;
  readonly #faults: Array<{ op: FakeS3Operation; fault: FakeS3Fault; skip: number }> = [];
  readonly #requests: Record<string, number> = {};
  #signatureFailures = 0;
  #completed = 0;
  #aborted = 0;
  #maxBody = 0;
  #server: Server | null = null;
  endpoint = '';

  constructor(options: FakeS3Options = {}) {
    this.#opts = options;
    this.bucket = options.bucket ?? 'test-bucket';
    this.region = options.region ?? 'us-east-1';
    this.accessKeyId = options.accessKeyId ?? 'AKIAFAKES3TEST';
    this.secretAccessKey = options.secretAccessKey ?? randomBytes(20).toString('base64');
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.#error(res, 500, 'InternalError', String(err));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A coming request of `op` fails this way: the next one, or the one after `skip` more (faults queue up in order). */
  failNext(op: FakeS3Operation, fault: FakeS3Fault, options: { skip?: number } = {}): void {
    this.#faults.push({ op, fault, skip: options.skip ?? 0 });
  }

  stats(): FakeS3Stats {
    return {
      requests: { ...this.#requests },
      signatureFailures: this.#signatureFailures,
      multipartCompleted: this.#completed,
      multipartAborted: this.#aborted,
      maxBodyBytes: this.#maxBody,
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const query = rawQuery === '' ? [] : rawQuery.split('&').map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0
        ? ([decodeURIComponent(pair), ''] as const)
        : ([decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))] as const);
    });
    const params = new Map(query);
    const segments = rawPath.split('/').slice(1).map((s) => decodeURIComponent(s));
    const bucket = segments[0] ?? '';
    const key = segments.slice(1).join('/');
    const method = req.method ?? 'GET';
    const op = this.#operation(method, key, params);
    this.#requests[op] = (this.#requests[op] ?? 0) + 1;

    const body = await readBody(req);
    if (body === null) return; // the client went away mid-request: nothing is stored
    this.#maxBody = Math.max(this.#maxBody, body.length);

    try {
      this.#verify(req, method, segments, query, body);
    } catch (err) {
      if (err instanceof S3Failure) {
        if (err.code === 'SignatureDoesNotMatch') this.#signatureFailures++;
        return this.#error(res, err.status, err.code, err.message);
      }
      throw err;
    }

    const faultAt = this.#faults.findIndex((f) => f.op === op);
    if (faultAt >= 0 && this.#faults[faultAt]!.skip > 0) {
      this.#faults[faultAt]!.skip--;
    } else if (faultAt >= 0) {
      const fault = this.#faults.splice(faultAt, 1)[0]!.fault;
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      return this.#error(res, fault.status, fault.code ?? 'InternalError', 'injected fault');
    }

    if (bucket !== this.bucket) return this.#error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const send = (status: number, xml: string | null, headers: Record<string, string> = {}): void => {
      res.writeHead(status, xml === null ? headers : { 'content-type': 'application/xml', ...headers });
      res.end(xml === null ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };

    switch (op) {
      case 'PutObject': {
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        this.objects.set(key, { data: body, etag, contentType: header(req, 'content-type') ?? 'binary/octet-stream' });
        return send(200, null, { etag });
      }
      case 'HeadObject':
      case 'GetObject': {
        const obj = this.objects.get(key);
        if (obj === undefined) {
          if (op === 'HeadObject') return send(404, null);
          return this.#error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        }
        const common = { etag: obj.etag, 'content-type': obj.contentType, 'accept-ranges': 'bytes' };
        if (op === 'HeadObject') {
          res.writeHead(200, { ...common, 'content-length': String(obj.data.length) });
          return void res.end();
        }
        const range = header(req, 'range');
        if (range !== undefined) {
          const m = /^bytes=(\d+)-$/.exec(range);
          if (m === null) return this.#error(res, 400, 'InvalidArgument', 'unsupported Range');
          const start = Number(m[1]);
          if (start >= obj.data.length) return this.#error(res, 416, 'InvalidRange', 'The requested range is not satisfiable');
          res.writeHead(206, {
            ...common,
            'content-length': String(obj.data.length - start),
            'content-range': `bytes ${start}-${obj.data.length - 1}/${obj.data.length}`,
          });
          return void res.end(obj.data.subarray(start));
        }
        res.writeHead(200, { ...common, 'content-length': String(obj.data.length) });
        return void res.end(obj.data);
      }
      case 'DeleteObject':
        this.objects.delete(key);
        return send(204, null);
      case 'ListObjectsV2': {
        const prefix = params.get('prefix') ?? '';
        const maxKeys = Math.min(Number(params.get('max-keys') ?? 1000), this.#opts.pageSize ?? 1000);
        const token = params.get('continuation-token');
        const after = token === undefined ? null : Buffer.from(token, 'base64url').toString('utf8');
        const keys = [...this.objects.keys()]
          .filter((k) => k.startsWith(prefix) && (after === null || Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0))
          .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const page = keys.slice(0, maxKeys);
        const truncated = keys.length > page.length;
        const contents = page
          .map((k) => {
            const o = this.objects.get(k)!;
            return `<Contents><Key>${esc(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${esc(o.etag)}</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
          })
          .join('');
        return send(
          200,
          `<ListBucketResult xmlns="${S3_NS}"><Name>${esc(bucket)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
            `<IsTruncated>${truncated}</IsTruncated>${token === undefined ? '' : `<ContinuationToken>${esc(token)}</ContinuationToken>`}` +
            (truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64url')}</NextContinuationToken>` : '') +
            `${contents}</ListBucketResult>`,
        );
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomBytes(16).toString('hex');
        this.uploads.set(uploadId, { key, parts: new Map() });
        return send(
          200,
          `<InitiateMultipartUploadResult xmlns="${S3_NS}"><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case 'UploadPart': {
        const upload = this.#upload(res, params, key);
        if (upload === null) return;
        const n = Number(params.get('partNumber'));
        if (!Number.isInteger(n) || n < 1 || n > 10_000) return this.#error(res, 400, 'InvalidArgument', 'bad partNumber');
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        upload.parts.set(n, { etag, data: body });
        return send(200, null, { etag });
      }
      case 'CompleteMultipartUpload': {
        const upload = this.#upload(res, params, key);
        if (upload === null) return;
        const xml = body.toString('utf8');
        const listed = [...xml.matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([^<]*)<\/ETag>\s*<\/Part>/g)].map(
          (m) => ({ n: Number(m[1]), etag: (m[2] as string).replace(/&quot;/g, '"') }),
        );
        if (listed.length === 0) return this.#error(res, 400, 'MalformedXML', 'no parts');
        const datas: Buffer[] = [];
        let previous = 0;
        for (const { n, etag } of listed) {
          const part = upload.parts.get(n);
          if (n <= previous) return this.#error(res, 400, 'InvalidPartOrder', 'parts out of order');
          if (part === undefined || part.etag !== etag) return this.#error(res, 400, 'InvalidPart', `part ${n}`);
          previous = n;
          datas.push(part.data);
        }
        const md5s = listed.map(({ n }) => Buffer.from(upload.parts.get(n)!.etag.slice(1, -1), 'hex'));
        const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${listed.length}"`;
        this.objects.set(key, { data: Buffer.concat(datas), etag, contentType: 'binary/octet-stream' });
        this.uploads.delete(params.get('uploadId')!);
        this.#completed++;
        return send(
          200,
          `<CompleteMultipartUploadResult xmlns="${S3_NS}"><Location>${esc(this.endpoint)}/${esc(bucket)}/${esc(key)}</Location><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(etag)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
      case 'AbortMultipartUpload': {
        const upload = this.#upload(res, params, key);
        if (upload === null) return;
        this.uploads.delete(params.get('uploadId')!);
        this.#aborted++;
        return send(204, null);
      }
    }
  }

  #operation(method: string, key: string, params: Map<string, string>): FakeS3Operation | 'Unknown' {
    if (key === '') return method === 'GET' && params.get('list-type') === '2' ? 'ListObjectsV2' : 'Unknown';
    if (method === 'POST' && params.has('uploads')) return 'CreateMultipartUpload';
    if (method === 'POST' && params.has('uploadId')) return 'CompleteMultipartUpload';
    if (method === 'PUT' && params.has('uploadId')) return 'UploadPart';
    if (method === 'DELETE' && params.has('uploadId')) return 'AbortMultipartUpload';
    if (method === 'PUT') return 'PutObject';
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'DELETE') return 'DeleteObject';
    return 'Unknown';
  }

  #upload(res: ServerResponse, params: Map<string, string>, key: string): Upload | null {
    const upload = this.uploads.get(params.get('uploadId') ?? '');
    if (upload === undefined || upload.key !== key) {
      this.#error(res, 404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
      return null;
    }
    return upload;
  }

  /** Recomputes the SigV4 signature from the request as received; throws S3Failure on mismatch. */
  #verify(
    req: IncomingMessage,
    method: string,
    segments: string[],
    query: ReadonlyArray<readonly [string, string]>,
    body: Buffer,
  ): void {
    const auth = header(req, 'authorization');
    const m = auth === undefined ? null : /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (m === null) throw new S3Failure(403, 'AccessDenied', 'missing or malformed Authorization');
    const [, accessKey, date, region, signedList, signature] = m as unknown as [string, string, string, string, string, string];
    if (accessKey !== this.accessKeyId) throw new S3Failure(403, 'InvalidAccessKeyId', 'unknown access key');
    if (region !== this.region) throw new S3Failure(400, 'AuthorizationHeaderMalformed', `region ${region}`);
    const stamp = header(req, 'x-amz-date') ?? '';
    if (!/^\d{8}T\d{6}Z$/.test(stamp) || stamp.slice(0, 8) !== date) throw new S3Failure(403, 'AccessDenied', 'bad x-amz-date');
    const when = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(9, 11), +stamp.slice(11, 13), +stamp.slice(13, 15));
    if (Math.abs(Date.now() - when) > (this.#opts.maxSkewMs ?? 15 * 60_000)) throw new S3Failure(403, 'RequestTimeTooSkewed', 'skew');
    const signed = signedList.split(';');
    for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
      if (!signed.includes(required)) throw new S3Failure(403, 'SignatureDoesNotMatch', `${required} not signed`);
    }
    if (this.#opts.sessionToken !== undefined) {
      if (header(req, 'x-amz-security-token') !== this.#opts.sessionToken || !signed.includes('x-amz-security-token')) {
        throw new S3Failure(403, 'InvalidToken', 'bad security token');
      }
    }
    const payloadHash = header(req, 'x-amz-content-sha256') ?? '';
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) {
      throw new S3Failure(400, 'XAmzContentSHA256Mismatch', 'payload hash mismatch');
    }
    const canonicalUri = `/${segments.map(uriEncode).join('/')}`;
    const canonicalQueryString = query
      .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const canonicalHeaders = signed
      .map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
      .join('');
    const canonicalRequest = [method, canonicalUri, canonicalQueryString, canonicalHeaders, signedList, payloadHash].join('\n');
    const scope = `${date}/${region}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${this.secretAccessKey}`, date), region), 's3'), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new S3Failure(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
  }

  #error(res: ServerResponse, status: number, code: string, message: string): void {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
    res.end(xml);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The whole request body, or null when the client aborted before sending it all. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
    req.on('aborted', () => resolve(null));
  });
}
