/**
 * Gemini API adapter results against the fake: inline answers (keys from metadata, else by
 * position) and a responses file (out of order, failed, duplicated and unanswered requests),
 * each converted to the port's result line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamResultLine } from '../../../src/domain/ports/provider-adapter.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/fake-gemini.js';
import { adapterOn, collect, createInput, opts, rejection, stagedInput, stagedText } from './support.js';

let fake: FakeGemini;
const GRANULARITY = 16 * 1024;

beforeAll(async () => {
  fake = await startFakeGemini({ chunkGranularity: GRANULARITY });
});
afterAll(async () => {
  await fake.close();
});

const NOW = 1_750_000_000;
const adapter = (inline: boolean) =>
  adapterOn(fake, {}, { clock: { now: () => NOW * 1000 } }, inline ? {} : { inlineMaxBytes: 0, chunkBytes: GRANULARITY });

const createdOn = async (inline: boolean, count: number): Promise<string> => {
  const a = adapter(inline);
  return (await a.createBatch(createInput(stagedInput(stagedText(a, count))), opts())).ref;
};

const byLine = (results: UpstreamResultLine[]): Map<number, UpstreamResultLine> => new Map(results.map((r) => [r.lineNo, r]));

describe.each([
  ['inline', true],
  ['responses file', false],
])('openResults from %s', (_name, inline) => {
  it('converts answers to 200 chat.completion bodies with usage, cached and reasoning tokens', async () => {
    const ref = await createdOn(inline, 3);
    fake.finish(ref, { thoughts: 4, cached: 2 });
    const results = await collect(adapter(inline).openResults(ref, opts()));
    expect(results.map((r) => r.lineNo).sort()).toEqual([1, 2, 3]);
    const second = byLine(results).get(2);
    expect(second?.error).toBeNull();
    expect(second?.response?.statusCode).toBe(200);
    expect(second?.response?.requestId).toMatch(/^resp-/);
    const prompt = 'question 2'.length;
    const answer = 'echo: question 2'.length;
    expect(second?.response?.body).toEqual({
      id: `chatcmpl-${second?.response?.requestId}`,
      object: 'chat.completion',
      created: NOW,
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: question 2', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: answer + 4,
        total_tokens: prompt + answer + 4,
        prompt_tokens_details: { cached_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 4 },
      },
    });
  });

  it('turns a google.rpc Status into an error response with the HTTP status of its code', async () => {
    const ref = await createdOn(inline, 3);
    fake.finish(ref, {
      fail: (_r, key) =>
        key === '1' ? { code: 8, message: 'Resource exhausted.' } : key === '3' ? { code: 3, message: `Bad request for ${fake.apiKey}` } : null,
    });
    const results = byLine(await collect(adapter(inline).openResults(ref, opts())));
    expect(results.get(1)?.response).toEqual({
      statusCode: 429,
      requestId: null,
      body: { error: { message: 'Resource exhausted.', type: 'invalid_request_error', param: null, code: null } },
    });
    expect(results.get(3)?.response?.statusCode).toBe(400);
    expect(JSON.stringify(results.get(3))).not.toContain(fake.apiKey);
    expect(results.get(2)?.response?.statusCode).toBe(200);
  });

  it('yields nothing for a request without an answer and twice for one answered twice', async () => {
    const ref = await createdOn(inline, 4);
    fake.finish(ref, { omit: (key) => key === '3', duplicate: (key) => key === '2' });
    const results = await collect(adapter(inline).openResults(ref, opts()));
    expect(results.map((r) => r.lineNo)).toEqual([1, 2, 2, 4]);
  });

  it('yields nothing for a batch that failed or was cancelled before any answer', async () => {
    const failed = await createdOn(inline, 2);
    fake.finish(failed, { state: 'BATCH_STATE_FAILED' });
    expect(await collect(adapter(inline).openResults(failed, opts()))).toEqual([]);
    const cancelled = await createdOn(inline, 2);
    fake.finish(cancelled, { state: 'BATCH_STATE_CANCELLED' });
    expect(await collect(adapter(inline).openResults(cancelled, opts()))).toEqual([]);
  });

  it('reads the answers a cancelled batch did produce', async () => {
    const ref = await createdOn(inline, 3);
    fake.finish(ref, { state: 'BATCH_STATE_CANCELLED', omit: (key) => key !== '2' });
    expect((await collect(adapter(inline).openResults(ref, opts()))).map((r) => r.lineNo)).toEqual([2]);
  });
});

describe('openResults specifics', () => {
  it('inline answers without metadata are matched by position', async () => {
    const ref = await createdOn(true, 3);
    fake.finish(ref, { dropMetadata: true });
    const results = await collect(adapter(true).openResults(ref, opts()));
    expect(results.map((r) => [r.lineNo, (r.response?.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content])).toEqual([
      [1, 'echo: question 1'],
      [2, 'echo: question 2'],
      [3, 'echo: question 3'],
    ]);
  });

  it('responses file lines are matched by key, whatever their order', async () => {
    const ref = await createdOn(false, 3);
    fake.finish(ref, { reverse: true });
    const results = await collect(adapter(false).openResults(ref, opts()));
    expect(results.map((r) => r.lineNo)).toEqual([3, 2, 1]);
    expect((results[0]?.response?.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('echo: question 3');
    const downloads = fake.calls.filter((c) => c.path.startsWith('/download/v1beta/files/'));
    expect(downloads.at(-1)?.path).toMatch(/^\/download\/v1beta\/files\/batch-[0-9a-f]+:download\?alt=media$/);
  });

  it('converts the same output the same way every time it is read', async () => {
    const ref = await createdOn(false, 2);
    fake.finish(ref);
    const first = await collect(adapter(false).openResults(ref, opts()));
    expect(await collect(adapter(false).openResults(ref, opts()))).toEqual(first);
  });

  it('a download that fails is an UpstreamError', async () => {
    const ref = await createdOn(false, 2);
    fake.finish(ref);
    fake.failNext('download', { status: 503 });
    const error = await rejection(collect(adapter(false).openResults(ref, opts())));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(503);
  });
});
