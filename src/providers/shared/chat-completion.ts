/**
 * Building the `response` of an OpenAI output line from another upstream's answer
 * (`reference/wire.md` §7.3): a `chat.completion` with one choice, OpenAI's usage object, and the
 * error body of a failed request. Pure; shared by every adapter whose upstream answers in its own
 * format (Anthropic, Bedrock).
 */
import type { UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { typeForStatus } from './error-body.js';

/** What the upstream's answer does not say and the chat.completion needs. */
export interface ResultContext {
  /** The deployment's or job's model, used when the answer names none (Converse never does). */
  readonly model: string;
  /** Unix seconds: the job's end (or the time results were read). */
  readonly created: number;
  /** `chatcmpl-…` id for answers that carry none. */
  readonly completionId: string;
  /** Turns upstream text (error messages) into text safe to show. */
  readonly sanitize: (text: string) => string;
}

export type Response = NonNullable<UpstreamResultLine['response']>;

export const finishOf = (table: Readonly<Record<string, string>>, reason: string | null, hasTools: boolean): string => {
  if (reason !== null && Object.hasOwn(table, reason)) return table[reason] ?? 'stop';
  return hasTools ? 'tool_calls' : 'stop';
};

export interface ToolCallOut {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export const completion = (
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

export const usageOf = (prompt: number, completionTokens: number, cached: number, total?: number): Record<string, unknown> => ({
  prompt_tokens: prompt,
  completion_tokens: completionTokens,
  total_tokens: total ?? prompt + completionTokens,
  prompt_tokens_details: { cached_tokens: cached },
  completion_tokens_details: { reasoning_tokens: 0 },
});

export const errorResponse = (status: number, message: string): Response => ({
  statusCode: status,
  requestId: null,
  body: { error: { message, type: typeForStatus(status), param: null, code: null } },
});

