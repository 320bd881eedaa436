/**
 * A fake Vertex AI batch prediction API for tests (`reference/wire.md` §4.1–4.5): real HTTP on
 * 127.0.0.1. `batchPredictionJobs` create / get / list (filter on create time, pageToken) /
 * `:cancel` / delete. It checks the Bearer token against the fake OAuth server, validates the
 * create body (required fields, model form, label rules), and reads the input object from the
 * fake GCS, checking each line is `{"request": {contents, …}}` with valid labels.
 *
 * Tests drive jobs: `setState(id, state)`; `finish(id, {fail, state, files, duplicate})` writes
 * the output under `<outputUriPrefix>prediction-model-<ts>/` in the fake GCS, one line per input
 * line echoing its request with the answer `echo: <last user text>` (or a non-empty `status` for
 * the lines `fail` picks). With `autoRun`, a job goes RUNNING on its first GET and finishes
 * SUCCEEDED on the next. `startVertexFakes()` starts all three fakes and returns deployment params.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { FakeGcs } from './fake-gcs.js';
import { bearerOf, closeServer, FakeGoogleOAuth, googleError, listen, readBody, sendJson, type GoogleFault } from './fake-google-oauth.js';

export type FakeVertexOperation = 'create' | 'get' | 'list' | 'cancel' | 'delete';

export type JobState =
  | 'JOB_STATE_UNSPECIFIED' | 'JOB_STATE_QUEUED' | 'JOB_STATE_PENDING' | 'JOB_STATE_RUNNING' | 'JOB_STATE_SUCCEEDED'
  | 'JOB_STATE_FAILED' | 'JOB_STATE_CANCELLING' | 'JOB_STATE_CANCELLED' | 'JOB_STATE_PAUSED' | 'JOB_STATE_EXPIRED'
  | 'JOB_STATE_UPDATING' | 'JOB_STATE_PARTIALLY_SUCCEEDED';

const TERMINAL = new Set<JobState>(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED', 'JOB_STATE_PARTIALLY_SUCCEEDED']);
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const MODEL = /^(?:publishers\/google\/models\/[^/]+|projects\/[^/]+\/locations\/[^/]+\/(?:publishers\/google\/models|models)\/[^/]+)$/;

export interface FakeJob {
  readonly id: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
  state: JobState;
  createTime: string;
  updateTime: string;
  startTime?: string;
  endTime?: string;
  error?: { code: number; message: string };
  completionStats?: { successfulCount: string; failedCount: string; incompleteCount: string };
  outputDirectory?: string;
  gets: number;
}

export interface FinishOptions {
  /** A failure text for the requests that fail (becomes the line's `status`), null for success. */
  readonly fail?: (request: Record<string, unknown>, lineNo: number) => string | null;
  readonly state?: JobState;
  /** Spread the lines over this many `predictions_000N.jsonl` files (default: one `predictions.jsonl`). */
  readonly files?: number;
  /** Write every line twice, as a retried shard might. */
  readonly duplicate?: boolean;
  /** Leave out the last `omit` lines (a job that ended before answering them). */
  readonly omit?: number;
}

export interface FakeVertexOptions {
  readonly gcs: FakeGcs;
  readonly auth?: (token: string) => boolean;
  readonly project?: string;
  readonly location?: string;
  readonly autoRun?: boolean;
  readonly now?: () => number;
  readonly pageSize?: number;
}

const lastUserText = (request: Record<string, unknown>): string => {
  const contents = Array.isArray(request['contents']) ? (request['contents'] as Array<Record<string, unknown>>) : [];
  for (const content of [...contents].reverse()) {
    if (content['role'] !== 'user' || !Array.isArray(content['parts'])) continue;
    const text = (content['parts'] as Array<Record<string, unknown>>).find((p) => typeof p['text'] === 'string')?.['text'];
    if (typeof text === 'string') return text;
  }
  return '';
};

const words = (text: string): number => text.split(/\s+/).filter((w) => w !== '').length;

export class FakeVertex {
  readonly project: string;
  readonly location: string;
  readonly jobs = new Map<string, FakeJob>();
  readonly requests: Record<string, number> = {};
  /** The create bodies received, in order. */
  readonly created: Array<Record<string, unknown>> = [];
  autoRun: boolean;
  readonly #opts: FakeVertexOptions;
  readonly #faults: Array<{ op: FakeVertexOperation; fault: GoogleFault }> = [];
  #nextId = 1_234_567_890_000_000_000n;
  #server: Server | null = null;
  url = '';

  constructor(options: FakeVertexOptions) {
    this.#opts = options;
    this.project = options.project ?? 'fake-project';
    this.location = options.location ?? 'us-central1';
    this.autoRun = options.autoRun ?? false;
  }

  get parent(): string {
    return `projects/${this.project}/locations/${this.location}`;
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

  failNext(op: FakeVertexOperation, fault: GoogleFault): void {
    this.#faults.push({ op, fault });
  }

  #now(): string {
    return new Date((this.#opts.now ?? Date.now)()).toISOString();
  }

  #job(id: string): FakeJob {
    const job = this.jobs.get(id.slice(id.lastIndexOf('/') + 1));
    if (job === undefined) throw new Error(`no fake job ${id}`);
    return job;
  }

  setState(jobId: string, state: JobState, error?: { code: number; message: string }): void {
    const job = this.#job(jobId);
    job.state = state;
    job.updateTime = this.#now();
    if (state === 'JOB_STATE_RUNNING') job.startTime ??= job.updateTime;
    if (TERMINAL.has(state)) job.endTime = job.updateTime;
    if (error !== undefined) job.error = error;
  }

  /** Runs the job to its end: writes the predictions and sets the counts and the final state. */
  finish(jobId: string, options: FinishOptions = {}): void {
    const job = this.#job(jobId);
    const input = this.#opts.gcs.getUri(this.#inputUri(job.body) ?? '');
    const lines = (input?.data.toString('utf8') ?? '').split('\n').filter((l) => l.trim() !== '');
    const answered = lines.slice(0, lines.length - (options.omit ?? 0));
    const prefix = String((job.body['outputConfig'] as { gcsDestination: { outputUriPrefix: string } }).gcsDestination.outputUriPrefix);
    const dir = `${prefix.endsWith('/') ? prefix : `${prefix}/`}prediction-model-${this.#now().replace(/[:.]/g, '-')}`;
    const model = String(job.body['model']).split('/').pop() ?? '';
    let failed = 0;
    const out = answered.map((text, i) => {
      const request = (JSON.parse(text) as { request: Record<string, unknown> }).request;
      const failure = options.fail?.(request, i + 1) ?? null;
      if (failure !== null) {
        failed++;
        return JSON.stringify({ status: failure, processed_time: this.#now(), request });
      }
      const prompt = lastUserText(request);
      const answer = `echo: ${prompt}`;
      const usage = { promptTokenCount: words(prompt), candidatesTokenCount: words(answer), totalTokenCount: words(prompt) + words(answer) };
      return JSON.stringify({
        status: '',
        processed_time: this.#now(),
        request,
        response: {
          candidates: [{ content: { role: 'model', parts: [{ text: answer }] }, finishReason: 'STOP' }],
          usageMetadata: usage,
          modelVersion: model,
          responseId: `resp-${job.id}-${i + 1}`,
        },
      });
    });
    const all = options.duplicate === true ? out.flatMap((l) => [l, l]) : out;
    const files = Math.max(1, options.files ?? 1);
    const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(dir);
    const bucket = match?.[1] ?? '';
    const base = match?.[2] ?? '';
    for (let f = 0; f < files; f++) {
      const part = all.filter((_, i) => i % files === f);
      const name = files === 1 ? 'predictions.jsonl' : `predictions_${String(f + 1).padStart(4, '0')}.jsonl`;
      this.#opts.gcs.put(bucket, `${base}/${name}`, part.map((l) => `${l}\n`).join(''));
    }
    job.outputDirectory = dir;
    job.completionStats = {
      successfulCount: String(answered.length - failed),
      failedCount: String(failed),
      incompleteCount: String(lines.length - answered.length),
    };
    this.setState(jobId, 'JOB_STATE_RUNNING');
    this.setState(jobId, options.state ?? 'JOB_STATE_SUCCEEDED');
  }

  #inputUri(body: Record<string, unknown>): string | undefined {
    const uris = (body['inputConfig'] as { gcsSource?: { uris?: unknown } } | undefined)?.gcsSource?.uris;
    return Array.isArray(uris) && typeof uris[0] === 'string' ? uris[0] : undefined;
  }

  #resource(job: FakeJob): Record<string, unknown> {
    return {
      name: job.name,
      displayName: job.body['displayName'],
      model: job.body['model'],
      inputConfig: job.body['inputConfig'],
      outputConfig: job.body['outputConfig'],
      state: job.state,
      createTime: job.createTime,
      updateTime: job.updateTime,
      ...(job.startTime === undefined ? {} : { startTime: job.startTime }),
      ...(job.endTime === undefined ? {} : { endTime: job.endTime }),
      ...(job.error === undefined ? {} : { error: job.error }),
      ...(job.completionStats === undefined ? {} : { completionStats: job.completionStats }),
      ...(job.outputDirectory === undefined ? {} : { outputInfo: { gcsOutputDirectory: job.outputDirectory } }),
      ...(job.body['labels'] === undefined ? {} : { labels: job.body['labels'] }),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = (await readBody(req)).toString('utf8');
    const token = bearerOf(req);
    if (token === null || !(this.#opts.auth?.(token) ?? true)) {
      return googleError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.', 'UNAUTHENTICATED');
    }
    const match = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/batchPredictionJobs(?:\/([^/:]+))?(:cancel)?$/.exec(url.pathname);
    if (match === null) return googleError(res, 404, `Not Found: ${url.pathname}`, 'NOT_FOUND');
    const [, project, location, id, cancel] = match;
    const op: FakeVertexOperation =
      id === undefined ? (req.method === 'POST' ? 'create' : 'list') : cancel !== undefined ? 'cancel' : req.method === 'DELETE' ? 'delete' : 'get';
    this.requests[op] = (this.requests[op] ?? 0) + 1;
    const faultAt = this.#faults.findIndex((f) => f.op === op);
    const fault = faultAt < 0 ? undefined : this.#faults.splice(faultAt, 1)[0]?.fault;
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'status') return sendJson(res, fault.status, fault.body ?? { error: { code: fault.status, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } });
    if (project !== this.project || location !== this.location) {
      return googleError(res, 403, `Permission denied on resource project ${String(project)} (or it may not exist).`, 'PERMISSION_DENIED');
    }
    if (op === 'create') return this.#create(res, body);
    if (op === 'list') return this.#list(res, url);
    const job = this.jobs.get(id ?? '');
    if (job === undefined) return googleError(res, 404, `The BatchPredictionJob does not exist: ${this.parent}/batchPredictionJobs/${String(id)}`, 'NOT_FOUND');
    if (op === 'get') {
      job.gets++;
      if (this.autoRun) this.#advance(job);
      return sendJson(res, 200, this.#resource(job));
    }
    if (op === 'cancel') {
      if (TERMINAL.has(job.state)) return googleError(res, 400, `BatchPredictionJob ${job.name} is in state ${job.state} and cannot be cancelled.`, 'FAILED_PRECONDITION');
      this.setState(job.id, 'JOB_STATE_CANCELLING');
      return sendJson(res, 200, {});
    }
    this.jobs.delete(job.id);
    return sendJson(res, 200, { name: `${job.name}/operations/1`, done: true });
  }

  #advance(job: FakeJob): void {
    if (job.state === 'JOB_STATE_PENDING' || job.state === 'JOB_STATE_QUEUED') this.setState(job.id, 'JOB_STATE_RUNNING');
    else if (job.state === 'JOB_STATE_RUNNING' && job.gets > 1) this.finish(job.id);
    else if (job.state === 'JOB_STATE_CANCELLING') this.setState(job.id, 'JOB_STATE_CANCELLED');
  }

  /** Why a create body is refused, or null; messages name URIs as Vertex's do. */
  #invalid(body: Record<string, unknown>): string | null {
    if (typeof body['displayName'] !== 'string' || body['displayName'] === '') return 'displayName is required.';
    if (typeof body['model'] !== 'string' || !MODEL.test(body['model'])) return `Invalid model: ${String(body['model'])}`;
    const input = body['inputConfig'] as Record<string, unknown> | undefined;
    if (input?.['instancesFormat'] !== 'jsonl') return 'inputConfig.instancesFormat must be jsonl.';
    const uri = this.#inputUri(body);
    if (uri === undefined) return 'inputConfig.gcsSource.uris is required.';
    const object = this.#opts.gcs.getUri(uri);
    if (object === undefined) return `Failed to read input ${uri}: object not found.`;
    const output = body['outputConfig'] as { predictionsFormat?: unknown; gcsDestination?: { outputUriPrefix?: unknown } } | undefined;
    if (output?.predictionsFormat !== 'jsonl') return 'outputConfig.predictionsFormat must be jsonl.';
    const prefix = output.gcsDestination?.outputUriPrefix;
    if (typeof prefix !== 'string' || !prefix.startsWith('gs://')) return 'outputConfig.gcsDestination.outputUriPrefix must be a gs:// URI.';
    const badLabels = (labels: unknown): boolean =>
      labels !== undefined && (typeof labels !== 'object' || labels === null || Object.entries(labels).some(([k, v]) => !LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v)));
    if (badLabels(body['labels'])) return `Invalid labels: ${JSON.stringify(body['labels'])}`;
    const lines = object.data.toString('utf8').split('\n');
    for (const [i, text] of lines.entries()) {
      if (text.trim() === '') continue;
      let parsed: { request?: Record<string, unknown> };
      try {
        parsed = JSON.parse(text) as { request?: Record<string, unknown> };
      } catch {
        return `Invalid JSON in ${uri} at line ${i + 1}.`;
      }
      if (typeof parsed.request !== 'object' || parsed.request === null || !Array.isArray(parsed.request['contents'])) {
        return `Line ${i + 1} of ${uri} has no request.contents.`;
      }
      if (badLabels(parsed.request['labels'])) return `Line ${i + 1} of ${uri} has invalid labels.`;
    }
    return null;
  }

  #create(res: ServerResponse, text: string): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return googleError(res, 400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
    }
    const why = this.#invalid(body);
    if (why !== null) return googleError(res, 400, why, 'INVALID_ARGUMENT');
    this.created.push(body);
    const id = String(this.#nextId++);
    const now = this.#now();
    const job: FakeJob = { id, name: `${this.parent}/batchPredictionJobs/${id}`, body, state: 'JOB_STATE_PENDING', createTime: now, updateTime: now, gets: 0 };
    this.jobs.set(id, job);
    sendJson(res, 200, this.#resource(job));
  }

  #list(res: ServerResponse, url: URL): void {
    const filter = url.searchParams.get('filter') ?? '';
    const since = /(?:create_time|createTime)\s*>=?\s*"([^"]+)"/.exec(filter)?.[1];
    const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? '100') || 100, this.#opts.pageSize ?? 1000);
    const start = Number(url.searchParams.get('pageToken') ?? '0');
    const all = [...this.jobs.values()].filter((j) => since === undefined || Date.parse(j.createTime) >= Date.parse(since));
    const page = all.slice(start, start + pageSize);
    const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
    sendJson(res, 200, { batchPredictionJobs: page.map((j) => this.#resource(j)), ...(next === undefined ? {} : { nextPageToken: next }) });
  }
}

export interface VertexFakes {
  readonly oauth: FakeGoogleOAuth;
  readonly gcs: FakeGcs;
  readonly vertex: FakeVertex;
  readonly bucket: string;
  /** `litellm_params` of a deployment served by these fakes (model `vertex_ai/gemini-2.5-flash`). */
  readonly params: Record<string, unknown>;
  close(): Promise<void>;
}

export interface VertexFakesOptions {
  readonly now?: () => number;
  readonly autoRun?: boolean;
  readonly bucket?: string;
  readonly project?: string;
  readonly location?: string;
  readonly tokenLifetimeSeconds?: number;
  readonly pageSize?: number;
}

/** Starts the OAuth, GCS and Vertex fakes, wired to each other. */
export const startVertexFakes = async (options: VertexFakesOptions = {}): Promise<VertexFakes> => {
  const oauth = await new FakeGoogleOAuth({
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.project === undefined ? {} : { projectId: options.project }),
    ...(options.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
  }).start();
  const auth = (token: string): boolean => oauth.isValid(token);
  const shared = { ...(options.now === undefined ? {} : { now: options.now }), ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }) };
  const gcs = await new FakeGcs({ auth, ...shared }).start();
  const vertex = await new FakeVertex({
    gcs,
    auth,
    project: oauth.projectId,
    ...(options.location === undefined ? {} : { location: options.location }),
    ...(options.autoRun === undefined ? {} : { autoRun: options.autoRun }),
    ...shared,
  }).start();
  const bucket = options.bucket ?? 'batchgate-test-bucket';
  return {
    oauth,
    gcs,
    vertex,
    bucket,
    params: {
      model: 'vertex_ai/gemini-2.5-flash',
      vertex_project: oauth.projectId,
      vertex_location: vertex.location,
      vertex_credentials: JSON.stringify(oauth.credentials()),
      gcs_bucket_name: bucket,
      api_base: vertex.url,
      gcs_api_base: gcs.url,
    },
    close: async () => {
      await Promise.all([vertex.close(), gcs.close(), oauth.close()]);
    },
  };
};
