/**
 * An Anthropic Message (`reference/wire.md` §6.4) → the `response` of an OpenAI output line
 * (§7.3): text blocks joined, `tool_use` blocks as tool calls, stop reasons mapped, and usage with
 * cache reads and writes counted into the prompt as OpenAI counts them. Shared by the Anthropic
 * Message Batches adapter and Anthropic models on Bedrock. Pure.
 */
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from './json.js';
import { completion, finishOf, usageOf, type ResultContext, type Response } from './chat-completion.js';

const ANTHROPIC_FINISH = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
} as const satisfies Record<string, string>;

/** An Anthropic Message (a Message Batches result, or an InvokeModel `modelOutput` on Bedrock) → chat.completion. */
export const anthropicToCompletion = (message: JsonRecord, ctx: ResultContext): Response => {
  const content = Array.isArray(message['content']) ? message['content'].filter(isRecord) : [];
  const texts = content.filter((b) => b['type'] === 'text').map((b) => stringAt(b, 'text') ?? '');
  const toolCalls = content
    .filter((b) => b['type'] === 'tool_use')
    .map((b) => ({
      id: stringAt(b, 'id') ?? '',
      type: 'function' as const,
      function: { name: stringAt(b, 'name') ?? '', arguments: JSON.stringify(b['input'] ?? {}) },
    }));
  const usage = recordAt(message, 'usage') ?? {};
  const input = integerAt(usage, 'input_tokens') ?? 0;
  const cacheWrite = integerAt(usage, 'cache_creation_input_tokens') ?? 0;
  const cacheRead = integerAt(usage, 'cache_read_input_tokens') ?? 0;
  const messageId = stringAt(message, 'id');
  return completion(
    ctx,
    messageId === null ? ctx.completionId : `chatcmpl-${messageId}`,
    stringAt(message, 'model') ?? ctx.model,
    texts,
    toolCalls,
    finishOf(ANTHROPIC_FINISH, stringAt(message, 'stop_reason'), toolCalls.length > 0),
    // Anthropic counts cached input apart from `input_tokens`; OpenAI's prompt_tokens include it.
    usageOf(input + cacheWrite + cacheRead, integerAt(usage, 'output_tokens') ?? 0, cacheRead),
  );
};

