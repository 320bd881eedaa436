/**
 * A fake AWS Bedrock control plane for batch jobs (`reference/wire.md` §5.1) over real HTTP on
 * 127.0.0.1 (ephemeral port). It recomputes the SigV4 signature of every request from what it
 * received (service `bedrock`, its region; the path URI-encoded once more, as AWS does for every
 * service but S3), validates CreateModelInvocationJob bodies field by field, reads the input
 * from a `FakeS3` to enforce the minimum record count, honours `clientRequestToken`, and lists
 * with Bedrock's filters. Errors are `{message}` with `x-amzn-ErrorType`, as Bedrock sends them.
 *
 * Tests drive jobs: `setStatus(jobId, status)`, `finish(jobId, {fail, drop, status})` (writes
 * `<input name>.out` and `manifest.json.out` under `<output s3Uri>/<job id>/` in the fake S3,
 * each record echoing its `modelInput` with an answer in the job's native shape), or `autoRun`
 * (InProgress at the first Get, Completed with output at the next). `failNext` injects faults.
 *
 * Simplification: a job below the minimum record count, or whose input cannot be read, is
 * `Failed` from its creation with a message like Bedrock's (Bedrock gets there via Validating).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeS3 } from './fake-s3.js';

export type FakeBedrockOperation = 'Create' | 'Get' | 'Stop' | 'List';
export type FakeBedrockFault = { kind: 'status'; status: number; type: string; message?: string } | { kind: 'reset' };

export type JobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Expired';

export interface FakeBedrockOptions {
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** When set, every request must carry (and sign) this `x-amz-security-token`. */
  readonly sessionToken?: string;
  readonly accountId?: string;
  /** Bedrock's "Minimum number of records per batch inference job" quota (default 100). */
  readonly minRecords?: number;
  /** Jobs go InProgress at their first Get and Completed (with output) at the next. */
  readonly autoRun?: boolean;
  /** Where inputs are read and outputs written (one bucket). */
  readonly s3: FakeS3;
}

export interface FakeJob {
  readonly jobId: string;
  readonly jobArn: string;
  readonly request: Readonly<Record<string, unknown>>;
  status: JobStatus;
  message?: string;
  submitTime: string;
  lastModifiedTime: string;
  endTime?: string;
  totalRecordCount?: number;
  processedRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
  gets: number;
}

export interface FinishOptions {
  /** An error for a record, or null to answer it. */
  readonly fail?: (record: { recordId: string; modelInput: Record<string, unknown> }) => { errorCode: number; errorMessage: string } | null;
  /** Records to leave out of the output (never processed). */
  readonly drop?: (record: { recordId: string; modelInput: Record<string, unknown> }) => boolean;
  readonly status?: JobStatus;
}

const JOB_NAME = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const TOKEN = /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const S3_URI = /^s3:\/\/[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](\/.*)?$/;
const TERMINAL: ReadonlySet<JobStatus> = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired']);

const uriEncode = (v: string): string =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (d: string | Buffer): string => createHash('sha256').update(d).digest('hex');
const hmac = (k: string | Buffer, d: string): Buffer => createHmac('sha256', k).update(d, 'utf8').digest();

class BedrockFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string): BedrockFailure => new BedrockFailure(400, 'ValidationException', message);

export class FakeBedrock {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly accountId: string;
  readonly jobs = new Map<string, FakeJob>();
  /** Every create body received, in order (idempotent repeats included). */
  readonly createBodies: Array<Record<string, unknown>> = [];
  readonly #opts: FakeBedrockOptions;
  readonly #tokens = new Map<string, string>();
  readonly #faults: Array<{ op: FakeBedrockOperation; fault: FakeBedrockFault }> = [];
  readonly #requests: Record<string, number> = {};
  #signatureFailures = 0;
  #server: Server | null = null;
  endpoint = '';

  constructor(options: FakeBedrockOptions) {
    this.#opts = options;
    this.region = options.region ?? 'us-east-1';
    this.accessKeyId = options.accessKeyId ?? 'AKIAFAKEBEDROCKTEST';
    this.secretAccessKey = options.secretAccessKey ?? randomBytes(20).toString('base64');
    this.accountId = options.accountId ?? '123456789012';
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.#send(res, 500, { message: String(err) }, 'InternalServerException');
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

  failNext(op: FakeBedrockOperation, fault: FakeBedrockFault): void {
    this.#faults.push({ op, fault });
  }

  /** Forgets every job (and idempotency token); counters are kept. */
  reset(): void {
    this.jobs.clear();
    this.#tokens.clear();
    this.createBodies.length = 0;
  }

  stats(): { requests: Record<string, number>; signatureFailures: number } {
    return { requests: { ...this.#requests }, signatureFailures: this.#signatureFailures };
  }

  job(jobIdOrArn: string): FakeJob {
    const job = this.jobs.get(jobIdOrArn.split('/').pop() ?? jobIdOrArn);
    if (job === undefined) throw new Error(`no fake job ${jobIdOrArn}`);
    return job;
  }

  setStatus(jobIdOrArn: string, status: JobStatus, patch: Partial<Omit<FakeJob, 'jobId' | 'jobArn' | 'request'>> = {}): void {
    const job = this.job(jobIdOrArn);
    job.status = status;
    job.lastModifiedTime = new Date().toISOString();
    if (TERMINAL.has(status)) job.endTime ??= job.lastModifiedTime;
    Object.assign(job, patch);
  }

  /** Writes the job's output into the fake S3 and sets its final status and counts. */
  finish(jobIdOrArn: string, options: FinishOptions = {}): void {
    const job = this.job(jobIdOrArn);
    const records = this.#inputRecords(job) ?? [];
    const lines: string[] = [];
    let success = 0;
    let errors = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    for (const record of records) {
      if (options.drop?.(record) === true) continue;
      const error = options.fail?.(record) ?? null;
      if (error !== null) {
        errors++;
        lines.push(JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, error }));
        continue;
      }
      success++;
      const answer = `echo: ${lastUserText(record.modelInput)}`;
      const usage = { input: 10 + answer.length, output: answer.split(' ').length };
      inputTokens += usage.input;
      outputTokens += usage.output;
      lines.push(JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, modelOutput: this.#modelOutput(job, record.recordId, answer, usage) }));
    }
    const { bucket, key } = splitUri(outputUri(job));
    const base = `${key.replace(/\/*$/, '/')}${job.jobId}/`.replace(/^\//, '');
    const inputName = splitUri(inputUri(job)).key.split('/').pop() ?? 'input.jsonl';
    const s3 = this.#opts.s3;
    if (bucket === s3.bucket) {
      putObject(s3, `${base}${inputName}.out`, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
      const manifest = {
        totalRecordCount: records.length,
        processedRecordCount: success + errors,
        successRecordCount: success,
        errorRecordCount: errors,
        inputTokenCount: inputTokens,
        outputTokenCount: outputTokens,
      };
      putObject(s3, `${base}manifest.json.out`, JSON.stringify(manifest));
    }
    const status = options.status ?? (success + errors < records.length ? 'PartiallyCompleted' : 'Completed');
    this.setStatus(job.jobId, status, {
      totalRecordCount: records.length,
      processedRecordCount: success + errors,
      successRecordCount: success,
      errorRecordCount: errors,
    });
  }

  #modelOutput(job: FakeJob, recordId: string, text: string, usage: { input: number; output: number }): Record<string, unknown> {
    if (job.request['modelInvocationType'] === 'Converse') {
      return {
        output: { message: { role: 'assistant', content: [{ text }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: usage.input, outputTokens: usage.output, totalTokens: usage.input + usage.output },
        metrics: { latencyMs: 120 },
      };
    }
    return {
      id: `msg_bdrk_${recordId}`,
      type: 'message',
      role: 'assistant',
      model: String(job.request['modelId']).replace(/^[a-z]+\.anthropic\.|^anthropic\./, ''),
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
  }

  #inputRecords(job: FakeJob): Array<{ recordId: string; modelInput: Record<string, unknown> }> | null {
    const { bucket, key } = splitUri(inputUri(job));
    if (bucket !== this.#opts.s3.bucket) return null;
    const object = this.#opts.s3.objects.get(key);
    if (object === undefined) return null;
    return object.data
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { recordId: string; modelInput: Record<string, unknown> });
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
    const method = req.method ?? 'GET';
    const rawSegments = rawPath.split('/').slice(1);
    const segments = rawSegments.map((s) => decodeURIComponent(s));
    const op = operationOf(method, segments);
    this.#requests[op] = (this.#requests[op] ?? 0) + 1;
    const body = await readBody(req);
    try {
      this.#verify(req, method, rawSegments, query, body);
      const faultAt = this.#faults.findIndex((f) => f.op === op);
      if (faultAt >= 0) {
        const fault = this.#faults.splice(faultAt, 1)[0]!.fault;
        if (fault.kind === 'reset') return void req.socket.destroy();
        throw new BedrockFailure(fault.status, fault.type, fault.message ?? 'injected fault');
      }
      const params = new Map(query);
      switch (op) {
        case 'Create':
          return this.#send(res, 200, this.#create(body));
        case 'Get':
          return this.#send(res, 200, this.#get(segments[1] ?? ''));
        case 'Stop':
          this.#stop(segments[1] ?? '');
          return this.#send(res, 200, null);
        case 'List':
          return this.#send(res, 200, this.#list(params));
        default:
          throw new BedrockFailure(404, 'UnknownOperationException', `no route for ${method} ${rawPath}`);
      }
    } catch (err) {
      if (!(err instanceof BedrockFailure)) throw err;
      if (err.type === 'InvalidSignatureException') this.#signatureFailures++;
      return this.#send(res, err.status, { message: err.message }, err.type);
    }
  }

  #create(raw: Buffer): Record<string, unknown> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new BedrockFailure(400, 'SerializationException', 'body is not JSON');
    }
    this.createBodies.push(body);
    for (const field of ['jobName', 'roleArn', 'modelId', 'inputDataConfig', 'outputDataConfig']) {
      if (body[field] === undefined) throw validation(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    }
    const { jobName, roleArn, clientRequestToken, timeoutDurationInHours, modelInvocationType } = body;
    if (typeof jobName !== 'string' || !JOB_NAME.test(jobName)) throw validation(`Value '${String(jobName)}' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern`);
    if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn)) throw validation(`Value '${String(roleArn)}' at 'roleArn' failed to satisfy constraint`);
    if (clientRequestToken !== undefined && (typeof clientRequestToken !== 'string' || !TOKEN.test(clientRequestToken))) {
      throw validation(`Value '${String(clientRequestToken)}' at 'clientRequestToken' failed to satisfy constraint`);
    }
    if (timeoutDurationInHours !== undefined && (typeof timeoutDurationInHours !== 'number' || !Number.isInteger(timeoutDurationInHours) || timeoutDurationInHours < 24 || timeoutDurationInHours > 168)) {
      throw validation(`Value '${String(timeoutDurationInHours)}' at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value between 24 and 168`);
    }
    if (modelInvocationType !== undefined && modelInvocationType !== 'InvokeModel' && modelInvocationType !== 'Converse') {
      throw validation(`Value '${String(modelInvocationType)}' at 'modelInvocationType' failed to satisfy enum value set`);
    }
    const input = (body['inputDataConfig'] as Record<string, unknown> | null)?.['s3InputDataConfig'] as Record<string, unknown> | undefined;
    const output = (body['outputDataConfig'] as Record<string, unknown> | null)?.['s3OutputDataConfig'] as Record<string, unknown> | undefined;
    if (typeof input?.['s3Uri'] !== 'string' || !S3_URI.test(input['s3Uri'])) throw validation('inputDataConfig.s3InputDataConfig.s3Uri must be an s3:// URI');
    if (typeof output?.['s3Uri'] !== 'string' || !S3_URI.test(output['s3Uri'])) throw validation('outputDataConfig.s3OutputDataConfig.s3Uri must be an s3:// URI');
    if (typeof clientRequestToken === 'string') {
      const existing = this.#tokens.get(clientRequestToken);
      const job = existing === undefined ? undefined : this.jobs.get(existing);
      if (job !== undefined) return { jobArn: job.jobArn };
    }
    if ([...this.jobs.values()].some((j) => j.request['jobName'] === jobName)) {
      throw new BedrockFailure(400, 'ConflictException', `A job with the name ${jobName} already exists.`);
    }
    const jobId = randomBytes(6).toString('hex');
    const jobArn = `arn:aws:bedrock:${this.region}:${this.accountId}:model-invocation-job/${jobId}`;
    const now = new Date().toISOString();
    const job: FakeJob = { jobId, jobArn, request: body, status: 'Submitted', submitTime: now, lastModifiedTime: now, gets: 0 };
    const records = this.#inputRecords(job);
    const min = this.#opts.minRecords ?? 100;
    if (records === null) {
      Object.assign(job, { status: 'Failed', endTime: now, message: `Unable to access input data at ${input['s3Uri']}. Check the permissions of ${roleArn}.` });
    } else if (records.length < min) {
      Object.assign(job, {
        status: 'Failed',
        endTime: now,
        message: `Batch job ${jobArn} contains less records (${records.length}) than the required minimum of: ${min}`,
      });
    } else {
      job.totalRecordCount = records.length;
    }
    this.jobs.set(jobId, job);
    if (typeof clientRequestToken === 'string') this.#tokens.set(clientRequestToken, jobId);
    return { jobArn };
  }

  #find(identifier: string): FakeJob {
    const id = identifier.startsWith('arn:') ? identifier.split('/').pop() ?? '' : identifier;
    const job = this.jobs.get(id);
    if (job === undefined || (identifier.startsWith('arn:') && job.jobArn !== identifier)) {
      throw new BedrockFailure(404, 'ResourceNotFoundException', `The specified job ${identifier} could not be found.`);
    }
    return job;
  }

  #get(identifier: string): Record<string, unknown> {
    const job = this.#find(identifier);
    job.gets++;
    if (this.#opts.autoRun === true && job.gets > 1) {
      if (job.status === 'Submitted' || job.status === 'Validating' || job.status === 'Scheduled') this.setStatus(job.jobId, 'InProgress');
      else if (job.status === 'InProgress') this.finish(job.jobId);
      else if (job.status === 'Stopping') this.setStatus(job.jobId, 'Stopped');
    }
    return this.#view(job);
  }

  #view(job: FakeJob): Record<string, unknown> {
    const r = job.request;
    return {
      jobArn: job.jobArn,
      jobName: r['jobName'],
      modelId: r['modelId'],
      ...(r['clientRequestToken'] === undefined ? {} : { clientRequestToken: r['clientRequestToken'] }),
      roleArn: r['roleArn'],
      status: job.status,
      ...(job.message === undefined ? {} : { message: job.message }),
      submitTime: job.submitTime,
      lastModifiedTime: job.lastModifiedTime,
      ...(job.endTime === undefined ? {} : { endTime: job.endTime }),
      inputDataConfig: r['inputDataConfig'],
      outputDataConfig: r['outputDataConfig'],
      timeoutDurationInHours: r['timeoutDurationInHours'] ?? 24,
      jobExpirationTime: new Date(Date.parse(job.submitTime) + 24 * 3600_000).toISOString(),
      ...(r['modelInvocationType'] === undefined ? {} : { modelInvocationType: r['modelInvocationType'] }),
      ...(job.totalRecordCount === undefined ? {} : { totalRecordCount: job.totalRecordCount }),
      ...(job.processedRecordCount === undefined ? {} : { processedRecordCount: job.processedRecordCount }),
      ...(job.successRecordCount === undefined ? {} : { successRecordCount: job.successRecordCount }),
      ...(job.errorRecordCount === undefined ? {} : { errorRecordCount: job.errorRecordCount }),
    };
  }

  #stop(identifier: string): void {
    const job = this.#find(identifier);
    if (TERMINAL.has(job.status) || job.status === 'Stopping') {
      throw validation(`The job ${job.jobArn} cannot be stopped because it is in status ${job.status}.`);
    }
    this.setStatus(job.jobId, 'Stopping');
  }

  #list(params: Map<string, string>): Record<string, unknown> {
    const maxResults = Number(params.get('maxResults') ?? 1000);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) throw validation('maxResults must be between 1 and 1000');
    const after = params.get('submitTimeAfter');
    const before = params.get('submitTimeBefore');
    const status = params.get('statusEquals');
    const name = params.get('nameContains');
    const ascending = params.get('sortOrder') === 'Ascending';
    const all = [...this.jobs.values()]
      .filter((j) => after === undefined || Date.parse(j.submitTime) >= Date.parse(after))
      .filter((j) => before === undefined || Date.parse(j.submitTime) <= Date.parse(before))
      .filter((j) => status === undefined || j.status === status)
      .filter((j) => name === undefined || String(j.request['jobName']).includes(name))
      .sort((a, b) => (Date.parse(a.submitTime) - Date.parse(b.submitTime)) * (ascending ? 1 : -1));
    const start = Number(params.get('nextToken') === undefined ? 0 : Buffer.from(params.get('nextToken')!, 'base64url').toString('utf8'));
    const page = all.slice(start, start + maxResults);
    const next = start + page.length < all.length ? Buffer.from(String(start + page.length)).toString('base64url') : undefined;
    const summaries = page.map((job) => {
      const { clientRequestToken: _t, roleArn: _r, ...summary } = this.#view(job);
      return summary;
    });
    return { invocationJobSummaries: summaries, ...(next === undefined ? {} : { nextToken: next }) };
  }

  /** Recomputes the SigV4 signature (service `bedrock`) from the request as received. */
  #verify(req: IncomingMessage, method: string, rawSegments: string[], query: ReadonlyArray<readonly [string, string]>, body: Buffer): void {
    const deny = (message: string): BedrockFailure => new BedrockFailure(403, 'InvalidSignatureException', message);
    const auth = header(req, 'authorization');
    const m =
      auth === undefined
        ? null
        : /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (m === null) throw new BedrockFailure(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [, accessKey, date, region, service, signedList, signature] = m as unknown as [string, string, string, string, string, string, string];
    if (accessKey !== this.accessKeyId) throw new BedrockFailure(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (service !== 'bedrock') throw deny(`Credential should be scoped to correct service: 'bedrock', not '${service}'.`);
    if (region !== this.region) throw deny(`Credential should be scoped to a valid region, not '${region}'.`);
    const stamp = header(req, 'x-amz-date') ?? '';
    if (!/^\d{8}T\d{6}Z$/.test(stamp) || stamp.slice(0, 8) !== date) throw deny('bad x-amz-date');
    const when = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(9, 11), +stamp.slice(11, 13), +stamp.slice(13, 15));
    if (Math.abs(Date.now() - when) > 5 * 60_000) throw deny('Signature expired');
    const signed = signedList.split(';');
    for (const required of ['host', 'x-amz-date']) if (!signed.includes(required)) throw deny(`${required} not signed`);
    if (this.#opts.sessionToken !== undefined && (header(req, 'x-amz-security-token') !== this.#opts.sessionToken || !signed.includes('x-amz-security-token'))) {
      throw new BedrockFailure(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    const payloadHash = sha256(body);
    const claimed = header(req, 'x-amz-content-sha256');
    if (claimed !== undefined && claimed !== payloadHash) throw deny('x-amz-content-sha256 does not match the body');
    // Every service but S3 encodes the (already encoded) path once more.
    const canonicalUri = `/${rawSegments.map(uriEncode).join('/')}`;
    const canonicalQuery = query
      .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const canonicalHeaders = signed.map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedList, payloadHash].join('\n');
    const scope = `${date}/${region}/bedrock/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${this.secretAccessKey}`, date), region), 'bedrock'), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw deny('The request signature we calculated does not match the signature you provided.');
    }
  }

  #send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = body === null ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': randomBytes(16).toString('hex'),
      ...(errorType === undefined ? {} : { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/` }),
    });
    res.end(text);
  }
}

const operationOf = (method: string, segments: string[]): FakeBedrockOperation | 'Unknown' => {
  if (method === 'POST' && segments.length === 1 && segments[0] === 'model-invocation-job') return 'Create';
  if (method === 'GET' && segments.length === 2 && segments[0] === 'model-invocation-job') return 'Get';
  if (method === 'POST' && segments.length === 3 && segments[0] === 'model-invocation-job' && segments[2] === 'stop') return 'Stop';
  if (method === 'GET' && segments.length === 1 && segments[0] === 'model-invocation-jobs') return 'List';
  return 'Unknown';
};

const inputUri = (job: FakeJob): string =>
  String(((job.request['inputDataConfig'] as Record<string, unknown>)['s3InputDataConfig'] as Record<string, unknown>)['s3Uri']);
const outputUri = (job: FakeJob): string =>
  String(((job.request['outputDataConfig'] as Record<string, unknown>)['s3OutputDataConfig'] as Record<string, unknown>)['s3Uri']);

const splitUri = (uri: string): { bucket: string; key: string } => {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return { bucket: m?.[1] ?? '', key: m?.[2] ?? '' };
};

const putObject = (s3: FakeS3, key: string, text: string): void => {
  const data = Buffer.from(text);
  s3.objects.set(key, { data, etag: `"${createHash('md5').update(data).digest('hex')}"`, contentType: 'application/octet-stream' });
};

/** The text of the last user turn, in either record format (string or blocks). */
const lastUserText = (modelInput: Record<string, unknown>): string => {
  const messages = Array.isArray(modelInput['messages']) ? (modelInput['messages'] as Array<Record<string, unknown>>) : [];
  const user = [...messages].reverse().find((m) => m['role'] === 'user');
  const content = user?.['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Array<Record<string, unknown>>)
    .map((b) => (typeof b['text'] === 'string' ? b['text'] : ''))
    .filter((t) => t !== '')
    .join(' ');
};

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

export interface BedrockFakes {
  readonly s3: FakeS3;
  readonly bedrock: FakeBedrock;
  /** `litellm_params` of a deployment pointing at both fakes (model not included). */
  readonly params: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts a fake S3 and a fake Bedrock sharing one key pair and region, and returns deployment
 * params that point at them (region, keys, bucket, role ARN, `api_base`, `s3_endpoint_url`).
 */
export const startBedrockFakes = async (
  options: Omit<FakeBedrockOptions, 's3' | 'accessKeyId' | 'secretAccessKey'> & { bucket?: string } = {},
): Promise<BedrockFakes> => {
  const region = options.region ?? 'us-east-1';
  const accessKeyId = 'AKIAFAKEBEDROCK0001';
  const secretAccessKey = randomBytes(20).toString('base64');
  const s3 = await new FakeS3({
    bucket: options.bucket ?? 'batch-bucket',
    region,
    accessKeyId,
    secretAccessKey,
    ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }),
  }).start();
  const bedrock = await new FakeBedrock({ ...options, region, accessKeyId, secretAccessKey, s3 }).start();
  return {
    s3,
    bedrock,
    params: {
      aws_region_name: region,
      aws_access_key_id: accessKeyId,
      aws_secret_access_key: secretAccessKey,
      ...(options.sessionToken === undefined ? {} : { aws_session_token: options.sessionToken }),
      s3_bucket_name: s3.bucket,
      aws_batch_role_arn: `arn:aws:iam::${bedrock.accountId}:role/BedrockBatchRole`,
      api_base: bedrock.endpoint,
      s3_endpoint_url: s3.endpoint,
    },
    close: async () => {
      await Promise.all([bedrock.close(), s3.close()]);
    },
  };
};
