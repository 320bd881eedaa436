/**
 * Every Files and Batches answer of the gateway, validated against OpenAI's official OpenAPI spec
 * (`components.schemas`): File, file list, delete, Batch in each of its eight statuses, batch
 * list, cancel, a batch's output file, and the error envelope of 400, 401, 404, 413 and 502.
 */
import { existsSync } from 'node:fs';
import type { BatchStatus } from '../../src/contracts/openai.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { OpenApiValidator, SPEC_PATH, type ResponseSchema } from './openapi.js';
import { bodyOf, idOf, jsonl, WireClient, type Reply } from './wire-client.js';

const MASTER_KEY = 'sk-master-conformance';
const UPSTREAM_KEY = 'sk-upstream-conformance';

let spec: OpenApiValidator;
let fake: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;

/** Asserts a 200 (or the given status) whose body satisfies the named spec schema. */
const conforms = (reply: Reply, schema: ResponseSchema, status = 200): Record<string, unknown> => {
  expect(reply.status, reply.text).toBe(status);
  expect(spec.problems(schema, reply.json), reply.text).toEqual([]);
  return bodyOf(reply);
};

/** wire.md §2.3 and §9: every field is sent, the nullable ones as null (`model`, `usage` may be absent). */
const BATCH_FIELDS = [
  'id', 'object', 'endpoint', 'errors', 'input_file_id', 'completion_window', 'status', 'output_file_id', 'error_file_id',
  'created_at', 'in_progress_at', 'expires_at', 'finalizing_at', 'completed_at', 'failed_at', 'expired_at',
  'cancelling_at', 'cancelled_at', 'request_counts', 'metadata',
];
const FILE_FIELDS = ['id', 'object', 'bytes', 'created_at', 'expires_at', 'filename', 'purpose', 'status', 'status_details'];

const call = (method: string, path: string, json?: unknown): Promise<Reply> =>
  api.call(method, path, { key: MASTER_KEY, ...(json === undefined ? {} : { json }) });

const uploadBatchFile = async (n = 2): Promise<string> => idOf(await api.upload('/v1/files', { key: MASTER_KEY, content: jsonl('gpt-4o-mini', n) }));

/** Creates a batch; returns the gateway id and the upstream id the fake minted for it. */
const createBatch = async (fileId: string): Promise<{ id: string; upstreamId: string; reply: Reply }> => {
  const before = new Set(fake.batches.keys());
  const reply = await call('POST', '/v1/batches', {
    input_file_id: fileId,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
    metadata: { suite: 'conformance' },
  });
  const upstreamId = [...fake.batches.keys()].find((k) => !before.has(k));
  if (upstreamId === undefined) throw new Error(`no upstream batch was created: ${reply.text}`);
  return { id: idOf(reply), upstreamId, reply };
};


/**
 * The spec is read from the shared reference folder beside the repository. CI requires it
 * (BATCHGATE_REQUIRE_OPENAPI_SPEC=1 in .ci/run); a checkout without it skips this file and says so.
 */
const SPEC_AVAILABLE = existsSync(SPEC_PATH);
if (!SPEC_AVAILABLE) {
  if (process.env.BATCHGATE_REQUIRE_OPENAPI_SPEC === '1') throw new Error(`OpenAPI spec not found at ${SPEC_PATH}`);
  console.warn(`[conformance] SKIPPED: OpenAPI spec not found at ${SPEC_PATH}; set BATCHGATE_OPENAPI_SPEC to point at it`);
}

// The whole file runs only when the spec is there (body kept at top-level indentation).
describe.runIf(SPEC_AVAILABLE)('OpenAPI conformance', () => {
beforeAll(async () => {
  spec = OpenApiValidator.load();
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY, autoProgress: false });
  gw = await startGateway({
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
general_settings:
  master_key: os.environ/MASTER
  max_batch_file_size_mb: 1
`,
    env: { UPSTREAM_KEY, MASTER: MASTER_KEY },
  });
  api = new WireClient(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('the validator itself', () => {
  it('rejects objects that break the spec, so a pass below means something', () => {
    expect(spec.problems('OpenAIFile', { id: 'file-1', object: 'file', bytes: '12', created_at: 1, filename: 'a', purpose: 'batch', status: 'processed' })).not.toEqual([]);
    expect(spec.problems('Batch', { id: 'batch_1', object: 'batch', endpoint: '/v1/chat/completions', input_file_id: 'f', completion_window: '24h', status: 'running', created_at: 1 })).not.toEqual([]);
    expect(spec.problems('ErrorResponse', { error: { message: 'm', type: 't', param: null } })).not.toEqual([]);
    expect(spec.problems('DeleteFileResponse', { id: 'file-1', object: 'file', deleted: true })).toEqual([]);
    // Null optionals are dropped; a null in a required property still fails.
    expect(spec.problems('OpenAIFile', { id: 'file-1', object: 'file', bytes: 1, created_at: 1, expires_at: null, filename: 'a', purpose: 'batch', status: 'processed', status_details: null })).toEqual([]);
    expect(spec.problems('OpenAIFile', { id: null, object: 'file', bytes: 1, created_at: 1, filename: 'a', purpose: 'batch', status: 'processed' })).not.toEqual([]);
  });
});

describe('Files answers conform to the spec', () => {
  it('upload, retrieve, list, delete', async () => {
    const content = jsonl('gpt-4o-mini', 3);
    const uploaded = conforms(await api.upload('/v1/files', { key: MASTER_KEY, content, fields: { 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '7200' } }), 'OpenAIFile');
    expect(uploaded).toMatchObject({ object: 'file', bytes: Buffer.byteLength(content), filename: 'requests.jsonl', purpose: 'batch' });
    expect(Object.keys(uploaded).sort()).toEqual([...FILE_FIELDS].sort());
    expect(uploaded.expires_at).toEqual(expect.any(Number));
    const id = String(uploaded.id);

    const plain = conforms(await api.upload('/v1/files', { key: MASTER_KEY, content: 'notes', filename: 'notes.txt', purpose: 'user_data' }), 'OpenAIFile');
    expect(plain).toMatchObject({ purpose: 'user_data', bytes: 5 });

    expect(conforms(await call('GET', `/v1/files/${id}`), 'OpenAIFile')).toEqual(uploaded);

    const list = conforms(await call('GET', '/v1/files'), 'ListFilesResponse');
    expect(list).toMatchObject({ object: 'list', has_more: false, first_id: plain.id, last_id: id });
    conforms(await call('GET', '/v1/files?purpose=batch&limit=1&order=asc'), 'ListFilesResponse');

    const deleted = conforms(await call('DELETE', `/v1/files/${String(plain.id)}`), 'DeleteFileResponse');
    expect(deleted).toEqual({ id: plain.id, object: 'file', deleted: true });
  });

  it('an empty file list has null cursors (the spec types them as required strings; OpenAI sends null)', async () => {
    const reply = await call('GET', '/v1/files?purpose=vision');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });
});

describe('Batch answers conform to the spec', () => {
  let fileId: string;
  beforeAll(async () => {
    fileId = await uploadBatchFile(3);
  });

  it('create, list, cancel', async () => {
    const { id, reply } = await createBatch(fileId);
    const created = conforms(reply, 'Batch');
    expect(created).toMatchObject({ id, object: 'batch', status: 'validating', input_file_id: fileId, metadata: { suite: 'conformance' } });

    const list = conforms(await call('GET', '/v1/batches?limit=100'), 'ListBatchesResponse');
    expect((list.data as { id: string }[]).map((b) => b.id)).toContain(id);
    conforms(await call('GET', '/v1/batches?limit=1'), 'ListBatchesResponse');

    const cancelled = conforms(await call('POST', `/v1/batches/${id}/cancel`), 'Batch');
    expect(cancelled).toMatchObject({ id, status: 'cancelling', cancelling_at: expect.any(Number) });
  });

  const STATUSES: readonly BatchStatus[] = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'];
  it.each(STATUSES)('retrieve of a batch in status %s', async (status) => {
    const { id, upstreamId } = await createBatch(fileId);
    if (status === 'failed') {
      fake.overrideBatch(upstreamId, {
        errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 2 }] },
      });
    }
    if (status === 'finalizing' || status === 'completed' || status === 'expired') await fake.advance(upstreamId, 'in_progress');
    if (status === 'cancelled') await fake.advance(upstreamId, 'cancelling');
    if (status !== 'validating') await fake.advance(upstreamId, status);

    const batch = conforms(await call('GET', `/v1/batches/${id}`), 'Batch');
    expect(batch).toMatchObject({ id, status, object: 'batch' });
    expect(Object.keys(batch)).toEqual(expect.arrayContaining(BATCH_FIELDS));
    expect(Object.keys(batch).filter((k) => !BATCH_FIELDS.includes(k)).every((k) => k === 'model' || k === 'usage')).toBe(true);
    if (status === 'failed') expect(batch.errors).toMatchObject({ object: 'list', data: [{ code: 'invalid_json_line', line: 2 }] });
    if (status === 'completed') expect(batch.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
  });

  it('the output file of a completed batch, and its content', async () => {
    const { id, upstreamId } = await createBatch(fileId);
    await fake.advance(upstreamId, 'in_progress');
    await fake.advance(upstreamId, 'completed');
    const batch = conforms(await call('GET', `/v1/batches/${id}`), 'Batch');
    const outputId = String(batch.output_file_id);
    expect(outputId).toMatch(/^file-/);

    const output = conforms(await call('GET', `/v1/files/${outputId}`), 'OpenAIFile');
    expect(output).toMatchObject({ id: outputId, purpose: 'batch_output', object: 'file' });
    const content = await call('GET', `/v1/files/${outputId}/content`);
    expect(content.status).toBe(200);
    const lines = content.text.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string });
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['req-0', 'req-1', 'req-2']);
  });
});

describe('answers about objects held by Azure conform too, even from its oldest API versions', () => {
  let azure: FakeUpstream;
  let azureGw: InProcessGateway;
  let azureApi: WireClient;

  beforeAll(async () => {
    azure = await startFakeUpstream({
      flavor: 'azure',
      apiKey: 'azure-conformance-key',
      azureStyle: 'classic',
      autoProgress: false,
      azureQuirks: { capitalisedStatus: true, isoTimestamps: true, stringErrorLines: true, nullBytes: true },
    });
    azureGw = await startGateway({
      yaml: `model_list:
  - model_name: gpt-4o-mini-batch
    litellm_params:
      model: azure/gpt-4o-mini-batch
      api_base: ${azure.baseUrl}
      api_key: azure-conformance-key
      api_version: "2024-07-01-preview"
`,
    });
    azureApi = new WireClient(azureGw.url);
  });

  afterAll(async () => {
    await azureGw?.close();
    await azure?.close();
  });

  it('files, and a batch through its whole life', async () => {
    const content = jsonl('gpt-4o-mini-batch', 2);
    const file = conforms(await azureApi.upload('/v1/files', { content }), 'OpenAIFile');
    expect(file.bytes).toBe(Buffer.byteLength(content));
    const fileId = String(file.id);
    conforms(await azureApi.call('GET', `/v1/files/${fileId}`), 'OpenAIFile');
    conforms(await azureApi.call('GET', '/v1/files'), 'ListFilesResponse');

    const before = new Set(azure.batches.keys());
    const created = conforms(await azureApi.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } }), 'Batch');
    const upstreamId = [...azure.batches.keys()].find((k) => !before.has(k)) ?? '';
    const id = String(created.id);
    for (const status of ['in_progress', 'finalizing', 'completed'] as const) {
      await azure.advance(upstreamId, status);
      const batch = conforms(await azureApi.call('GET', `/v1/batches/${id}`), 'Batch');
      expect(batch.status).toBe(status);
    }
    conforms(await azureApi.call('GET', '/v1/batches'), 'ListBatchesResponse');
    const done = bodyOf(await azureApi.call('GET', `/v1/batches/${id}`));
    conforms(await azureApi.call('GET', `/v1/files/${String(done.output_file_id)}`), 'OpenAIFile');
  });

  it('a failed batch with string error lines', async () => {
    const fileId = idOf(await azureApi.upload('/v1/files', { content: jsonl('gpt-4o-mini-batch', 1) }));
    const before = new Set(azure.batches.keys());
    const id = idOf(await azureApi.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } }));
    const upstreamId = [...azure.batches.keys()].find((k) => !before.has(k)) ?? '';
    azure.overrideBatch(upstreamId, { errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'bad line', param: null, line: '1' }] } });
    await azure.advance(upstreamId, 'failed');
    const batch = conforms(await azureApi.call('GET', `/v1/batches/${id}`), 'Batch');
    expect(batch.errors).toMatchObject({ data: [{ code: 'invalid_json_line', line: 1 }] });
  });
});

describe('error bodies conform to ErrorResponse', () => {
  it('400: a missing purpose', async () => {
    const body = conforms(await api.upload('/v1/files', { key: MASTER_KEY, content: jsonl('m', 1), purpose: null }), 'ErrorResponse', 400);
    expect(body.error).toMatchObject({ param: 'purpose', type: 'invalid_request_error' });
  });

  it('401: no key', async () => {
    conforms(await api.call('GET', '/v1/files'), 'ErrorResponse', 401);
    conforms(await api.call('GET', '/v1/batches', { key: 'sk-wrong' }), 'ErrorResponse', 401);
  });

  it('404: unknown file and batch', async () => {
    conforms(await call('GET', '/v1/files/file-doesnotexist'), 'ErrorResponse', 404);
    conforms(await call('GET', '/v1/batches/batch_doesnotexist'), 'ErrorResponse', 404);
    conforms(await call('GET', '/v1/no-such-route'), 'ErrorResponse', 404);
  });

  it('413: a file over the size limit', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 'a');
    conforms(await api.upload('/v1/files', { key: MASTER_KEY, content: big, filename: 'big.txt', purpose: 'user_data' }), 'ErrorResponse', 413);
  });

  it('502: the upstream fails with a 500', async () => {
    const fileId = await uploadBatchFile(1);
    fake.failNext('createBatch', { status: 500 });
    conforms(await call('POST', '/v1/batches', { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' }), 'ErrorResponse', 502);
  });
});
});
