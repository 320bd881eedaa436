/**
 * The official `openai` npm client, pointed at the fakes, uploads, creates, retrieves, pages and
 * downloads: proof that the fakes speak the real wire format (and so the adapter tests mean
 * something). AzureOpenAI covers the classic Azure URLs, the plain client Azure's v1 API.
 */
import OpenAI, { AzureOpenAI, NotFoundError, BadRequestError, AuthenticationError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { jsonl, requestLines, sha256 } from './support.js';

const OPENAI_KEY = 'sk-sdk-test-0123456789';
const AZURE_KEY = 'azure-sdk-test-0123456789';
const MODEL = 'gpt-4o-mini';

interface SdkCase {
  readonly name: string;
  start(): Promise<FakeUpstream>;
  client(fake: FakeUpstream): OpenAI;
}

const CASES: readonly SdkCase[] = [
  {
    name: 'OpenAI client → openai fake',
    start: () => startFakeUpstream({ flavor: 'openai', apiKey: OPENAI_KEY }),
    client: (fake) => new OpenAI({ apiKey: OPENAI_KEY, baseURL: fake.baseUrl, maxRetries: 0 }),
  },
  {
    name: 'AzureOpenAI client → azure classic fake',
    start: () => startFakeUpstream({ flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'classic' }),
    client: (fake) => new AzureOpenAI({ apiKey: AZURE_KEY, endpoint: fake.baseUrl, apiVersion: '2025-04-01-preview', maxRetries: 0 }),
  },
  {
    name: 'OpenAI client → azure v1 fake',
    start: () => startFakeUpstream({ flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'v1' }),
    client: (fake) => new OpenAI({ apiKey: AZURE_KEY, baseURL: `${fake.baseUrl}/openai/v1`, defaultHeaders: { 'api-key': AZURE_KEY }, maxRetries: 0 }),
  },
];

describe.each(CASES)('$name', (sdkCase) => {
  let fake: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await sdkCase.start();
    client = sdkCase.client(fake);
  });
  afterAll(() => fake?.close());

  it('uploads, creates, follows to completion and downloads the output', async () => {
    const content = jsonl(requestLines(MODEL, ['one', 'two', 'fail-three']));
    const file = await client.files.create({ file: await toFile(Buffer.from(content), 'requests.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', bytes: Buffer.byteLength(content), filename: 'requests.jsonl', purpose: 'batch' });
    expect(fake.fileSha256(file.id)).toBe(sha256(content));
    expect(fake.fileModels(file.id)).toEqual([MODEL]);
    expect(await (await client.files.content(file.id)).text()).toBe(content);

    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { k: 'v' } });
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, metadata: { k: 'v' } });

    let current = batch;
    for (let i = 0; i < 5 && current.status !== 'completed'; i++) current = await client.batches.retrieve(batch.id);
    expect(current).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });

    const output = await (await client.files.content(current.output_file_id ?? '')).text();
    const lines = output.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { body: { model: string } } });
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['one', 'two']);
    expect(lines.every((l) => l.response.body.model === MODEL)).toBe(true);
    const errors = await (await client.files.content(current.error_file_id ?? '')).text();
    expect(JSON.parse(errors.trim())).toMatchObject({ custom_id: 'fail-three', response: { status_code: 400 }, error: null });
  });

  it('sends expires_after the way the SDK encodes it', async () => {
    const seconds = sdkCase.name.includes('classic') ? 1_296_000 : 7200;
    const file = await client.files.create({
      file: await toFile(Buffer.from(jsonl(requestLines(MODEL, ['e']))), 'e.jsonl'),
      purpose: 'batch',
      expires_after: { anchor: 'created_at', seconds },
    });
    expect(file.expires_at).toBe(file.created_at + seconds);
  });

  it('pages through batches and files with cursors', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl(requestLines(MODEL, ['p']))), 'p.jsonl'), purpose: 'batch' });
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      created.push((await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    }
    const seen: string[] = [];
    for await (const batch of client.batches.list({ limit: 2 })) seen.push(batch.id);
    expect(seen).toEqual(expect.arrayContaining(created));
    expect(new Set(seen).size).toBe(seen.length);

    const files: string[] = [];
    for await (const f of client.files.list({ purpose: 'batch' })) files.push(f.id);
    expect(files).toContain(file.id);
  });

  it('cancels, and the SDK sees the error classes it expects', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl(requestLines(MODEL, ['c']))), 'c.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await client.batches.cancel(batch.id)).status).toBe('cancelling');
    expect((await client.batches.retrieve(batch.id)).status).toBe('cancelled');
    await expect(client.batches.cancel(batch.id)).rejects.toBeInstanceOf(BadRequestError);

    await expect(client.files.retrieve('file-nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      client.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(client.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'batch' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('Invalid file format for Batch API. Must be .jsonl'),
    });
    const deleted = await client.files.delete(file.id);
    expect(deleted).toEqual({ id: file.id, object: 'file', deleted: true });
  });

  it('rejects a wrong key with 401', async () => {
    const wrong =
      sdkCase.name.startsWith('AzureOpenAI')
        ? new AzureOpenAI({ apiKey: 'wrong', endpoint: fake.baseUrl, apiVersion: '2025-04-01-preview', maxRetries: 0 })
        : new OpenAI({ apiKey: 'wrong', baseURL: client.baseURL, defaultHeaders: { 'api-key': 'wrong' }, maxRetries: 0 });
    await expect(wrong.files.list()).rejects.toBeInstanceOf(AuthenticationError);
  });
});
