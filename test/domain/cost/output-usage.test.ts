import { describe, expect, it } from 'vitest';
import { EMPTY_OUTPUT_USAGE, sumOutputUsage, toBatchUsage, usageOfBody } from '../../../src/domain/cost/output-usage.js';
import { OpenApiValidator } from '../../conformance/openapi.js';

/** One output-file line (`reference/wire.md` §2.6). */
const line = (n: number, statusCode: number | null, body: unknown, error: unknown = null): string =>
  JSON.stringify({
    id: `batch_req_${n}`,
    custom_id: `request-${n}`,
    response: statusCode === null ? null : { status_code: statusCode, request_id: `req_${n}`, body },
    error,
  });

const chat = (usage: unknown): unknown => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Héllo, 日本 🌍.' }, finish_reason: 'stop' }],
  usage,
});

const CHAT_FILE = [
  line(1, 200, chat({ prompt_tokens: 22, completion_tokens: 2, total_tokens: 24 })),
  line(
    2,
    200,
    chat({
      prompt_tokens: 1500,
      completion_tokens: 500,
      total_tokens: 2000,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 300, audio_tokens: 0 },
    }),
  ),
  line(3, 400, { error: { message: 'maximum context length', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }),
  line(4, null, null, { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' }),
  line(5, 500, { error: { message: 'server error', type: 'server_error', param: null, code: null } }),
].join('\n');

const CHAT_SUM = {
  inputTokens: 1522,
  cachedInputTokens: 1024,
  outputTokens: 502,
  reasoningTokens: 300,
  totalTokens: 2024,
  succeeded: 2,
  failed: 3,
  lines: 5,
};

async function* chunks(parts: readonly (Uint8Array | string)[]): AsyncGenerator<Uint8Array | string> {
  for (const part of parts) yield part;
}
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
/** `data` cut into pieces of `size` bytes, so that lines and UTF-8 characters straddle chunks. */
const sliced = (data: Uint8Array, size: number): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
};
const sum = (text: string): ReturnType<typeof sumOutputUsage> => sumOutputUsage(chunks([bytes(text)]));

describe('sumOutputUsage', () => {
  it('sums chat completions usage of the 2xx lines and counts the others as failed', async () => {
    expect(await sum(CHAT_FILE)).toEqual(CHAT_SUM);
  });

  it('sums completions usage', async () => {
    const completion = (usage: unknown) => ({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: 'x', index: 0 }], usage });
    const file = [
      line(1, 200, completion({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 })),
      line(2, 200, completion({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 4 } })),
    ].join('\n');
    expect(await sum(file)).toEqual({ inputTokens: 15, cachedInputTokens: 4, outputTokens: 10, reasoningTokens: 0, totalTokens: 25, succeeded: 2, failed: 0, lines: 2 });
  });

  it('sums embeddings usage (input only)', async () => {
    const embedding = (n: number) => ({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }], model: 'text-embedding-3-small', usage: { prompt_tokens: n, total_tokens: n } });
    const file = [line(1, 200, embedding(8)), line(2, 200, embedding(1000)), line(3, 429, { error: { message: 'slow down', type: 'rate_limit', param: null, code: null } })].join('\n');
    expect(await sum(file)).toEqual({ inputTokens: 1008, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 1008, succeeded: 2, failed: 1, lines: 3 });
  });

  it('sums responses usage', async () => {
    const response = (usage: unknown) => ({ id: 'resp_1', object: 'response', status: 'completed', output: [], usage });
    const file = [
      line(
        1,
        200,
        response({ input_tokens: 1500, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 500, output_tokens_details: { reasoning_tokens: 300 }, total_tokens: 2000 }),
      ),
      line(2, 200, response({ input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 120 })),
    ].join('\n');
    expect(await sum(file)).toEqual({ inputTokens: 1600, cachedInputTokens: 1024, outputTokens: 520, reasoningTokens: 300, totalTokens: 2120, succeeded: 2, failed: 0, lines: 2 });
  });

  it('counts every 2xx status as a success, and nothing else', async () => {
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    const file = [201, 299, 199, 300, 302, 200.5].map((status, i) => line(i, status, chat(usage))).join('\n');
    expect(await sum(file)).toMatchObject({ inputTokens: 2, succeeded: 2, failed: 4, lines: 6 });
  });

  it('counts malformed lines as failed, never throws, and goes on', async () => {
    const good = line(9, 200, chat({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }));
    const file = [
      'not json',
      '{"id":"batch_req_1","response":{"status_code":200,', // truncated
      '[1, 2, 3]',
      'null',
      '42',
      '"a string"',
      '{}',
      '{"response": "200"}',
      '{"response": {"status_code": "200", "body": {"usage": {"prompt_tokens": 5}}}}',
      '{"response": {"body": {"usage": {"prompt_tokens": 5}}}}',
      good,
    ].join('\n');
    expect(await sum(file)).toEqual({ inputTokens: 3, cachedInputTokens: 0, outputTokens: 4, reasoningTokens: 0, totalTokens: 7, succeeded: 1, failed: 10, lines: 11 });
  });

  it('survives bytes that are not UTF-8: the bad line fails, the others count', async () => {
    const good = bytes(`${line(1, 200, chat({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }))}\n`);
    const bad = new Uint8Array([0x7b, 0xff, 0xfe, 0x22, 0x0a]); // `{`, two invalid bytes, `"`, newline
    const usage = await sumOutputUsage(chunks([bad, good, bad]));
    expect(usage).toMatchObject({ inputTokens: 3, outputTokens: 4, succeeded: 1, failed: 2, lines: 3 });
  });

  it('keeps the usage of a 2xx line whose content has a stray invalid byte', async () => {
    const text = line(1, 200, chat({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }));
    const at = text.indexOf('Héllo');
    const data = new Uint8Array([...bytes(text.slice(0, at)), 0xc3, 0x28, ...bytes(text.slice(at))]);
    expect(await sumOutputUsage(chunks([data]))).toMatchObject({ inputTokens: 3, outputTokens: 4, succeeded: 1, failed: 0 });
  });

  it('a 2xx line without usage is a success with no tokens', async () => {
    const file = [line(1, 200, { id: 'x' }), line(2, 200, null), line(3, 200, chat('lots'))].join('\n');
    expect(await sum(file)).toEqual({ ...EMPTY_OUTPUT_USAGE, succeeded: 3, lines: 3 });
  });

  it('ignores counts that are not non-negative integers, and keeps details within their totals', async () => {
    const file = [
      line(1, 200, chat({ prompt_tokens: -5, completion_tokens: 2.5, total_tokens: '7' })),
      line(2, 200, chat({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 50 }, completion_tokens_details: { reasoning_tokens: 9 } })),
      line(3, 200, chat({ prompt_tokens: 1e300, completion_tokens: 1 })),
    ].join('\n');
    // Line 1: nothing usable; line 2: cached capped at 10, reasoning at 5, total = 10 + 5; line 3: only the output.
    expect(await sum(file)).toEqual({ inputTokens: 10, cachedInputTokens: 10, outputTokens: 6, reasoningTokens: 5, totalTokens: 16, succeeded: 3, failed: 0, lines: 3 });
  });

  it('reads a file with a BOM and CRLF line ends, and skips blank lines', async () => {
    const file = `\uFEFF${CHAT_FILE.split('\n').join('\r\n\r\n')}\r\n\r\n`;
    expect(await sum(file)).toEqual(CHAT_SUM);
  });

  it('reads a BOM and CRLF from a source of strings too', async () => {
    const file = `\uFEFF${CHAT_FILE.split('\n').join('\r\n')}\r\n`;
    expect(await sumOutputUsage(chunks([file.slice(0, 10), file.slice(10, 333), file.slice(333)]))).toEqual(CHAT_SUM);
  });

  it('gives the same sums however the stream is chunked (lines and UTF-8 characters cut across chunks)', async () => {
    const data = bytes(`\uFEFF${CHAT_FILE.split('\n').join('\r\n')}`);
    for (const size of [1, 2, 3, 5, 7, 64, 1000, data.length]) {
      expect(await sumOutputUsage(chunks(sliced(data, size))), `chunks of ${size} bytes`).toEqual(CHAT_SUM);
    }
  });

  it('accepts a mix of byte and string chunks, with a character cut across byte chunks', async () => {
    const text = `${line(1, 200, chat({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }))}\n`;
    const at = text.indexOf('日') + 1; // inside the 3-byte character
    const data = bytes(text);
    const cut = bytes(text.slice(0, at)).length - 1;
    const parts = [data.subarray(0, cut), data.subarray(cut, cut + 1), data.subarray(cut + 1), text, text];
    expect(await sumOutputUsage(chunks(parts))).toMatchObject({ inputTokens: 9, outputTokens: 12, succeeded: 3, failed: 0 });
  });

  it('streams a large file with a small memory footprint (50,000 lines, one line at a time)', async () => {
    const lineText = `${line(1, 200, chat({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 2 } }))}\n`;
    const encoded = bytes(lineText);
    async function* many(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50_000; i++) yield encoded;
    }
    expect(await sumOutputUsage(many())).toEqual({
      inputTokens: 500_000,
      cachedInputTokens: 100_000,
      outputTokens: 250_000,
      reasoningTokens: 0,
      totalTokens: 750_000,
      succeeded: 50_000,
      failed: 0,
      lines: 50_000,
    });
  });

  it('an empty file sums to nothing', async () => {
    expect(await sumOutputUsage(chunks([]))).toEqual(EMPTY_OUTPUT_USAGE);
    expect(await sum('\n\r\n  \n')).toEqual(EMPTY_OUTPUT_USAGE);
  });

  it('rejects when the source fails, so that a partial sum is never booked', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes(`${line(1, 200, chat({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }))}\n`);
      throw new Error('connection reset');
    }
    await expect(sumOutputUsage(failing())).rejects.toThrow('connection reset');
  });
});

describe('usageOfBody', () => {
  it('reads each body shape', () => {
    expect(usageOfBody(chat({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }))).toEqual({ input: 4, cached: 0, output: 2, reasoning: 0, total: 6 });
    expect(usageOfBody({ usage: { input_tokens: 4, output_tokens: 2 } })).toEqual({ input: 4, cached: 0, output: 2, reasoning: 0, total: 6 });
    expect(usageOfBody(undefined)).toEqual({ input: 0, cached: 0, output: 0, reasoning: 0, total: 0 });
  });
});

describe('toBatchUsage', () => {
  it("maps the sums to the Batch object's usage, Responses-style names", () => {
    expect(toBatchUsage(CHAT_SUM)).toEqual({
      input_tokens: 1522,
      input_tokens_details: { cached_tokens: 1024 },
      output_tokens: 502,
      output_tokens_details: { reasoning_tokens: 300 },
      total_tokens: 2024,
    });
  });

  it("is a valid Batch.usage in OpenAI's OpenAPI spec", () => {
    const validator = OpenApiValidator.load();
    const batch = {
      id: 'batch_abc',
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: 'file-abc',
      completion_window: '24h',
      status: 'completed',
      output_file_id: 'file-out',
      error_file_id: 'file-err',
      created_at: 1711652795,
      in_progress_at: 1711652800,
      expires_at: 1711739195,
      finalizing_at: 1711653000,
      completed_at: 1711653100,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 5, completed: 2, failed: 3 },
      usage: toBatchUsage(CHAT_SUM),
      metadata: null,
    };
    expect(validator.problems('Batch', batch)).toEqual([]);
    expect(validator.problems('Batch', { ...batch, usage: { input_tokens: 1 } })).not.toEqual([]);
  });
});
