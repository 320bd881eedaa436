/**
 * Azure's differences from OpenAI (`reference/wire.md` §3.3), normalised by the Azure adapter:
 * old-preview shapes (capitalised statuses, ISO timestamps, string error lines, null bytes),
 * extra file states, its error envelopes, both auth headers and both URL styles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_STATUSES } from '../../src/contracts/openai.js';
import type { ProviderAdapter } from '../../src/domain/ports/provider-adapter.js';
import { createAzureAdapter } from '../../src/providers/azure/adapter.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { deploymentOf, jsonl, opts, requestLines, uploadBatchFile, upstreamErrorOf } from './support.js';

const KEY = 'azure-normalisation-key-0123456789';
const MODEL = 'gpt-4o-mini-batch';

const azureAdapter = (fake: FakeUpstream, params: Record<string, unknown> = {}): ProviderAdapter =>
  createAzureAdapter(deploymentOf('azure-eu', 'azure', { api_base: fake.baseUrl, api_key: KEY, api_version: '2024-10-01-preview', ...params }), {
    timeoutMs: 5000,
  });

describe('Azure old-preview shapes', () => {
  let fake: FakeUpstream;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startFakeUpstream({
      flavor: 'azure',
      apiKey: KEY,
      azureStyle: 'classic',
      azureQuirks: { capitalisedStatus: true, isoTimestamps: true, stringErrorLines: true, nullBytes: true },
    });
    adapter = azureAdapter(fake);
  });
  afterAll(() => fake?.close());

  const create = async (content: string) => {
    const ref = await uploadBatchFile(adapter, content);
    return adapter.createBatch({ inputFileRef: ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null }, opts());
  };

  it('really sends the old shapes (so the cases below test something)', async () => {
    const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['raw'])));
    const headers = { 'api-key': KEY };
    const file = (await (await fetch(`${fake.baseUrl}/openai/files/${ref}?api-version=2024-10-01-preview`, { headers })).json()) as Record<string, unknown>;
    expect(file).toMatchObject({ bytes: null, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\+00:00$/) });
    const batch = await create(jsonl(requestLines(MODEL, ['raw'])));
    const raw = (await (await fetch(`${fake.baseUrl}/openai/batches/${batch.ref}?api-version=2024-10-01-preview`, { headers })).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ status: 'InProgress', created_at: expect.any(String) });
  });

  it('reads ISO-8601 timestamps as Unix seconds and null bytes as unknown', async () => {
    const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['a'])));
    const file = await adapter.retrieveFile(ref, opts());
    expect(file.bytes).toBeNull();
    expect(file.createdAt).toBe(fake.files.get(ref)?.createdAt);
    expect(file.expiresAt).toBe(fake.files.get(ref)?.expiresAt);

    const batch = await create(jsonl(requestLines(MODEL, ['b'])));
    const stored = fake.batches.get(batch.ref);
    expect(batch.createdAt).toBe(stored?.createdAt);
    expect(batch.expiresAt).toBe(stored?.expiresAt);
  });

  it('keeps sub-second ISO timestamps with offsets exact to the second', async () => {
    const batch = await create(jsonl(requestLines(MODEL, ['iso'])));
    fake.overrideBatch(batch.ref, { created_at: '2024-07-19T17:13:57.2491382+00:00', in_progress_at: '2024-07-19T19:13:57+02:00' });
    const seen = await adapter.retrieveBatch(batch.ref, opts());
    expect(seen.createdAt).toBe(Date.UTC(2024, 6, 19, 17, 13, 57) / 1000);
    expect(seen.inProgressAt).toBe(Date.UTC(2024, 6, 19, 17, 13, 57) / 1000);
  });

  it('maps every capitalised status', async () => {
    fake.setAutoProgress(false);
    try {
      for (const status of BATCH_STATUSES) {
        const batch = await create(jsonl(requestLines(MODEL, [`s-${status}`])));
        await fake.advance(batch.ref, status);
        expect((await adapter.retrieveBatch(batch.ref, opts())).status).toBe(status);
      }
    } finally {
      fake.setAutoProgress(true);
    }
  });

  it.each([
    ['in_progress', 'in_progress'],
    ['In_Progress', 'in_progress'],
    ['Canceled', 'cancelled'],
    ['canceling', 'cancelling'],
  ] as const)('maps the spelling %s to %s', async (raw, mapped) => {
    const batch = await create(jsonl(requestLines(MODEL, ['spell'])));
    fake.overrideBatch(batch.ref, { status: raw });
    expect((await adapter.retrieveBatch(batch.ref, opts())).status).toBe(mapped);
  });

  it('reads string error lines as integers on a failed batch', async () => {
    const content = `${JSON.stringify(requestLines(MODEL, ['ok'])[0])}\n{not json\n`;
    const created = await create(content);
    const failed = await adapter.retrieveBatch(created.ref, opts());
    expect(failed.status).toBe('failed');
    expect(failed.failedAt).toEqual(expect.any(Number));
    expect(failed.errors).toEqual([{ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 2 }]);
  });
});

describe('Azure file states', () => {
  let fake: FakeUpstream;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'azure', apiKey: KEY, azureStyle: 'classic' });
    adapter = azureAdapter(fake);
  });
  afterAll(() => fake?.close());

  it.each([
    ['pending', 'uploaded'],
    ['running', 'uploaded'],
    ['Processed', 'processed'],
    ['error', 'error'],
  ] as const)('maps %s to %s', async (raw, mapped) => {
    const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['f'])));
    fake.overrideFile(ref, { status: raw });
    expect((await adapter.retrieveFile(ref, opts())).status).toBe(mapped);
  });

  it.each(['deleting', 'deleted'])('treats a %s file as not found', async (raw) => {
    const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['g'])));
    fake.overrideFile(ref, { status: raw });
    const error = await upstreamErrorOf(() => adapter.retrieveFile(ref, opts()));
    expect(error.isNotFound).toBe(true);
    expect(error.upstreamMessage).toContain(raw);
  });

  it('rejects an unknown file state', async () => {
    const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['h'])));
    fake.overrideFile(ref, { status: 'quarantined' });
    const error = await upstreamErrorOf(() => adapter.retrieveFile(ref, opts()));
    expect(error).toMatchObject({ failure: 'http', status: 502 });
    expect(error.upstreamMessage).toContain("'quarantined'");
  });

  it('answers 201 on creation, which the adapter accepts', async () => {
    const before = fake.requests.length;
    await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['i'])));
    expect(fake.requests.length).toBe(before + 1);
  });
});

describe('Azure error envelopes', () => {
  let fake: FakeUpstream;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'azure', apiKey: KEY, azureStyle: 'classic' });
    adapter = azureAdapter(fake);
  });
  afterAll(() => fake?.close());

  it('reads the authoring-style envelope: code kept, target as param', async () => {
    const error = await upstreamErrorOf(() => adapter.retrieveFile('file-unknown', opts()));
    expect(error).toMatchObject({ status: 404, upstreamCode: 'notFound', upstreamParam: 'id', upstreamType: 'invalid_request_error', isNotFound: true });
    expect(error.upstreamMessage).toBe('No such File object: file-unknown');
  });

  it('appends authoring-style details to the message', async () => {
    fake.failNext('createBatch', {
      status: 400,
      body: {
        error: {
          code: 'jsonlValidationFailed',
          message: 'Validation of the JSONL file failed.',
          target: 'input_file_id',
          details: [{ code: 'invalidLine', message: 'Line 3 is not valid JSON.', target: 'line' }],
          innererror: { code: 'InvalidJsonl' },
        },
      },
    });
    const error = await upstreamErrorOf(() =>
      adapter.createBatch({ inputFileRef: 'file-x', endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null }, opts()),
    );
    expect(error).toMatchObject({
      status: 400,
      upstreamCode: 'jsonlValidationFailed',
      upstreamParam: 'input_file_id',
      upstreamMessage: 'Validation of the JSONL file failed. Line 3 is not valid JSON.',
    });
    expect(error.toGatewayError()).toMatchObject({ status: 400, wireCode: 'jsonlValidationFailed', param: 'input_file_id' });
  });

  it('reads the inference-style envelope', async () => {
    fake.failNext('retrieveBatch', {
      status: 400,
      body: { error: { code: 'OperationNotSupported', message: 'The batch operation is not supported for this deployment.', param: null, type: null, inner_error: null } },
    });
    const error = await upstreamErrorOf(() => adapter.retrieveBatch('batch_x', opts()));
    expect(error).toMatchObject({ status: 400, upstreamCode: 'OperationNotSupported', upstreamType: 'invalid_request_error' });
  });

  it("reads the gateway-level 404 for an api-version Azure doesn't know", async () => {
    const wrongVersion = azureAdapter(fake, { api_version: '2023-01-01' });
    const error = await upstreamErrorOf(() => wrongVersion.probe(opts()));
    expect(error).toMatchObject({ status: 404, upstreamCode: '404', upstreamMessage: 'Resource not found', isNotFound: true });
  });

  it('reads the gateway-level 401', async () => {
    const wrongKey = azureAdapter(fake, { api_key: 'not-the-key-0000000' });
    const error = await upstreamErrorOf(() => wrongKey.probe(opts()));
    expect(error).toMatchObject({ status: 401, upstreamCode: '401', upstreamType: 'authentication_error' });
    expect(error.toGatewayError()).toMatchObject({ status: 502, wireCode: 'upstream_authentication_failed' });
  });
});

describe('Azure URLs and auth', () => {
  let classic: FakeUpstream;
  let v1: FakeUpstream;

  beforeAll(async () => {
    classic = await startFakeUpstream({ flavor: 'azure', apiKey: KEY, azureStyle: 'classic' });
    v1 = await startFakeUpstream({ flavor: 'azure', apiKey: KEY, azureStyle: 'v1' });
  });
  afterAll(async () => {
    await classic?.close();
    await v1?.close();
  });

  it('sends the api-version on every classic call, with no /deployments/ segment', async () => {
    const adapter = azureAdapter(classic, { api_version: '2024-10-21' });
    const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['u'])));
    const batch = await adapter.createBatch({ inputFileRef: ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null }, opts());
    await adapter.retrieveBatch(batch.ref, opts());
    await adapter.cancelBatch(batch.ref, opts());
    await adapter.retrieveFile(ref, opts());
    await adapter.openFileContent(ref, opts()).then((c) => c.body.resume());
    await adapter.deleteFile(ref, opts());
    await adapter.probe(opts());
    expect(classic.requests.length).toBeGreaterThanOrEqual(8);
    for (const r of classic.requests) {
      expect(r.query['api-version']).toBe('2024-10-21');
      expect(r.path).toMatch(/^\/openai\/(files|batches)/);
      expect(r.headers['api-key']).toBe(KEY);
    }
  });

  it('defaults to 2025-04-01-preview', async () => {
    const adapter = createAzureAdapter(deploymentOf('azure-default', 'azure', { api_base: `${classic.baseUrl}/`, api_key: KEY }), { timeoutMs: 5000 });
    const before = classic.requests.length;
    await adapter.probe(opts());
    expect(classic.requests[before]?.query['api-version']).toBe('2025-04-01-preview');
  });

  it('uses Authorization: Bearer for an Entra ID token', async () => {
    const adapter = createAzureAdapter(deploymentOf('azure-ad', 'azure', { api_base: classic.baseUrl, azure_ad_token: KEY }), { timeoutMs: 5000 });
    const before = classic.requests.length;
    await adapter.probe(opts());
    const sent = classic.requests[before];
    expect(sent?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(sent?.headers['api-key']).toBeUndefined();
  });

  it.each([
    ['api_version v1', { api_version: 'v1' }, undefined],
    ['api_version preview', { api_version: 'preview' }, 'preview'],
    ['a base ending in /openai/v1', { api_base: 'BASE/openai/v1/', api_version: '2025-04-01-preview' }, undefined],
  ])('speaks the v1 API for %s', async (_name, params, version) => {
    const resolved = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.replace('BASE', v1.baseUrl)]));
    const adapter = azureAdapter(v1, resolved);
    const before = v1.requests.length;
    await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['v'])));
    await adapter.probe(opts());
    for (const r of v1.requests.slice(before)) {
      expect(r.path).toMatch(/^\/openai\/v1\/files/);
      expect(r.query['api-version']).toBe(version);
    }
  });
});
