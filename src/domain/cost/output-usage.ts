/**
 * Sums the token usage of an OpenAI batch output file (`reference/wire.md` §2.6), streaming: memory
 * is bounded by the longest line, whatever the size of the file. A line counts as succeeded when its
 * `response.status_code` is 2xx, and its `response.body.usage` is added whatever the endpoint:
 *  - chat completions and completions: `prompt_tokens`, `completion_tokens`, `total_tokens`,
 *    `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`;
 *  - embeddings: `prompt_tokens`, `total_tokens` (no output);
 *  - responses: `input_tokens`, `output_tokens`, `total_tokens`, `input_tokens_details.cached_tokens`,
 *    `output_tokens_details.reasoning_tokens`.
 * Every other non-blank line — non-2xx, `response: null` with an `error`, not JSON, not an object —
 * counts as failed. Nothing about a line's content throws: this runs in a background worker, and one
 * bad line must not stop a batch from being booked. An error of the source itself (a read that
 * fails) does propagate, so that a partial sum is never booked as the whole.
 *
 * Cached tokens are part of the input tokens and reasoning tokens part of the output tokens, as in
 * OpenAI's usage objects; a count that is not a non-negative integer is treated as absent.
 */
import type { BatchUsage } from '../../contracts/openai.js';
import { splitLines } from '../lines/split-lines.js';

export interface OutputUsage {
  readonly inputTokens: number;
  /** Of `inputTokens`, those served from the provider's prompt cache. */
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
  /** Of `outputTokens`, those spent reasoning. */
  readonly reasoningTokens: number;
  readonly totalTokens: number;
  /** Lines with a 2xx `response.status_code`. */
  readonly succeeded: number;
  /** Every other non-blank line, malformed ones included. */
  readonly failed: number;
  /** Non-blank lines read: `succeeded + failed`. */
  readonly lines: number;
}

export const EMPTY_OUTPUT_USAGE: OutputUsage = Object.freeze({
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
  succeeded: 0,
  failed: 0,
  lines: 0,
});

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
const nested = (o: Json, outer: string, inner: string): unknown => {
  const details = o[outer];
  return isObject(details) ? details[inner] : undefined;
};

/** The usage of one line, counts as in `OutputUsage`. */
export interface LineUsage {
  readonly input: number;
  readonly cached: number;
  readonly output: number;
  readonly reasoning: number;
  readonly total: number;
}

/** The usage of one response body, whichever endpoint produced it. */
export function usageOfBody(body: unknown): LineUsage {
  const usage = isObject(body) ? body['usage'] : undefined;
  if (!isObject(usage)) return { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };
  const input = count(usage['prompt_tokens']) ?? count(usage['input_tokens']) ?? 0;
  const output = count(usage['completion_tokens']) ?? count(usage['output_tokens']) ?? 0;
  const cached =
    count(nested(usage, 'prompt_tokens_details', 'cached_tokens')) ?? count(nested(usage, 'input_tokens_details', 'cached_tokens')) ?? 0;
  const reasoning =
    count(nested(usage, 'completion_tokens_details', 'reasoning_tokens')) ??
    count(nested(usage, 'output_tokens_details', 'reasoning_tokens')) ??
    0;
  return {
    input,
    cached: Math.min(cached, input),
    output,
    reasoning: Math.min(reasoning, output),
    total: count(usage['total_tokens']) ?? input + output,
  };
}

/** The 2xx response body of a line, or undefined when the line is a failure or not a line at all. */
const successBody = (text: string): { body: unknown } | undefined => {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(line)) return undefined;
  const response = line['response'];
  if (!isObject(response)) return undefined;
  const status = response['status_code'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 299) return undefined;
  return { body: response['body'] };
};

/**
 * Decodes leniently (an invalid byte becomes U+FFFD, a leading BOM is dropped) before the strict
 * line splitter sees the text: a stray bad byte then spoils only the line it is in (which fails to
 * parse, or still carries its usage) instead of ending the whole sum. The streaming decoder keeps
 * at most the 3 bytes of an unfinished character between chunks.
 */
async function* lenientUtf8(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  let sawBytes = false;
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      // Flush an unfinished character left by earlier bytes before switching to text.
      if (sawBytes) {
        const rest = decoder.decode();
        if (rest !== '') yield rest;
        sawBytes = false;
      }
      if (chunk !== '') yield chunk;
      continue;
    }
    sawBytes = true;
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

export async function sumOutputUsage(source: AsyncIterable<Uint8Array | string>): Promise<OutputUsage> {
  let inputTokens = 0;
  let cachedInputTokens = 0;
  let outputTokens = 0;
  let reasoningTokens = 0;
  let totalTokens = 0;
  let succeeded = 0;
  let failed = 0;
  for await (const { text } of splitLines(lenientUtf8(source))) {
    if (text.trim() === '') continue;
    const success = successBody(text);
    if (!success) {
      failed += 1;
      continue;
    }
    succeeded += 1;
    const u = usageOfBody(success.body);
    inputTokens += u.input;
    cachedInputTokens += u.cached;
    outputTokens += u.output;
    reasoningTokens += u.reasoning;
    totalTokens += u.total;
  }
  return { inputTokens, cachedInputTokens, outputTokens, reasoningTokens, totalTokens, succeeded, failed, lines: succeeded + failed };
}

/** The Batch object's `usage` (`reference/wire.md` §2.3, Responses-style names). */
export function toBatchUsage(u: OutputUsage): BatchUsage {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
}
