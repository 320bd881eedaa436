/**
 * Gemini API adapter, creating batches against the fake: small staged inputs inline (streamed,
 * keys in `metadata`), larger ones through a chunked resumable Files API upload, what is never
 * sent (labels), and the failures Google answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { createGeminiAdapter } from '../../../src/providers/gemini/adapter.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/fake-gemini.js';
import { adapterOn, createInput, geminiDeployment, opts, rejection, stagedInput, stagedText } from './support.js';

let fake: FakeGemini;
const GRANULARITY = 16 * 1024;

beforeAll(async () => {
  fake = await startFakeGemini({ chunkGranularity: GRANULARITY });
});
afterAll(async () => {
  await fake.close();
});

describe('createBatch inline', () => {
  it('sends a small staged input inline, each request with its key in metadata, and maps the answer', async () => {
    const adapter = adapterOn(fake);
    const staged = stagedInput(stagedText(adapter, 3));
    const batch = await adapter.createBatch(createInput(staged), opts());
    expect(batch.ref).toMatch(/^batches\/[0-9a-f]+$/);
    expect(batch.status).toBe('validating');
    expect(batch.label).toBe('batch_AbCdEfGhIjKlMnOp');
    expect(batch.requestCounts).toEqual({ total: 3, completed: 0, failed: 0 });
    expect(batch.outputFileRef).toBeNull();
    expect(batch.inputFileRef).toBeNull();
    const upstream = fake.batch(batch.ref);
    expect(upstream.model).toBe('models/gemini-2.5-flash');
    expect(upstream.fileName).toBeNull();
    expect(upstream.requests.map((r) => r.metadata)).toEqual([{ key: '1' }, { key: '2' }, { key: '3' }]);
    expect(upstream.requests[1]?.request).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'question 2' }] }],
      generationConfig: { maxOutputTokens: 50 },
    });
    expect(JSON.stringify(upstream.requests)).not.toContain('labels');
    expect(fake.files()).toHaveLength(0);
    expect(staged.opened).toBe(1);
  });

  it('sends the key in x-goog-api-key, never in the URL', async () => {
    const adapter = adapterOn(fake);
    const before = fake.calls.length;
    await adapter.createBatch(createInput(stagedInput(stagedText(adapter, 1))), opts());
    const calls = fake.calls.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.headers['x-goog-api-key']).toBe(fake.apiKey);
      expect(call.path).not.toContain(fake.apiKey);
    }
    expect(calls[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:batchGenerateContent');
  });

  it('takes a model already written as models/…', async () => {
    const adapter = adapterOn(fake);
    const named = createGeminiAdapter(geminiDeployment(fake.params, 'models/gemini-2.5-pro'), { timeoutMs: 5000, env: {} });
    const batch = await named.createBatch(createInput(stagedInput(stagedText(adapter, 1))), opts());
    expect(fake.batch(batch.ref).model).toBe('models/gemini-2.5-pro');
  });

  it('refuses endpoints other than chat completions before any call', async () => {
    const adapter = adapterOn(fake);
    const before = fake.calls.length;
    const error = await rejection(adapter.createBatch({ ...createInput(stagedInput(stagedText(adapter, 1))), endpoint: '/v1/embeddings' }, opts()));
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('unsupported_operation');
    expect(fake.calls.length).toBe(before);
  });

  it("passes Google's refusal on as an UpstreamError with its message and status", async () => {
    const adapter = adapterOn(fake);
    fake.failNext('create', { status: 429, message: 'Resource has been exhausted (e.g. check quota).' });
    const error = await rejection(adapter.createBatch(createInput(stagedInput(stagedText(adapter, 1))), opts()));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(429);
    expect((error as UpstreamError).retryable).toBe(true);
    expect((error as UpstreamError).upstreamMessage).toContain('Resource has been exhausted');
  });
});

describe('createBatch through the Files API', () => {
  it('uploads a staged input past the inline threshold in chunks and creates the batch from the file', async () => {
    const adapter = adapterOn(fake, {}, {}, { inlineMaxBytes: 1024, chunkBytes: GRANULARITY });
    const content = stagedText(adapter, 400, (n) => `question ${n} ${'x'.repeat(60)}`);
    expect(content.length).toBeGreaterThan(2 * GRANULARITY);
    const before = fake.calls.length;
    const batch = await adapter.createBatch(createInput(stagedInput(content)), opts());
    const upstream = fake.batch(batch.ref);
    expect(upstream.fileName).toMatch(/^files\//);
    expect(batch.inputFileRef).toBe(upstream.fileName);
    const file = fake.files().find((f) => f.name === upstream.fileName);
    expect(file?.content.toString('utf8')).toBe(content);
    expect(file?.mimeType).toBe('application/jsonl');
    expect(file?.displayName).toBe('batchgate-batch_AbCdEfGhIjKlMnOp');
    expect(upstream.requests).toHaveLength(400);
    expect(upstream.requests[399]?.key).toBe('400');
    const commands = fake.calls.slice(before).map((c) => c.headers['x-goog-upload-command']).filter((c) => c !== undefined);
    expect(commands[0]).toBe('start');
    expect(commands.at(-1)).toBe('upload, finalize');
    expect(commands.filter((c) => c === 'upload').length).toBeGreaterThanOrEqual(2);
    const chunkSizes = fake.calls.slice(before).filter((c) => c.headers['x-goog-upload-command'] === 'upload').map((c) => c.bytes);
    expect(new Set(chunkSizes)).toEqual(new Set([GRANULARITY]));
  });

  it('rounds the chunk size up to the granularity Google announces', async () => {
    const adapter = adapterOn(fake, {}, {}, { inlineMaxBytes: 0, chunkBytes: 1000 });
    const before = fake.calls.length;
    await adapter.createBatch(createInput(stagedInput(stagedText(adapter, 300))), opts());
    const chunks = fake.calls.slice(before).filter((c) => c.headers['x-goog-upload-command'] === 'upload');
    expect(chunks.every((c) => c.bytes === GRANULARITY)).toBe(true);
  });

  it('resumes a chunk that failed with a 503 from what Google received', async () => {
    const adapter = adapterOn(fake, {}, {}, { inlineMaxBytes: 0, chunkBytes: GRANULARITY });
    const content = stagedText(adapter, 500);
    fake.failNext('upload-chunk', { status: 503 });
    const batch = await adapter.createBatch(createInput(stagedInput(content)), opts());
    const upstream = fake.batch(batch.ref);
    expect(fake.files().find((f) => f.name === upstream.fileName)?.content.toString('utf8')).toBe(content);
  });

  it('cancels the upload session when a chunk is refused', async () => {
    const adapter = adapterOn(fake, {}, {}, { inlineMaxBytes: 0, chunkBytes: GRANULARITY });
    fake.failNext('upload-chunk', { status: 400, message: 'Bad chunk.' });
    const before = fake.calls.length;
    const error = await rejection(adapter.createBatch(createInput(stagedInput(stagedText(adapter, 500))), opts()));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(400);
    expect(fake.calls.slice(before).map((c) => c.headers['x-goog-upload-command']).at(-1)).toBe('cancel');
  });

  it('never sends labels, inline or in a file', async () => {
    const adapter = adapterOn(fake, {}, {}, { inlineMaxBytes: 0, chunkBytes: GRANULARITY });
    const batch = await adapter.createBatch(createInput(stagedInput(stagedText(adapter, 2))), opts());
    const upstream = fake.batch(batch.ref);
    expect(fake.files().find((f) => f.name === upstream.fileName)?.content.toString('utf8')).not.toContain('labels');
    expect(JSON.stringify(fake.batches().map((b) => b.requests))).not.toContain('labels');
  });
});
