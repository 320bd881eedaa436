/** The Vertex adapter's batch prediction jobs against the fakes: create, states, cancel, list, results. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderAdapter, UpstreamFile } from '../../../src/domain/ports/provider-adapter.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { startVertexFakes, type JobState, type VertexFakes } from '../../fakes/fake-vertex.js';
import { createVertexAdapter } from '../../../src/providers/vertex/adapter.js';
import { adapterOn, collect, encodedFile, opts, rejection, upload, vertexDeployment } from './support.js';

const BATCH_ID = 'batch_AbCdEfGhIjKlMnOpQrStUvWx';
let fakes: VertexFakes;
let adapter: ProviderAdapter;
let input: UpstreamFile;

beforeAll(async () => {
  fakes = await startVertexFakes();
});
afterAll(async () => {
  await fakes.close();
});
beforeEach(async () => {
  fakes.vertex.jobs.clear();
  fakes.vertex.autoRun = false;
  adapter = adapterOn(fakes);
  input = await upload(adapter, encodedFile(adapter, 4));
});

const create = (label = BATCH_ID) =>
  adapter.createBatch({ inputFileRef: input.ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, outputExpiresAfter: null, label }, opts());

describe('createBatch', () => {
  it('creates a job on the input object with the model, output prefix and a recoverable label', async () => {
    const batch = await create();
    const body = fakes.vertex.created[0] ?? {};
    expect(body).toMatchObject({
      model: 'publishers/google/models/gemini-2.5-flash',
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [input.ref] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: `gs://${fakes.bucket}/batchgate-out/${BATCH_ID}/` } },
    });
    expect(batch).toMatchObject({ status: 'validating', label: BATCH_ID, model: 'gemini-2.5-flash', inputFileRef: input.ref, outputFileRef: null, errorFileRef: null });
    expect(batch.ref).toMatch(/^projects\/fake-project\/locations\/us-central1\/batchPredictionJobs\/\d+$/);
    expect(batch.expiresAt).toBe((batch.createdAt ?? 0) + 86_400);
  });

  it('keeps a full model resource name as it is', async () => {
    const custom = createVertexAdapter(vertexDeployment(fakes.params, 'projects/fake-project/locations/us-central1/models/123'), { timeoutMs: 5000, env: {} });
    await custom.createBatch({ inputFileRef: input.ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, outputExpiresAfter: null, label: BATCH_ID }, opts());
    expect(fakes.vertex.created.at(-1)?.['model']).toBe('projects/fake-project/locations/us-central1/models/123');
  });

  it('refuses endpoints other than chat completions as unsupported, before any call', async () => {
    const before = fakes.vertex.requests['create'];
    const error = await rejection(
      adapter.createBatch({ inputFileRef: input.ref, endpoint: '/v1/embeddings', completionWindow: '24h', metadata: null, outputExpiresAfter: null, label: BATCH_ID }, opts()),
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('unsupported_operation');
    expect(fakes.vertex.requests['create']).toBe(before);
  });

  it("turns Vertex's refusal into an UpstreamError naming the input object, not its URI", async () => {
    fakes.gcs.objects.clear();
    const error = await rejection(create());
    expect(error).toBeInstanceOf(UpstreamError);
    const e = error as UpstreamError;
    expect(e.status).toBe(400);
    expect(e.retryable).toBe(false);
    expect(e.upstreamCode).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('the input object');
    expect(e.message).not.toMatch(/gs:\/\/|batchgate-test-bucket|projects\//);
  });

  it('classifies 429 and 5xx as retryable', async () => {
    fakes.vertex.failNext('create', { kind: 'status', status: 429, body: { error: { code: 429, message: 'Quota exceeded for aiplatform.googleapis.com/batch in projects/fake-project.', status: 'RESOURCE_EXHAUSTED' } } });
    const limited = (await rejection(create())) as UpstreamError;
    expect([limited.status, limited.retryable]).toEqual([429, true]);
    expect(limited.message).not.toContain('projects/');
    fakes.vertex.failNext('create', { kind: 'status', status: 503 });
    expect(((await rejection(create())) as UpstreamError).retryable).toBe(true);
  });
});

describe('retrieveBatch', () => {
  const cases: Array<[JobState, string]> = [
    ['JOB_STATE_UNSPECIFIED', 'validating'],
    ['JOB_STATE_QUEUED', 'validating'],
    ['JOB_STATE_PENDING', 'validating'],
    ['JOB_STATE_RUNNING', 'in_progress'],
    ['JOB_STATE_UPDATING', 'in_progress'],
    ['JOB_STATE_PAUSED', 'in_progress'],
    ['JOB_STATE_SUCCEEDED', 'completed'],
    ['JOB_STATE_PARTIALLY_SUCCEEDED', 'completed'],
    ['JOB_STATE_FAILED', 'failed'],
    ['JOB_STATE_CANCELLING', 'cancelling'],
    ['JOB_STATE_CANCELLED', 'cancelled'],
    ['JOB_STATE_EXPIRED', 'expired'],
  ];
  it.each(cases)('maps %s to %s', async (state, status) => {
    const batch = await create();
    fakes.vertex.setState(batch.ref, state);
    const seen = await adapter.retrieveBatch(batch.ref, opts());
    expect(seen.status).toBe(status);
    const ended = { completed: seen.completedAt, failed: seen.failedAt, cancelled: seen.cancelledAt, expired: seen.expiredAt }[status];
    if (ended !== undefined) expect(ended).toBeGreaterThan(0);
  });

  it('accepts the bare job id as a ref', async () => {
    const batch = await create();
    const id = batch.ref.split('/').pop() ?? '';
    expect((await adapter.retrieveBatch(id, opts())).ref).toBe(batch.ref);
  });

  it('reads counts from int64 strings and copies a failure into errors, cleaned', async () => {
    const batch = await create();
    fakes.vertex.finish(batch.ref, { fail: (_r, n) => (n === 2 ? 'Internal error' : null), omit: 1 });
    const done = await adapter.retrieveBatch(batch.ref, opts());
    expect(done.requestCounts).toEqual({ total: 4, completed: 2, failed: 2 });
    expect(done.inProgressAt).toBeGreaterThan(0);
    fakes.vertex.setState(batch.ref, 'JOB_STATE_FAILED', { code: 3, message: `Input gs://${fakes.bucket}/batchgate/x.jsonl of projects/fake-project/locations/us-central1/batchPredictionJobs/1 is invalid.` });
    const failed = await adapter.retrieveBatch(batch.ref, opts());
    expect(failed.status).toBe('failed');
    expect(failed.errors).toEqual([{ code: 'invalid_argument', message: expect.stringContaining('is invalid') as unknown, param: null, line: null }]);
    expect(failed.errors?.[0]?.message).not.toMatch(/gs:\/\/|projects\//);
  });

  it('a missing job is a not-found UpstreamError without the resource path', async () => {
    const error = (await rejection(adapter.retrieveBatch('999', opts()))) as UpstreamError;
    expect(error.isNotFound).toBe(true);
    expect(error.message).not.toContain('projects/');
    expect(error.message).not.toContain('fake-project');
  });
});

describe('cancelBatch', () => {
  it('cancels and returns the job as it is after the cancel', async () => {
    const batch = await create();
    const cancelling = await adapter.cancelBatch(batch.ref, opts());
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancellingAt).toBeGreaterThan(0);
    fakes.vertex.setState(batch.ref, 'JOB_STATE_CANCELLED');
    expect((await adapter.retrieveBatch(batch.ref, opts())).status).toBe('cancelled');
  });

  it('a terminal job cannot be cancelled: a 400, not a 500', async () => {
    const batch = await create();
    fakes.vertex.finish(batch.ref);
    const error = (await rejection(adapter.cancelBatch(batch.ref, opts()))) as UpstreamError;
    expect(error.status).toBe(400);
    expect(error.toGatewayError().status).toBe(400);
  });
});

describe('listBatchesSince and probe', () => {
  it('lists jobs created since a time, newest first', async () => {
    const a = await create('batch_a');
    await new Promise((r) => setTimeout(r, 1100));
    const b = await create('batch_b');
    const listed = await collect(adapter.listBatchesSince(Math.floor(Date.now() / 1000) - 60, opts()));
    expect(listed.map((x) => x.ref)).toEqual([b.ref, a.ref]);
    expect(listed.map((x) => x.label)).toEqual(['batch_b', 'batch_a']);
    expect(await collect(adapter.listBatchesSince(Math.floor(Date.now() / 1000) + 60, opts()))).toEqual([]);
  });

  it('probes with a one-job list', async () => {
    await adapter.probe(opts());
    expect(fakes.vertex.requests['list']).toBeGreaterThan(0);
  });

  it('sendRequest is refused as unsupported', async () => {
    await expect(adapter.sendRequest({ url: '/v1/chat/completions', body: {} }, opts())).rejects.toMatchObject({ code: 'unsupported_operation' });
  });
});

describe('openResults', () => {
  it('yields a chat.completion per answered line and an error response per failed one', async () => {
    const batch = await create();
    fakes.vertex.finish(batch.ref, { fail: (_r, n) => (n === 3 ? 'RESOURCE_EXHAUSTED: quota exceeded' : null) });
    const results = await collect(adapter.openResults(batch.ref, opts()));
    expect(results.map((r) => r.lineNo)).toEqual([1, 2, 3, 4]);
    expect(results[0]?.response?.statusCode).toBe(200);
    expect(results[0]?.response?.body).toMatchObject({
      object: 'chat.completion',
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: question 1' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
    expect(results[2]?.response).toMatchObject({ statusCode: 429, body: { error: { message: 'RESOURCE_EXHAUSTED: quota exceeded' } } });
  });

  it('reads every output file and yields duplicates as they come', async () => {
    const batch = await create();
    fakes.vertex.finish(batch.ref, { files: 3, duplicate: true });
    const results = await collect(adapter.openResults(batch.ref, opts()));
    expect(results).toHaveLength(8);
    expect(new Set(results.map((r) => r.lineNo))).toEqual(new Set([1, 2, 3, 4]));
  });

  it('yields nothing for a job that wrote no output', async () => {
    const batch = await create();
    fakes.vertex.setState(batch.ref, 'JOB_STATE_FAILED', { code: 13, message: 'Internal error' });
    expect(await collect(adapter.openResults(batch.ref, opts()))).toEqual([]);
  });

  it('runs a whole job with autoRun: RUNNING on the first GET, SUCCEEDED on the next', async () => {
    fakes.vertex.autoRun = true;
    const batch = await create();
    expect((await adapter.retrieveBatch(batch.ref, opts())).status).toBe('in_progress');
    expect((await adapter.retrieveBatch(batch.ref, opts())).status).toBe('completed');
    expect((await collect(adapter.openResults(batch.ref, opts()))).filter((r) => r.response?.statusCode === 200)).toHaveLength(4);
  });
});
