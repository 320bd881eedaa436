/**
 * One Bedrock output record → the `response` of an OpenAI output line (`reference/wire.md` §5.2,
 * §6.4, §7.3). Pure. A record carries either `modelOutput` (the model's native answer: an
 * Anthropic Message for InvokeModel jobs, a Converse response for Converse jobs) or `error`
 * (`{errorCode, errorMessage}`), which becomes an error response with that status.
 */
import { anthropicToCompletion } from '../shared/anthropic-completion.js';
import { completion, errorResponse, finishOf, usageOf, type ResultContext, type Response } from '../shared/chat-completion.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import type { ModelFamily } from './model-family.js';

export type { ResultContext } from '../shared/chat-completion.js';
export { anthropicToCompletion, errorResponse };

const CONVERSE_FINISH = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  malformed_model_output: 'stop',
  malformed_tool_use: 'stop',
} as const satisfies Record<string, string>;

/** A Converse response (`{output: {message}, stopReason, usage}`) → chat.completion. */
export const converseToCompletion = (output: JsonRecord, ctx: ResultContext): Response => {
  const message = recordAt(recordAt(output, 'output') ?? {}, 'message') ?? {};
  const content = Array.isArray(message['content']) ? message['content'].filter(isRecord) : [];
  const texts = content.flatMap((b) => (typeof b['text'] === 'string' ? [b['text']] : []));
  const toolCalls = content.flatMap((b) => {
    const use = recordAt(b, 'toolUse');
    if (use === null) return [];
    return [
      {
        id: stringAt(use, 'toolUseId') ?? '',
        type: 'function' as const,
        function: { name: stringAt(use, 'name') ?? '', arguments: JSON.stringify(use['input'] ?? {}) },
      },
    ];
  });
  const usage = recordAt(output, 'usage') ?? {};
  const input = integerAt(usage, 'inputTokens') ?? 0;
  const out = integerAt(usage, 'outputTokens') ?? 0;
  return completion(
    ctx,
    ctx.completionId,
    ctx.model,
    texts,
    toolCalls,
    finishOf(CONVERSE_FINISH, stringAt(output, 'stopReason'), toolCalls.length > 0),
    usageOf(input, out, integerAt(usage, 'cacheReadInputTokens') ?? 0, integerAt(usage, 'totalTokens') ?? undefined),
  );
};

/** `errorCode` is the HTTP status the model call answered; anything else is reported as 500. */
const statusOf = (code: unknown): number => {
  const n = typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : code;
  return typeof n === 'number' && Number.isInteger(n) && n >= 400 && n <= 599 ? n : 500;
};

/** One output record → its `response`; `family` picks how `modelOutput` is read. */
export const recordToResponse = (record: JsonRecord, family: ModelFamily, ctx: ResultContext): Response => {
  const error = record['error'];
  if (isRecord(error)) {
    const status = statusOf(error['errorCode']);
    return errorResponse(status, ctx.sanitize(stringAt(error, 'errorMessage') ?? `the model call failed with status ${status}`));
  }
  // Some Bedrock versions write `error` as a plain string.
  if (typeof error === 'string' && error !== '') return errorResponse(500, ctx.sanitize(error));
  const output = recordAt(record, 'modelOutput');
  if (output === null) return errorResponse(500, 'Bedrock wrote a record with neither modelOutput nor error');
  // The shape decides when it is unambiguous, so a job created with the other type still reads.
  if (isRecord(output['output'])) return converseToCompletion(output, ctx);
  if (Array.isArray(output['content'])) return anthropicToCompletion(output, ctx);
  return family === 'anthropic' ? anthropicToCompletion(output, ctx) : converseToCompletion(output, ctx);
};
