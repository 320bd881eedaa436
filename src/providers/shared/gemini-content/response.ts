/**
 * One Gemini `GenerateContentResponse` → an OpenAI `chat.completion` body (`reference/wire.md`
 * §4.5, §7.3), and a failed request → an OpenAI error response; shared by the Vertex AI and
 * Gemini API adapters, which differ only in how a result line names its request and says it
 * failed. Pure: ids are derived from a seed (the result line's own bytes), so the same output
 * always converts the same way (a re-read after a crash yields identical lines).
 *
 * - One choice per candidate; `thought` parts are dropped, `functionCall` parts become tool calls.
 * - A prompt Google blocked (`promptFeedback.blockReason`, no candidates) is a 200 too, with one
 *   empty choice whose `finish_reason` is `content_filter`: the request ran and was billed for
 *   its prompt, which is what OpenAI clients see when a completion is filtered.
 * - Usage counts thoughts as completion tokens and reports them and cached prompt tokens apart.
 */
import { createHash } from 'node:crypto';
import type { UpstreamResultLine } from '../../../domain/ports/provider-adapter.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../json.js';
import { grpcNameOfNumber, httpStatusOfText } from './grpc-status.js';

const FINISH_REASONS: Readonly<Record<string, 'stop' | 'length' | 'content_filter'>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  MODEL_ARMOR: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'stop',
  OTHER: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
};

export type ErrorResponse = NonNullable<UpstreamResultLine['response']>;

export interface CompletionContext {
  /** Seeds the ids an answer does not carry (`responseId`, function call ids). */
  readonly seed: string;
  /** The batch's model, for answers without `modelVersion`. */
  readonly model: string;
  /** Unix seconds, for answers without `createTime`. */
  readonly createdFallback: number;
}

/** A short stable hash of `parts`, for derived ids. */
export const digest = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);

/** RFC 3339 → Unix seconds; null when missing or unreadable. */
export const secondsOf = (text: string | null): number | null => {
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
};

const toolCallsOf = (parts: readonly unknown[], seed: string): JsonRecord[] =>
  parts.flatMap((part, i) => {
    const call = isRecord(part) ? recordAt(part, 'functionCall') : null;
    if (call === null) return [];
    return [
      {
        id: stringAt(call, 'id') ?? `call_${digest(seed, String(i))}`,
        type: 'function',
        function: { name: stringAt(call, 'name') ?? '', arguments: JSON.stringify(call['args'] ?? {}) },
      },
    ];
  });

const choiceOf = (candidate: JsonRecord, position: number, seed: string): JsonRecord => {
  const parts = recordAt(candidate, 'content')?.['parts'];
  const list = Array.isArray(parts) ? parts : [];
  const texts = list.flatMap((p) => (isRecord(p) && p['thought'] !== true && typeof p['text'] === 'string' ? [p['text']] : []));
  const index = integerAt(candidate, 'index') ?? position;
  const toolCalls = toolCallsOf(list, `${seed}/${index}`);
  const reason = stringAt(candidate, 'finishReason') ?? 'STOP';
  const mapped = Object.hasOwn(FINISH_REASONS, reason) ? (FINISH_REASONS[reason] ?? 'stop') : 'stop';
  return {
    index,
    message: {
      role: 'assistant',
      content: texts.length === 0 ? null : texts.join(''),
      refusal: null,
      ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
    },
    logprobs: null,
    finish_reason: mapped === 'stop' && toolCalls.length > 0 ? 'tool_calls' : mapped,
  };
};

/** Token counts are int32 in the proto (JSON numbers); a string form is read too. */
const tokens = (usage: JsonRecord, key: string): number | null => {
  const value = usage[key];
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return integerAt(usage, key);
};

const usageOf = (response: JsonRecord): JsonRecord => {
  const usage = recordAt(response, 'usageMetadata') ?? {};
  const prompt = tokens(usage, 'promptTokenCount') ?? 0;
  const thoughts = tokens(usage, 'thoughtsTokenCount') ?? 0;
  const completion = (tokens(usage, 'candidatesTokenCount') ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: tokens(usage, 'totalTokenCount') ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: tokens(usage, 'cachedContentTokenCount') ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
};

/** The `chat.completion` body of one answer. */
export const toChatCompletion = (response: JsonRecord, ctx: CompletionContext): JsonRecord => {
  const candidates = Array.isArray(response['candidates']) ? response['candidates'].filter(isRecord) : [];
  const blocked: JsonRecord = {
    index: 0,
    message: { role: 'assistant', content: null, refusal: null },
    logprobs: null,
    finish_reason: 'content_filter',
  };
  const responseId = stringAt(response, 'responseId');
  return {
    id: `chatcmpl-${responseId ?? digest(ctx.seed)}`,
    object: 'chat.completion',
    created: secondsOf(stringAt(response, 'createTime')) ?? ctx.createdFallback,
    model: stringAt(response, 'modelVersion') ?? ctx.model,
    choices: candidates.length === 0 ? [blocked] : candidates.map((c, i) => choiceOf(c, i, ctx.seed)),
    usage: usageOf(response),
  };
};

/** A failed request as an output line's `response`: OpenAI's error body with the HTTP status. */
export const errorResponse = (message: string, statusCode: number): ErrorResponse => ({
  statusCode,
  requestId: null,
  body: { error: { message, type: statusCode >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } },
});

/**
 * The HTTP status of a Google error object (`{code, message, status}`): `code` when it is an
 * HTTP status (Google's HTTP error envelope), else the canonical name (`status`, or `code` read
 * as a google.rpc.Code number, as in a `Status`), else what `message` names; 500 when nothing does.
 */
export const httpStatusOfGoogleError = (error: JsonRecord, message: string): number => {
  const code = integerAt(error, 'code');
  if (code !== null && code >= 400 && code <= 599) return code;
  const grpc = stringAt(error, 'status');
  return httpStatusOfText(grpc ?? (code === null ? message : (grpcNameOfNumber(code) ?? message)));
};
