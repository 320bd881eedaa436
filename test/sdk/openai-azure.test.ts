/**
 * The SDK's seed flow on OpenAI and Azure (create file, create batch, waitForBatch, content, list),
 * through the gateway's own adapters against the fakes; the same calls with a model_list entry;
 * typed errors; an upload cancelled by its AbortSignal.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelBatch,
  createBatch,
  createClient,
  createFile,
  deleteFile,
  fileContent,
  listBatches,
  listFiles,
  retrieveBatch,
  retrieveFile,
  SdkError,
  waitForBatch,
  type Batch,
  type ProviderTarget,
} from '../../src/sdk/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { FAST, jsonl, requestLine, tempStateDir } from './support.js';

const OPENAI_KEY = 'sk-sdk-openai-0123456789';
const AZURE_KEY = 'azure-sdk-0123456789';

interface Case {
  readonly name: string;
  start(): Promise<FakeUpstream>;
  target(fake: FakeUpstream): ProviderTarget;
}

const CASES: readonly Case[] = [
  {
    name: 'openai',
    start: () => startFakeUpstream({ flavor: 'openai', apiKey: OPENAI_KEY }),
    target: (fake) => ({ provider: 'openai', api_key: OPENAI_KEY, api_base: fake.baseUrl }),
  },
  {
    name: 'azure',
    start: () => startFakeUpstream({ flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'classic' }),
    target: (fake) => ({ provider: 'azure', model: 'gpt-4o-mini', api_key: AZURE_KEY, api_base: fake.baseUrl, api_version: '2025-04-01-preview' }),
  },
];

let state: Awaited<ReturnType<typeof tempStateDir>>;
beforeAll(async () => {
  state = await tempStateDir();
});
afterAll(() => state?.cleanup());

describe.each(CASES)('$name', (c) => {
  let fake: FakeUpstream;
  let target: ProviderTarget;

  beforeAll(async () => {
    fake = await c.start();
    target = c.target(fake);
  });
  afterAll(() => fake?.close());

  it('runs the seed flow: create file, create batch, waitForBatch, content, list', async () => {
    const content = jsonl([requestLine('one'), requestLine('two'), requestLine('fail-three')]);
    const file = await createFile(target, { file: Buffer.from(content), filename: 'requests.jsonl' });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', status: expect.any(String) });
    expect(fake.files.has(file.id)).toBe(true);
    expect(await retrieveFile(target, file.id)).toMatchObject({ id: file.id, filename: 'requests.jsonl' });

    const batch = await createBatch(target, { input_file_id: file.id, endpoint: '/v1/chat/completions', metadata: { run: 'seed' } });
    expect(batch).toMatchObject({ object: 'batch', input_file_id: file.id, completion_window: '24h', metadata: { run: 'seed' } });

    const seen: Batch[] = [];
    const done = await waitForBatch(target, batch.id, { ...FAST, onProgress: (b) => seen.push(b) });
    expect(done).toMatchObject({ id: batch.id, status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[seen.length - 1]?.status).toBe('completed');

    const output = await fileContent(target, done.output_file_id ?? '');
    const lines: Array<{ custom_id: string; response: { status_code: number } }> = [];
    for await (const l of output.lines<{ custom_id: string; response: { status_code: number } }>()) lines.push(l);
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['one', 'two']);
    expect(lines.every((l) => l.response.status_code === 200)).toBe(true);
    const errors = await (await fileContent(target, done.error_file_id ?? '')).text();
    expect(JSON.parse(errors.trim())).toMatchObject({ custom_id: 'fail-three' });

    const batches = await listBatches(target, { limit: 100 });
    expect(batches.object).toBe('list');
    expect(batches.data.map((b) => b.id)).toContain(batch.id);
    const files = await listFiles(target, { purpose: 'batch' });
    expect(files.data.map((f) => f.id)).toContain(file.id);

    expect(await deleteFile(target, file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
  });

  it('uploads from a path, a Node stream, a web stream and an async iterable of requests', async () => {
    const content = jsonl([requestLine('p1'), requestLine('p2')]);
    const path = join(state.dir, `${c.name}-input.jsonl`);
    await writeFile(path, `\uFEFF${content}`);
    const fromPath = await createFile(target, { file: path });
    expect(fromPath.filename).toBe(`${c.name}-input.jsonl`);
    expect(fake.files.get(fromPath.id)?.lineCount).toBe(2);

    const fromNode = await createFile(target, { file: Readable.from([Buffer.from(content.slice(0, 10)), Buffer.from(content.slice(10))]) });
    expect(fake.files.get(fromNode.id)?.lineCount).toBe(2);

    const fromWeb = await createFile(target, { file: new Blob([content]).stream() });
    expect(fake.files.get(fromWeb.id)?.lineCount).toBe(2);

    async function* requests() {
      for (let i = 0; i < 50; i++) yield requestLine(`it-${i}`);
    }
    const fromIterable = await createFile(target, { file: requests() });
    expect(fake.files.get(fromIterable.id)?.lineCount).toBe(50);
    expect(fake.files.get(fromIterable.id)?.invalidLines).toEqual([]);
  });

  it('cancels a batch, and failures are SdkErrors with status and code', async () => {
    const file = await createFile(target, { file: [requestLine('c')] });
    const batch = await createBatch(target, { input_file_id: file.id, endpoint: '/v1/chat/completions' });
    expect((await cancelBatch(target, batch.id)).status).toBe('cancelling');
    expect((await retrieveBatch(target, batch.id)).status).toBe('cancelled');

    const missing = await retrieveFile(target, 'file-nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SdkError);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });

    const badFormat = await createFile(target, { file: Buffer.from('x'), filename: 'x.txt' }).catch((e: unknown) => e);
    expect(badFormat).toMatchObject({ name: 'SdkError', code: 'invalid_file_format', status: 400 });

    fake.failNext('retrieveBatch', { status: 503 });
    const unavailable = await retrieveBatch(target, batch.id).catch((e: unknown) => e);
    expect(unavailable).toMatchObject({ name: 'SdkError', status: 503, retryable: true });
  });

  it('aborts an upload with its AbortSignal, leaving nothing upstream', async () => {
    const before = fake.files.size;
    const controller = new AbortController();
    async function* slow() {
      yield requestLine('slow-1');
      await new Promise((r) => setTimeout(r, 50));
      controller.abort(new Error('stop the upload'));
      await new Promise((r) => setTimeout(r, 5_000));
      yield requestLine('slow-2');
    }
    const started = Date.now();
    await expect(createFile(target, { file: slow() }, { signal: controller.signal })).rejects.toThrow('stop the upload');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(fake.files.size).toBe(before);
    // An already-aborted signal stops before any request.
    await expect(retrieveBatch(target, 'batch_x', { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
  });

  it('waitForBatch gives up after timeoutMs with a wait_timeout SdkError', async () => {
    const file = await createFile(target, { file: [requestLine('w')] });
    const batch = await createBatch(target, { input_file_id: file.id, endpoint: '/v1/chat/completions' });
    fake.setAutoProgress(false);
    try {
      const err = await waitForBatch(target, batch.id, { minIntervalMs: 5, maxIntervalMs: 10, timeoutMs: 150 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'SdkError', code: 'wait_timeout' });
    } finally {
      fake.setAutoProgress(true);
    }
  });

  it('takes a model_list entry, bound in a client', async () => {
    const t = c.target(fake);
    const { provider, model, ...params } = t;
    const client = createClient({
      model_name: 'my-group',
      litellm_params: { model: `${provider}/${model ?? 'gpt-4o-mini'}`, ...params },
      model_info: { id: `${c.name}-entry` },
    });
    try {
      expect(client.deployment).toMatchObject({ id: `${c.name}-entry`, provider, model_name: 'my-group' });
      const file = await client.createFile({ file: [requestLine('m1', 'my-group'), requestLine('m2', 'my-group')] });
      // The lines' body.model becomes the deployment's upstream model.
      expect(fake.fileModels(file.id)).toEqual([model ?? 'gpt-4o-mini']);
      const batch = await client.createBatch({ input_file_id: file.id, endpoint: '/v1/chat/completions' });
      const done = await client.waitForBatch(batch.id, FAST);
      expect(done.status).toBe('completed');
      expect((await (await client.fileContent(done.output_file_id ?? '')).text()).trim().split('\n')).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});

describe('targets', () => {
  it('refuses an unknown provider, a native provider without a model, and a broken model_list entry', async () => {
    await expect(retrieveBatch({ provider: 'azzure' as 'azure' }, 'b')).rejects.toMatchObject({ code: 'invalid_request', param: 'provider' });
    await expect(retrieveBatch({ provider: 'vertex_ai' }, 'b')).rejects.toMatchObject({ code: 'missing_required_parameter', param: 'model' });
    await expect(
      retrieveBatch({ model_name: 'x', litellm_params: { model: 'azzure/gpt' } }, 'b'),
    ).rejects.toMatchObject({ name: 'SdkError', code: 'invalid_request', message: expect.stringContaining("did you mean 'azure/gpt'") });
  });
});
