/**
 * One line of a Vertex batch output file → the port's `UpstreamResultLine` (`reference/wire.md`
 * §4.5, §7.3). Pure: ids are derived from the line's own bytes so the same output always
 * converts the same way (a re-read after a crash yields identical lines).
 *
 * - Empty `status` with a `response`: a 200 `chat.completion`, one choice per candidate.
 * - A prompt Vertex blocked (`promptFeedback.blockReason`, no candidates) is a 200 too, with one
 *   empty choice whose `finish_reason` is `content_filter`: the request ran and was billed for
 *   its prompt, which is what OpenAI clients see when a completion is filtered.
 * - Non-empty `status`: an error response whose status code is read from the text (else 500).
 */
import { createHash } from 'node:crypto';
import type { UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import { grpcNameOfNumber, httpStatusOfText } from './grpc-status.js';
import { lineNoOfLabels } from './labels.js';
import { cleanUpstreamText } from './sanitise.js';

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

export interface ResultContext {
  /** The job's model, for answers without `modelVersion`. */
  readonly model: string;
  /** Unix seconds, for answers with neither `createTime` nor `processed_time`. */
  readonly nowSeconds: number;
  /** Cleans a failure text for clients; the deployment's own names known (bucket, project). */
  readonly clean?: (text: string) => string;
}

const digest = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);

const secondsOf = (text: string | null): number | null => {
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

const usageOf = (response: JsonRecord): JsonRecord => {
  const usage = recordAt(response, 'usageMetadata') ?? {};
  const prompt = integerAt(usage, 'promptTokenCount') ?? 0;
  const thoughts = integerAt(usage, 'thoughtsTokenCount') ?? 0;
  const completion = (integerAt(usage, 'candidatesTokenCount') ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: integerAt(usage, 'totalTokenCount') ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: integerAt(usage, 'cachedContentTokenCount') ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
};

const completionOf = (line: JsonRecord, response: JsonRecord, seed: string, ctx: ResultContext): JsonRecord => {
  const candidates = Array.isArray(response['candidates']) ? response['candidates'].filter(isRecord) : [];
  const blocked: JsonRecord = {
    index: 0,
    message: { role: 'assistant', content: null, refusal: null },
    logprobs: null,
    finish_reason: 'content_filter',
  };
  const responseId = stringAt(response, 'responseId');
  return {
    id: `chatcmpl-${responseId ?? digest(seed)}`,
    object: 'chat.completion',
    created: secondsOf(stringAt(response, 'createTime')) ?? secondsOf(stringAt(line, 'processed_time')) ?? ctx.nowSeconds,
    model: stringAt(response, 'modelVersion') ?? ctx.model,
    choices: candidates.length === 0 ? [blocked] : candidates.map((c, i) => choiceOf(c, i, seed)),
    usage: usageOf(response),
  };
};

/**
 * A failed line's `status`: free text in what has been observed, sometimes a JSON-encoded Google
 * error (`{"error":{"code":429,"message":…,"status":"RESOURCE_EXHAUSTED"}}`) or an object.
 */
const failureOf = (status: unknown): { message: string; statusCode: number } | null => {
  const text = typeof status === 'string' ? status.trim() : isRecord(status) ? JSON.stringify(status) : '';
  if (text === '') return null;
  const parsed: unknown = text.startsWith('{') ? safeParse(text) : undefined;
  const error = isRecord(parsed) ? (recordAt(parsed, 'error') ?? parsed) : null;
  const message = error === null ? null : stringAt(error, 'message');
  if (error === null || message === null) return { message: text, statusCode: httpStatusOfText(text) };
  const code = integerAt(error, 'code');
  const grpc = stringAt(error, 'status');
  const statusCode =
    code !== null && code >= 400 && code <= 599
      ? code
      : httpStatusOfText(grpc ?? (code === null ? message : grpcNameOfNumber(code) ?? message));
  return { message, statusCode };
};

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

const errorResponse = (message: string, statusCode: number): NonNullable<UpstreamResultLine['response']> => ({
  statusCode,
  requestId: null,
  body: { error: { message, type: statusCode >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } },
});

/**
 * Converts one output line. Null for a line that is not ours (no readable line label): it cannot
 * be matched to a request, and the gateway reports requests it never got an answer for itself.
 */
export const toResultLine = (text: string, ctx: ResultContext): UpstreamResultLine | null => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  const lineNo = lineNoOfLabels(recordAt(parsed, 'request')?.['labels']);
  if (lineNo === null) return null;
  const failure = failureOf(parsed['status']);
  if (failure !== null) return { lineNo, response: errorResponse((ctx.clean ?? cleanUpstreamText)(failure.message), failure.statusCode), error: null };
  const response = recordAt(parsed, 'response');
  if (response === null) {
    return { lineNo, response: errorResponse('Vertex AI returned neither an answer nor an error for this request.', 500), error: null };
  }
  const seed = digest(text);
  return { lineNo, response: { statusCode: 200, requestId: stringAt(response, 'responseId'), body: completionOf(parsed, response, seed, ctx) }, error: null };
};
