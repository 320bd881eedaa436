/**
 * One Bedrock output record → the `response` of an OpenAI output line (`reference/wire.md` §5.2,
 * §6.4, §7.3). Pure. A record carries either `modelOutput` (the model's native answer: an
 * Anthropic Message for InvokeModel jobs, a Converse response for Converse jobs) or `error`
 * (`{errorCode, errorMessage}`), which becomes an error response with that status.
 */
import type { UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { typeForStatus } from '../shared/error-body.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import type { ModelFamily } from './model-family.js';

/** What the record does not say and the chat.completion needs. */
export interface ResultContext {
  /** Job's model id, used when the answer names none (Converse never does). */
  readonly model: string;
  /** Unix seconds: the job's end (or the time results were read). */
  readonly created: number;
  /** `chatcmpl-…` id for answers that carry none. */
  readonly completionId: string;
  /** Turns upstream text (error messages) into text safe to show. */
  readonly sanitize: (text: string) => string;
}

type Response = NonNullable<UpstreamResultLine['response']>;

const ANTHROPIC_FINISH = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
} as const satisfies Record<string, string>;

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

const finishOf = (table: Readonly<Record<string, string>>, reason: string | null, hasTools: boolean): string => {
  if (reason !== null && Object.hasOwn(table, reason)) return table[reason] ?? 'stop';
  return hasTools ? 'tool_calls' : 'stop';
};

interface ToolCallOut {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

const completion = (
  ctx: ResultContext,
  id: string,
  model: string,
  texts: string[],
  toolCalls: ToolCallOut[],
  finish: string,
  usage: Record<string, unknown>,
): Response => ({
  statusCode: 200,
  requestId: null,
  body: {
    id,
    object: 'chat.completion',
    created: ctx.created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: texts.length === 0 && toolCalls.length > 0 ? null : texts.join(''),
          refusal: null,
          ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage,
  },
});

const usageOf = (prompt: number, completionTokens: number, cached: number, total?: number): Record<string, unknown> => ({
  prompt_tokens: prompt,
  completion_tokens: completionTokens,
  total_tokens: total ?? prompt + completionTokens,
  prompt_tokens_details: { cached_tokens: cached },
  completion_tokens_details: { reasoning_tokens: 0 },
});

/** An Anthropic Message (InvokeModel `modelOutput`) → chat.completion. */
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

export const errorResponse = (status: number, message: string): Response => ({
  statusCode: status,
  requestId: null,
  body: { error: { message, type: typeForStatus(status), param: null, code: null } },
});

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
