/**
 * A fake Gemini Developer API batch mode + Files API (`reference/wire.md` §10), on 127.0.0.1, for
 * tests.
 *
 * It checks what the real API checks at the door: `x-goog-api-key` (or `?key=`; none → 403
 * `PERMISSION_DENIED`, a wrong one → 400 `INVALID_ARGUMENT` with reason `API_KEY_INVALID`, as
 * Google answers, or 401 `UNAUTHENTICATED` with `invalidKey: 'unauthenticated'`), create bodies
 * (`models/{model}:batchGenerateContent`, a `batch` with a `displayName` and exactly one of
 * `inputConfig.fileName` / `inputConfig.requests.requests`, each request a GenerateContentRequest
 * with `contents`; a `labels` field is refused with 400 like the real API), and the resumable
 * upload protocol (`start` → upload URL, then `upload` chunks at their offsets, each but the last a
 * multiple of the granularity, `upload, finalize` with exactly the announced length; `query`,
 * `cancel`). Errors are Google's `{error: {code, message, status}}`; int64s are strings and zero
 * counters are left out.
 *
 * Batches are driven by the test: `finish(id, …)` ends one, writing inline answers (inline
 * batches) or a responses file (file batches) of `echo: <last user text>` with usageMetadata;
 * `autoRun` runs a batch on its first read and ends it on the next. `:cancel` takes effect on the
 * second read after it (Google cancels asynchronously: the read right after still shows the old state).
 *
 *   const fake = await startFakeGemini({ autoRun: true });
 *   // deployment params: fake.params = { api_key, api_base }
 *   fake.batches(); fake.files(); fake.calls   // what arrived
 *   fake.failNext('create', { status: 429 });
 *   await fake.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, any>;

export const FAKE_GEMINI_KEY = 'AIzaFakeGeminiKey0123456789abcdefghij';

export type FakeGeminiState =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_FAILED'
  | 'BATCH_STATE_CANCELLED'
  | 'BATCH_STATE_EXPIRED';

export type FakeGeminiOperation = 'create' | 'get' | 'list' | 'cancel' | 'delete' | 'upload-start' | 'upload-chunk' | 'download' | 'file';

export interface FakeGeminiRequest {
  readonly key: string;
  readonly request: Json;
  /** Inline requests only: the metadata sent with it. */
  readonly metadata: Json | null;
}

export interface FakeGeminiBatch {
  readonly id: string;
  readonly name: string;
  readonly model: string;
  readonly displayName: string;
  /** `files/…` for a file batch, null for an inline one. */
  readonly fileName: string | null;
  readonly requests: readonly FakeGeminiRequest[];
  state: FakeGeminiState;
  readonly createTime: Date;
  updateTime: Date;
  endTime: Date | null;
  /** Set by `:cancel`: reads left before the batch shows CANCELLED. */
  cancelRequested: boolean;
  cancelReadsLeft: number;
  error: Json | null;
  /** Inline answers, or the responses file's name, once finished. */
  inlined: Json[] | null;
  responsesFile: string | null;
  stats: { requestCount: number; successful: number; failed: number; pending: number };
  reads: number;
}

export interface FakeGeminiFile {
  readonly name: string;
  readonly displayName: string;
  readonly mimeType: string;
  readonly source: 'UPLOADED' | 'GENERATED';
  content: Buffer;
  readonly createTime: Date;
}

export interface FinishOptions {
  /** The terminal state; default SUCCEEDED. */
  readonly state?: FakeGeminiState;
  /** A request that fails: its google.rpc Status. */
  readonly fail?: (request: Json, key: string) => { code: number; message: string } | null;
  /** Requests that get no answer at all (default: none when SUCCEEDED, all otherwise). */
  readonly omit?: (key: string) => boolean;
  /** Answers written twice. */
  readonly duplicate?: (key: string) => boolean;
  /** Inline answers without their `metadata` (position is then the only link). */
  readonly dropMetadata?: boolean;
  /** Responses file lines in reverse order. */
  readonly reverse?: boolean;
  /** FAILED: the batch's error. */
  readonly error?: { code: number; message: string };
  /** Adds thoughts and cached tokens to every answer's usage. */
  readonly thoughts?: number;
  readonly cached?: number;
}

export interface FakeGeminiOptions {
  readonly apiKey?: string;
  readonly autoRun?: boolean;
  /** `x-goog-upload-chunk-granularity` announced at start; default 8 MiB as Google does. */
  readonly chunkGranularity?: number;
  /** What a wrong key gets: Google's 400 API_KEY_INVALID (default) or a 401. */
  readonly invalidKey?: 'api_key_invalid' | 'unauthenticated';
  /** Largest inline create body; default 20 MB. */
  readonly inlineLimitBytes?: number;
}

export interface FakeGeminiCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: number;
}

interface Fault {
  readonly op: FakeGeminiOperation;
  count: number;
  readonly status: number;
  readonly message: string;
}

const GRPC_OF_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const TERMINAL = new Set<FakeGeminiState>(['BATCH_STATE_SUCCEEDED', 'BATCH_STATE_FAILED', 'BATCH_STATE_CANCELLED', 'BATCH_STATE_EXPIRED']);

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'application/octet-stream' : 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const googleError = (res: ServerResponse, status: number, message: string, details?: Json[]): void =>
  send(res, status, { error: { code: status, message, status: GRPC_OF_HTTP[status] ?? 'UNKNOWN', ...(details === undefined ? {} : { details }) } });

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const lastUserText = (request: Json): string => {
  const contents = Array.isArray(request['contents']) ? (request['contents'] as Json[]) : [];
  const users = contents.filter((c) => c['role'] === 'user' || c['role'] === undefined);
  const parts = (users[users.length - 1]?.['parts'] ?? []) as Json[];
  return parts.map((p) => (typeof p['text'] === 'string' ? p['text'] : '')).join('');
};

const id = (): string => randomBytes(8).toString('hex');

/** Why a GenerateContentRequest would be refused, or null. */
const requestProblem = (request: unknown, where: string): string | null => {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return `${where} must be a GenerateContentRequest object`;
  const r = request as Json;
  if ('labels' in r) return `Invalid JSON payload received. Unknown name "labels" at '${where}': Cannot find field.`;
  if (!Array.isArray(r['contents']) || r['contents'].length === 0) return `${where}.contents must not be empty`;
  return null;
};

export class FakeGemini {
  readonly calls: FakeGeminiCall[] = [];
  private readonly batchMap = new Map<string, FakeGeminiBatch>();
  private readonly fileMap = new Map<string, FakeGeminiFile>();
  private readonly uploads = new Map<string, { displayName: string; mimeType: string; total: number; received: Buffer[]; size: number; done: boolean }>();
  private readonly faults: Fault[] = [];
  readonly apiKey: string;
  url = '';

  constructor(private readonly options: FakeGeminiOptions = {}) {
    this.apiKey = options.apiKey ?? FAKE_GEMINI_KEY;
  }

  get params(): { api_key: string; api_base: string } {
    return { api_key: this.apiKey, api_base: this.url };
  }

  batches(): FakeGeminiBatch[] {
    return [...this.batchMap.values()];
  }

  batch(idOrName: string): FakeGeminiBatch {
    const batch = this.batchMap.get(idOrName.replace(/^batches\//, ''));
    if (batch === undefined) throw new Error(`no fake batch ${idOrName}`);
    return batch;
  }

  files(): FakeGeminiFile[] {
    return [...this.fileMap.values()];
  }

  /** Answers the next `count` calls of `op` with this status and a Google error body. */
  failNext(op: FakeGeminiOperation, fault: { status: number; message?: string; count?: number }): void {
    this.faults.push({ op, count: fault.count ?? 1, status: fault.status, message: fault.message ?? `Injected ${fault.status}.` });
  }

  /** Moves a batch to a state without answers (PENDING, RUNNING). */
  setState(name: string, state: FakeGeminiState): void {
    const batch = this.batch(name);
    batch.state = state;
    batch.updateTime = new Date();
  }

  finish(name: string, options: FinishOptions = {}): void {
    const batch = this.batch(name);
    const state = options.state ?? 'BATCH_STATE_SUCCEEDED';
    const now = new Date();
    batch.state = state;
    batch.updateTime = now;
    batch.endTime = now;
    if (state === 'BATCH_STATE_FAILED') {
      batch.error = { code: options.error?.code ?? 3, message: options.error?.message ?? 'The batch failed.' };
      batch.stats = { requestCount: batch.requests.length, successful: 0, failed: 0, pending: batch.requests.length };
      return;
    }
    const omit = options.omit ?? ((): boolean => state !== 'BATCH_STATE_SUCCEEDED');
    const answers: Json[] = [];
    let successful = 0;
    let failed = 0;
    for (const r of batch.requests) {
      if (omit(r.key)) continue;
      const failure = options.fail?.(r.request, r.key) ?? null;
      const text = `echo: ${lastUserText(r.request)}`;
      const prompt = lastUserText(r.request).length;
      const completion = text.length;
      const thoughts = options.thoughts ?? 0;
      const answer: Json =
        failure === null
          ? {
              response: {
                candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
                usageMetadata: {
                  promptTokenCount: prompt,
                  candidatesTokenCount: completion,
                  totalTokenCount: prompt + completion + thoughts,
                  ...(thoughts === 0 ? {} : { thoughtsTokenCount: thoughts }),
                  ...(options.cached === undefined ? {} : { cachedContentTokenCount: options.cached }),
                },
                modelVersion: batch.model.replace(/^models\//, ''),
                responseId: `resp-${batch.id}-${r.key}`,
              },
            }
          : { error: failure };
      if (failure === null) successful += 1;
      else failed += 1;
      const copies = options.duplicate?.(r.key) === true ? 2 : 1;
      for (let i = 0; i < copies; i++) answers.push({ key: r.key, ...answer });
    }
    batch.stats = { requestCount: batch.requests.length, successful, failed, pending: batch.requests.length - successful - failed };
    if (batch.fileName === null) {
      batch.inlined = answers.map(({ key, ...answer }) => ({ ...answer, ...(options.dropMetadata === true ? {} : { metadata: { key } }) }));
    } else {
      const lines = options.reverse === true ? [...answers].reverse() : answers;
      const file: FakeGeminiFile = {
        name: `files/batch-${batch.id}`,
        displayName: `responses of ${batch.name}`,
        mimeType: 'application/jsonl',
        source: 'GENERATED',
        content: Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join('')),
        createTime: now,
      };
      this.fileMap.set(file.name, file);
      batch.responsesFile = file.name;
    }
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) googleError(res, 500, String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private server: ReturnType<typeof createServer> | undefined;

  private batchJson(b: FakeGeminiBatch): Json {
    const stats: Json = {};
    const put = (key: string, n: number): void => {
      if (n !== 0) stats[key] = String(n);
    };
    put('requestCount', b.stats.requestCount);
    put('successfulRequestCount', b.stats.successful);
    put('failedRequestCount', b.stats.failed);
    put('pendingRequestCount', b.stats.pending);
    const output = b.inlined !== null ? { inlinedResponses: { inlinedResponses: b.inlined } } : b.responsesFile !== null ? { responsesFile: b.responsesFile } : null;
    return {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
      model: b.model,
      name: b.name,
      displayName: b.displayName,
      inputConfig: b.fileName !== null ? { fileName: b.fileName } : { requests: { requests: b.requests.map((r) => ({ request: r.request, ...(r.metadata === null ? {} : { metadata: r.metadata }) })) } },
      ...(output === null ? {} : { output }),
      createTime: b.createTime.toISOString(),
      ...(b.endTime === null ? {} : { endTime: b.endTime.toISOString() }),
      updateTime: b.updateTime.toISOString(),
      batchStats: stats,
      state: b.state,
    };
  }

  private operationJson(b: FakeGeminiBatch): Json {
    const done = TERMINAL.has(b.state);
    const output = b.inlined !== null ? { inlinedResponses: { inlinedResponses: b.inlined } } : b.responsesFile !== null ? { responsesFile: b.responsesFile } : null;
    return {
      name: b.name,
      metadata: this.batchJson(b),
      ...(done ? { done: true } : {}),
      ...(b.error !== null ? { error: b.error } : {}),
      ...(output === null ? {} : { response: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', ...output } }),
    };
  }

  private fileJson(f: FakeGeminiFile): Json {
    return {
      name: f.name,
      displayName: f.displayName,
      mimeType: f.mimeType,
      sizeBytes: String(f.content.length),
      createTime: f.createTime.toISOString(),
      updateTime: f.createTime.toISOString(),
      expirationTime: new Date(f.createTime.getTime() + 48 * 3600_000).toISOString(),
      uri: `${this.url}/v1beta/${f.name}`,
      state: 'ACTIVE',
      source: f.source,
    };
  }

  private fault(op: FakeGeminiOperation, res: ServerResponse): boolean {
    const fault = this.faults.find((f) => f.op === op && f.count > 0);
    if (fault === undefined) return false;
    fault.count -= 1;
    googleError(res, fault.status, fault.message);
    return true;
  }

  private authorised(req: IncomingMessage, url: URL, res: ServerResponse): boolean {
    const header = req.headers['x-goog-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('key');
    if (key === undefined || key === null || key === '') {
      googleError(res, 403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
      return false;
    }
    if (key !== this.apiKey) {
      if (this.options.invalidKey === 'unauthenticated') googleError(res, 401, 'Request had invalid authentication credentials.');
      else {
        googleError(res, 400, 'API key not valid. Please pass a valid API key.', [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
        ]);
      }
      return false;
    }
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    this.calls.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, headers, bytes: body.length });
    const path = url.pathname;
    const method = req.method ?? 'GET';

    // The upload URL carries its own session id; Google does not ask for the key again there.
    if (path === '/upload/v1beta/files' && url.searchParams.has('upload_id')) return this.uploadCommand(url, headers, body, res);
    if (!this.authorised(req, url, res)) return;

    if (method === 'POST' && path === '/upload/v1beta/files') return this.uploadStart(headers, body, res);
    let m = /^\/v1beta\/(models\/[^/:]+):batchGenerateContent$/.exec(path);
    if (method === 'POST' && m !== null) return this.create(m[1] ?? '', body, res);
    m = /^\/v1beta\/batches\/([A-Za-z0-9_-]+)(:cancel)?$/.exec(path);
    if (m !== null) {
      const batch = this.batchMap.get(m[1] ?? '');
      const op: FakeGeminiOperation = m[2] !== undefined ? 'cancel' : method === 'DELETE' ? 'delete' : 'get';
      if (this.fault(op, res)) return;
      if (batch === undefined) return googleError(res, 404, `Batch ${m[1]} not found.`);
      if (op === 'cancel' && method === 'POST') {
        if (!TERMINAL.has(batch.state)) {
          batch.cancelRequested = true;
          batch.cancelReadsLeft = 1;
        }
        return send(res, 200, {});
      }
      if (op === 'delete') {
        this.batchMap.delete(batch.id);
        return send(res, 200, {});
      }
      if (method === 'GET') return send(res, 200, this.operationJson(this.read(batch)));
    }
    if (method === 'GET' && path === '/v1beta/batches') {
      if (this.fault('list', res)) return;
      const all = this.batches().sort((a, b) => b.createTime.getTime() - a.createTime.getTime() || (a.id < b.id ? 1 : -1));
      const size = Math.min(Math.max(Number(url.searchParams.get('pageSize') ?? '50') || 50, 1), 1000);
      const start = Number(url.searchParams.get('pageToken') ?? '0') || 0;
      const page = all.slice(start, start + size);
      return send(res, 200, { operations: page.map((b) => this.operationJson(b)), ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}) });
    }
    m = /^\/(download\/)?v1beta\/(files\/[A-Za-z0-9_-]+)(:download)?$/.exec(path);
    if (m !== null) {
      const file = this.fileMap.get(m[2] ?? '');
      const download = m[3] !== undefined;
      if (this.fault(download ? 'download' : 'file', res)) return;
      if (file === undefined) return googleError(res, 404, `File ${m[2]} not found.`);
      if (download) {
        if (file.source !== 'GENERATED') return googleError(res, 400, 'Only generated files can be downloaded.');
        return send(res, 200, file.content.toString('utf8'));
      }
      if (method === 'DELETE') {
        this.fileMap.delete(file.name);
        return send(res, 200, {});
      }
      return send(res, 200, this.fileJson(file));
    }
    googleError(res, 404, `No route for ${method} ${path}.`);
  }

  /** A read moves an autoRun batch along, and makes a requested cancel take effect. */
  private read(batch: FakeGeminiBatch): FakeGeminiBatch {
    batch.reads += 1;
    if (batch.cancelRequested && !TERMINAL.has(batch.state)) {
      if (batch.cancelReadsLeft > 0) batch.cancelReadsLeft -= 1;
      else this.finish(batch.name, { state: 'BATCH_STATE_CANCELLED' });
    } else if (this.options.autoRun === true && !TERMINAL.has(batch.state)) {
      if (batch.state === 'BATCH_STATE_PENDING') this.setState(batch.name, 'BATCH_STATE_RUNNING');
      else this.finish(batch.name);
    }
    return batch;
  }

  private create(model: string, raw: Buffer, res: ServerResponse): void {
    if (this.fault('create', res)) return;
    if (raw.length > (this.options.inlineLimitBytes ?? 20_000_000)) return googleError(res, 400, 'Request payload size exceeds the limit: 20971520 bytes.');
    let parsed: Json;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as Json;
    } catch {
      return googleError(res, 400, 'Invalid JSON payload received.');
    }
    const batch = parsed['batch'] as Json | undefined;
    if (typeof batch !== 'object' || batch === null) return googleError(res, 400, 'batch is required.');
    if (batch['model'] !== undefined && batch['model'] !== model) return googleError(res, 400, `batch.model must be ${model}.`);
    if (typeof batch['displayName'] !== 'string' || batch['displayName'] === '') return googleError(res, 400, 'batch.display_name is required.');
    const input = (batch['inputConfig'] ?? {}) as Json;
    const hasFile = typeof input['fileName'] === 'string';
    const hasRequests = input['requests'] !== undefined;
    if (hasFile === hasRequests) return googleError(res, 400, 'batch.input_config must have exactly one of file_name or requests.');
    const requests: FakeGeminiRequest[] = [];
    if (hasRequests) {
      const list = (input['requests'] as Json)['requests'];
      if (!Array.isArray(list) || list.length === 0) return googleError(res, 400, 'batch.input_config.requests.requests must not be empty.');
      for (const [i, item] of (list as Json[]).entries()) {
        const problem = requestProblem(item['request'], `batch.input_config.requests.requests[${i}].request`);
        if (problem !== null) return googleError(res, 400, problem);
        const metadata = (item['metadata'] ?? null) as Json | null;
        requests.push({ key: typeof metadata?.['key'] === 'string' ? metadata['key'] : String(i + 1), request: item['request'] as Json, metadata });
      }
    } else {
      const file = this.fileMap.get(input['fileName'] as string);
      if (file === undefined) return googleError(res, 404, `File ${String(input['fileName'])} not found.`);
      const lines = file.content.toString('utf8').split('\n').filter((l) => l.trim() !== '');
      for (const [i, line] of lines.entries()) {
        let record: Json;
        try {
          record = JSON.parse(line) as Json;
        } catch {
          return googleError(res, 400, `Line ${i + 1} of the input file is not JSON.`);
        }
        const problem = requestProblem(record['request'], `line ${i + 1}: request`);
        if (problem !== null) return googleError(res, 400, problem);
        requests.push({ key: String(record['key'] ?? i + 1), request: record['request'] as Json, metadata: null });
      }
    }
    const now = new Date();
    const batchId = id();
    const created: FakeGeminiBatch = {
      id: batchId,
      name: `batches/${batchId}`,
      model,
      displayName: batch['displayName'] as string,
      fileName: hasFile ? (input['fileName'] as string) : null,
      requests,
      state: 'BATCH_STATE_PENDING',
      createTime: now,
      updateTime: now,
      endTime: null,
      cancelRequested: false,
      cancelReadsLeft: 0,
      error: null,
      inlined: null,
      responsesFile: null,
      stats: { requestCount: requests.length, successful: 0, failed: 0, pending: requests.length },
      reads: 0,
    };
    this.batchMap.set(batchId, created);
    send(res, 200, { name: created.name, metadata: this.batchJson(created) });
  }

  private uploadStart(headers: Record<string, string>, body: Buffer, res: ServerResponse): void {
    if (this.fault('upload-start', res)) return;
    if (headers['x-goog-upload-protocol'] !== 'resumable' || headers['x-goog-upload-command'] !== 'start') {
      return googleError(res, 400, 'Only resumable uploads are supported by this fake (X-Goog-Upload-Protocol: resumable, X-Goog-Upload-Command: start).');
    }
    const total = Number(headers['x-goog-upload-header-content-length']);
    if (!Number.isInteger(total) || total < 0) return googleError(res, 400, 'X-Goog-Upload-Header-Content-Length is required.');
    let displayName = '';
    try {
      const meta = JSON.parse(body.toString('utf8') || '{}') as Json;
      displayName = String((meta['file'] as Json | undefined)?.['displayName'] ?? (meta['file'] as Json | undefined)?.['display_name'] ?? '');
    } catch {
      return googleError(res, 400, 'Invalid JSON payload received.');
    }
    const uploadId = id();
    this.uploads.set(uploadId, { displayName, mimeType: headers['x-goog-upload-header-content-type'] ?? 'application/octet-stream', total, received: [], size: 0, done: false });
    send(res, 200, '', {
      'x-goog-upload-url': `${this.url}/upload/v1beta/files?upload_id=${uploadId}&upload_protocol=resumable`,
      'x-goog-upload-status': 'active',
      'x-goog-upload-chunk-granularity': String(this.options.chunkGranularity ?? 8 * 1024 * 1024),
    });
  }

  private uploadCommand(url: URL, headers: Record<string, string>, body: Buffer, res: ServerResponse): void {
    const upload = this.uploads.get(url.searchParams.get('upload_id') ?? '');
    if (upload === undefined) return googleError(res, 404, 'No such upload session.');
    const command = (headers['x-goog-upload-command'] ?? '').split(',').map((c) => c.trim());
    const status = (s: string): Record<string, string> => ({ 'x-goog-upload-status': s, 'x-goog-upload-size-received': String(upload.size) });
    if (command.includes('query')) return send(res, 200, '', status(upload.done ? 'final' : 'active'));
    if (command.includes('cancel')) {
      this.uploads.delete(url.searchParams.get('upload_id') ?? '');
      return send(res, 200, '', { 'x-goog-upload-status': 'cancelled' });
    }
    if (!command.includes('upload')) return googleError(res, 400, 'Unknown X-Goog-Upload-Command.');
    if (this.fault('upload-chunk', res)) return;
    if (upload.done) return googleError(res, 400, 'The upload is already finalized.');
    if (Number(headers['x-goog-upload-offset']) !== upload.size) return googleError(res, 400, `X-Goog-Upload-Offset must be ${upload.size}.`);
    const finalize = command.includes('finalize');
    const granularity = this.options.chunkGranularity ?? 8 * 1024 * 1024;
    if (!finalize && body.length % granularity !== 0) return googleError(res, 400, `A chunk that does not finalize must be a multiple of ${granularity} bytes.`);
    upload.received.push(body);
    upload.size += body.length;
    if (!finalize) return send(res, 200, '', status('active'));
    if (upload.size !== upload.total) return googleError(res, 400, `The upload has ${upload.size} bytes, not the ${upload.total} announced.`);
    upload.done = true;
    const file: FakeGeminiFile = {
      name: `files/${id()}`,
      displayName: upload.displayName,
      mimeType: upload.mimeType,
      source: 'UPLOADED',
      content: Buffer.concat(upload.received),
      createTime: new Date(),
    };
    this.fileMap.set(file.name, file);
    send(res, 200, { file: this.fileJson(file) }, status('final'));
  }
}

export const startFakeGemini = async (options: FakeGeminiOptions = {}): Promise<FakeGemini> => {
  const fake = new FakeGemini(options);
  await fake.start();
  return fake;
};

/** The same, under the name the other clouds' fakes use. */
export const startGeminiFakes = startFakeGemini;
