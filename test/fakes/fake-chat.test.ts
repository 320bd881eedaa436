/**
 * The fake inference server (`fake-chat.ts`) against plain `fetch`: each route's answer validated
 * against OpenAI's own schemas (`reference/openai-openapi.yaml`), the rejections a real server
 * sends, fault rules, latency, and the accounting that end-to-end tests read back.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import OpenAI from 'openai';
import { parse } from 'yaml';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SPEC_PATH } from '../conformance/openapi.js';
import { fakeEmbedding, fakeTokenCount, startFakeChat, type FakeChat, type FakeChatOptions } from './fake-chat.js';

type Json = Record<string, any>;
const SCHEMAS = ['CreateChatCompletionResponse', 'CreateCompletionResponse', 'CreateEmbeddingResponse', 'Response', 'ErrorResponse'] as const;
type Schema = (typeof SCHEMAS)[number];

let validators: Map<Schema, ValidateFunction>;
/** The schema's complaints about `value`; [] when it conforms. */
const problems = (schema: Schema, value: unknown): unknown[] => {
  const validate = validators.get(schema)!;
  return validate(value) ? [] : (validate.errors ?? []);
};

beforeAll(() => {
  const doc = parse(readFileSync(SPEC_PATH, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  for (const format of ['int64', 'int32']) ajv.addFormat(format, { type: 'number', validate: (n: number) => Number.isInteger(n) });
  for (const format of ['float', 'double']) ajv.addFormat(format, { type: 'number', validate: () => true });
  ajv.addFormat('uri', { type: 'string', validate: () => true });
  ajv.addSchema({ $id: 'spec:openai', components: { schemas: doc.components.schemas } });
  validators = new Map(SCHEMAS.map((name) => [name, ajv.getSchema(`spec:openai#/components/schemas/${name}`)!]));
});

let chat: FakeChat;
const start = async (options?: FakeChatOptions): Promise<FakeChat> => {
  await chat?.close();
  chat = await startFakeChat(options);
  return chat;
};
beforeEach(() => start());
afterEach(() => chat.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> =>
  fetch(`${chat.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
const chatBody = (text: string, extra: Json = {}): Json => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: text },
  ],
  ...extra,
});
const ask = (text: string, headers: Record<string, string> = {}): Promise<Response> => post('/chat/completions', chatBody(text), headers);
/** The status of each answer to `texts`, sent one after another. */
const statuses = async (texts: readonly string[]): Promise<number[]> => {
  const out: number[] = [];
  for (const text of texts) out.push((await ask(text)).status);
  return out;
};
const elapsed = async (run: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
};

describe('answers', () => {
  it('chat completion: the schema, an echo of the last user message, word-count usage, ids by arrival', async () => {
    await ask('first');
    const res = await ask('hello there');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req_2');
    const body = (await res.json()) as Json;
    expect(problems('CreateChatCompletionResponse', body)).toEqual([]);
    expect(body).toMatchObject({ id: 'chatcmpl-2', object: 'chat.completion', model: 'gpt-4o-mini' });
    expect(body.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'echo: hello there', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' },
    ]);
    expect(body.usage).toMatchObject({ prompt_tokens: fakeTokenCount('be brief hello there'), completion_tokens: 3, total_tokens: 7 });
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60);
    expect(chat.log[1]).toMatchObject({ seq: 2, path: '/v1/chat/completions', route: '/chat/completions', key: 'hello there', attempt: 1, answeredWith: 200 });

    const parts = await post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'from parts' }] }] });
    expect(((await parts.json()) as Json).choices[0].message.content).toBe('echo: from parts');
  });

  it('text completion: one choice per prompt', async () => {
    const body = (await (await post('/completions', { model: 'gpt-3.5-turbo-instruct', prompt: ['one two', 'three'] })).json()) as Json;
    expect(problems('CreateCompletionResponse', body)).toEqual([]);
    expect(body).toMatchObject({ id: 'cmpl-1', object: 'text_completion', model: 'gpt-3.5-turbo-instruct' });
    expect(body.choices.map((c: Json) => [c.index, c.text, c.finish_reason])).toEqual([
      [0, 'echo: one two', 'stop'],
      [1, 'echo: three', 'stop'],
    ]);
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  });

  it('embeddings: a unit vector hashed from each input, as floats or base64', async () => {
    const res = await post('/embeddings', { model: 'text-embedding-3-small', input: ['a b', 'c'] });
    const body = (await res.json()) as Json;
    expect(problems('CreateEmbeddingResponse', body)).toEqual([]);
    expect(body).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(body.data.map((d: Json) => [d.object, d.index])).toEqual([['embedding', 0], ['embedding', 1]]);
    expect(body.data[0].embedding).toEqual(fakeEmbedding('a b'));
    expect(body.data[0].embedding).toHaveLength(8);
    expect(Math.hypot(...(body.data[1].embedding as number[]))).toBeCloseTo(1, 5);

    const sized = (await (await post('/embeddings', { model: 'm', input: 'x', dimensions: 40 })).json()) as Json;
    expect(sized.data[0].embedding).toEqual(fakeEmbedding('x', 40));
    const b64 = (await (await post('/embeddings', { model: 'm', input: 'x', encoding_format: 'base64' })).json()) as Json;
    const bytes = Buffer.from(b64.data[0].embedding as string, 'base64');
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]).toEqual(fakeEmbedding('x'));
  });

  it('responses: a completed response with one output_text message', async () => {
    for (const input of ['hi you', [{ role: 'user', content: [{ type: 'input_text', text: 'hi you' }] }]]) {
      const body = (await (await post('/responses', { model: 'gpt-4.1', input, instructions: 'be kind' })).json()) as Json;
      expect(problems('Response', body)).toEqual([]);
      expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4.1', instructions: 'be kind', error: null });
      expect(body.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'echo: hi you' }] });
      expect(body.usage).toMatchObject({ input_tokens: 4, output_tokens: 3, total_tokens: 7 });
    }
    expect(chat.log.map((e) => e.key)).toEqual(['hi you', 'hi you']);
  });

  it('the official openai client reads every answer (embeddings in its default base64 too)', async () => {
    await start({ apiKey: 'sk-sdk' });
    const client = new OpenAI({ apiKey: 'sk-sdk', baseURL: chat.url, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'sdk hi' }] });
    expect(completion.choices[0]?.message.content).toBe('echo: sdk hi');
    const { data, response } = await client.completions.create({ model: 'm', prompt: 'p' }).withResponse();
    expect([data.choices[0]?.text, response.headers.get('x-request-id')]).toEqual(['echo: p', 'req_2']);
    expect((await client.embeddings.create({ model: 'm', input: 'sdk' })).data[0]?.embedding).toEqual(fakeEmbedding('sdk'));
    expect((await client.responses.create({ model: 'm', input: 'sdk hi' })).output_text).toBe('echo: sdk hi');
    expect(chat.log.map((e) => e.body?.['encoding_format'])).toEqual([undefined, undefined, 'base64', undefined]);
  });
});

describe('rejections, in the error envelope', () => {
  const expectError = async (res: Response, status: number, error: Json = {}): Promise<Json> => {
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toMatch(/^req_\d+$/);
    const body = (await res.json()) as Json;
    expect(problems('ErrorResponse', body)).toEqual([]);
    expect(body.error).toMatchObject(error);
    return body;
  };

  it('401 without the key or with a wrong one, when apiKey is set', async () => {
    await start({ apiKey: 'sk-right' });
    await expectError(await ask('x'), 401, { type: 'invalid_request_error', code: null });
    await expectError(await ask('x', { authorization: 'Bearer sk-wrong' }), 401, { code: 'invalid_api_key' });
    expect((await ask('x', { authorization: 'Bearer sk-right' })).status).toBe(200);
    expect(chat.log.map((e) => e.answeredWith)).toEqual([401, 401, 200]);
  });

  it.each([
    ['not JSON', '/chat/completions', '{"model":', null],
    ['not an object', '/chat/completions', '[1]', null],
    ['no model', '/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
    ['a numeric model', '/embeddings', { model: 3, input: 'x' }, 'model'],
    ['no messages', '/chat/completions', { model: 'm' }, 'messages'],
    ['messages not an array', '/chat/completions', { model: 'm', messages: 'x' }, 'messages'],
    ['empty messages', '/chat/completions', { model: 'm', messages: [] }, 'messages'],
    ['a message without role', '/chat/completions', { model: 'm', messages: [{ content: 'x' }] }, 'messages[0].role'],
    ['embeddings without input', '/embeddings', { model: 'm' }, 'input'],
    ['completions without prompt', '/completions', { model: 'm' }, 'prompt'],
    ['responses without input', '/responses', { model: 'm' }, 'input'],
    ['stream: true', '/chat/completions', chatBody('x', { stream: true }), 'stream'],
  ])('400 for %s', async (_name, path, body, param) => {
    const { error } = await expectError(await post(path, body), 400, { type: 'invalid_request_error', param });
    if (param === 'stream') expect(error.message).toMatch(/stream/);
  });

  it('500 when the fake itself fails (here a throwing keyOf)', async () => {
    await start({
      keyOf: () => {
        throw new Error('boom');
      },
    });
    expect((await expectError(await ask('x'), 500, { type: 'server_error' })).error.message).toMatch(/boom/);
    expect(chat.log[0]?.answeredWith).toBe(500);
  });

  it('404 for other paths, 405 for other methods', async () => {
    await expectError(await post('/models', {}), 404, { message: 'Invalid URL (POST /v1/models)' });
    await expectError(await fetch(`${chat.url.replace(/\/v1$/, '')}/chat/completions`, { method: 'POST', body: '{}' }), 404);
    const res = await fetch(`${chat.url}/chat/completions`);
    await expectError(res, 405, { message: 'Invalid method for URL (GET /v1/chat/completions)' });
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('faults', () => {
  it('answers a status with its envelope and Retry-After, for the next n requests', async () => {
    const rule = chat.setFault({ next: 2, action: { status: 429, retryAfterSeconds: 3 } });
    const res = await ask('a');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(((await res.json()) as Json).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(await statuses(['b', 'c'])).toEqual([429, 200]);
    expect(rule.hits).toBe(2);

    chat.setFault({ next: 1, action: { status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } } } });
    const custom = await ask('d');
    expect([custom.status, ((await custom.json()) as Json).error.message]).toEqual([503, 'overloaded']);
  });

  it("'reset' destroys the socket: the client gets a network error, not an answer", async () => {
    chat.setFault({ next: 1, action: 'reset' });
    await expect(ask('a')).rejects.toThrow(TypeError);
    expect(chat.log[0]?.answeredWith).toBe('reset');
    expect((await ask('a')).status).toBe(200);
    expect(chat.requestsFor('a').map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('fails the first n attempts of each distinct request, then lets it through', async () => {
    chat.setFault({ firstAttempts: 2, action: { status: 500 } });
    expect(await statuses(['a', 'b', 'a', 'b', 'a', 'c'])).toEqual([500, 500, 500, 500, 200, 500]);
    expect(chat.requestsFor('a').map((e) => [e.attempt, e.answeredWith])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it('keys requests with keyOf, and selects them with route and when', async () => {
    await start({ keyOf: (body) => String((body['metadata'] as Json | undefined)?.['id']) });
    chat.setFault({ route: '/embeddings', action: { status: 422 } });
    chat.setFault({ when: (r) => r.body?.['model'] === 'missing', action: { status: 404 } });
    expect((await post('/embeddings', { model: 'm', input: 'x' })).status).toBe(422);
    const notFound = await post('/chat/completions', { ...chatBody('x'), model: 'missing', metadata: { id: 'line-1' } });
    expect([notFound.status, ((await notFound.json()) as Json).error.code]).toEqual([404, 'model_not_found']);
    expect((await post('/chat/completions', { ...chatBody('x'), metadata: { id: 'line-1' } })).status).toBe(200);
    expect(chat.requestsFor('line-1').map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('a seeded probability gives the same choices on every run', async () => {
    const texts = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const run = async (): Promise<number[]> => {
      await start();
      chat.setFault({ probability: 0.4, seed: 7, action: { status: 502 } });
      return statuses(texts);
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(502);
  });

  it('stacks rules (the first added that matches wins), removes one, clears all', async () => {
    chat.setFault({ next: 1, action: { status: 500 } });
    const later = chat.setFault({ next: 2, action: { status: 502 } });
    const always = chat.setFault({ action: { status: 503 } });
    expect(await statuses(['a', 'b', 'c', 'd'])).toEqual([500, 502, 502, 503]);
    expect([later.hits, always.hits]).toEqual([2, 1]);
    always.remove();
    expect(await statuses(['e'])).toEqual([200]);
    chat.setFault({ action: { status: 500 } });
    chat.clearFaults();
    expect(await statuses(['f'])).toEqual([200]);
  });

  it("'slow' waits at least its time, then answers normally", async () => {
    chat.setFault({ next: 1, action: { slowMs: 150 } });
    let res: Response | undefined;
    expect(await elapsed(async () => (res = await ask('a')))).toBeGreaterThanOrEqual(148);
    expect(res?.status).toBe(200);
  });

  it("close() ends a 'hang' and a long latency at once, and frees the port", async () => {
    chat.setFault({ next: 1, action: 'hang' });
    // Caught at once: they fail while close() is awaited.
    const hung = ask('a').catch((error: unknown) => error);
    await vi.waitFor(() => expect(chat.inFlight).toBe(1));
    chat.setLatency(60_000);
    const waiting = ask('b').catch((error: unknown) => error);
    await vi.waitFor(() => expect(chat.inFlight).toBe(2));
    expect(await elapsed(() => chat.close())).toBeLessThan(5_000);
    expect(await hung).toBeInstanceOf(TypeError);
    expect(await waiting).toBeInstanceOf(TypeError);
    expect(chat.log.map((e) => e.answeredWith)).toEqual(['hang', 'aborted']);
    await expect(ask('c')).rejects.toThrow(TypeError);
  });
});

describe('latency and accounting', () => {
  it('a latency range delays every answer by at least its minimum', async () => {
    chat.setLatency([80, 120]);
    for (const text of ['a', 'b', 'c']) expect(await elapsed(() => ask(text))).toBeGreaterThanOrEqual(78);
    chat.setLatency(100);
    expect(await elapsed(() => ask('d'))).toBeGreaterThanOrEqual(98);
    expect(() => chat.setLatency([5, 1])).toThrow(/latency/);
  });

  it('duplicates() lists keys answered 2xx more than once; an abandoned request does not count', async () => {
    chat.setFault({ next: 1, action: { status: 500 } });
    expect(await statuses(['c', 'a', 'a', 'b', 'c'])).toEqual([500, 200, 200, 200, 200]);
    chat.setLatency(2_000);
    const controller = new AbortController();
    const left = post('/chat/completions', chatBody('b'), {}, controller.signal);
    await vi.waitFor(() => expect(chat.inFlight).toBe(1));
    controller.abort();
    await expect(left).rejects.toThrow();
    await vi.waitFor(() => expect(chat.log.at(-1)?.answeredWith).toBe('aborted'));
    expect(chat.duplicates()).toEqual(['a']);
  });

  it('countByHeader() counts which sender sent each request', async () => {
    await ask('a', { 'x-batchgate-worker': 'w1' });
    await ask('b', { 'x-batchgate-worker': 'w2' });
    await ask('c', { 'X-Batchgate-Worker': 'w1' });
    await ask('d');
    expect(chat.countByHeader('X-Batchgate-Worker')).toEqual(
      new Map([
        ['w1', 2],
        ['w2', 1],
      ]),
    );
  });

  it('tracks in-flight and maximum concurrent requests; clearLog() starts over', async () => {
    // Long enough that all five have arrived before the first is answered, even on a busy machine.
    chat.setLatency(500);
    const answers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((text) => ask(text)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(chat.maxConcurrent).toBe(5);
    await vi.waitFor(() => expect(chat.inFlight).toBe(0));
    chat.clearLog();
    expect([chat.log.length, chat.maxConcurrent]).toEqual([0, 0]);
    chat.setLatency(null);
    await ask('a');
    expect([chat.maxConcurrent, chat.requestsFor('a')[0]?.attempt]).toEqual([1, 1]);
  });
});
