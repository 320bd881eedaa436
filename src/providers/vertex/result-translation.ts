/**
 * One line of a Vertex batch output file → the port's `UpstreamResultLine` (`reference/wire.md`
 * §4.5, §7.3). Pure: ids are derived from the line's own bytes so the same output always
 * converts the same way (a re-read after a crash yields identical lines).
 *
 * - Empty `status` with a `response`: a 200 `chat.completion` (`shared/gemini-content/response.ts`,
 *   shared with the Gemini API adapter), one choice per candidate, a blocked prompt included.
 * - Non-empty `status`: an error response whose status code is read from the text (else 500).
 * - The line number comes from the echoed `request.labels` (Vertex's own correlation).
 */
import type { UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { httpStatusOfText } from '../shared/gemini-content/grpc-status.js';
import { digest, errorResponse, httpStatusOfGoogleError, secondsOf, toChatCompletion } from '../shared/gemini-content/response.js';
import { isRecord, recordAt, stringAt, tryParseJson } from '../shared/json.js';
import { lineNoOfLabels } from './labels.js';
import { cleanUpstreamText } from './sanitise.js';

export interface ResultContext {
  /** The job's model, for answers without `modelVersion`. */
  readonly model: string;
  /** Unix seconds, for answers with neither `createTime` nor `processed_time`. */
  readonly nowSeconds: number;
  /** Cleans a failure text for clients; the deployment's own names known (bucket, project). */
  readonly clean?: (text: string) => string;
}

/**
 * A failed line's `status`: free text in what has been observed, sometimes a JSON-encoded Google
 * error (`{"error":{"code":429,"message":…,"status":"RESOURCE_EXHAUSTED"}}`) or an object.
 */
const failureOf = (status: unknown): { message: string; statusCode: number } | null => {
  const text = typeof status === 'string' ? status.trim() : isRecord(status) ? JSON.stringify(status) : '';
  if (text === '') return null;
  const parsed: unknown = text.startsWith('{') ? tryParseJson(text) : undefined;
  const error = isRecord(parsed) ? (recordAt(parsed, 'error') ?? parsed) : null;
  const message = error === null ? null : stringAt(error, 'message');
  if (error === null || message === null) return { message: text, statusCode: httpStatusOfText(text) };
  return { message, statusCode: httpStatusOfGoogleError(error, message) };
};

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
  const created = secondsOf(stringAt(parsed, 'processed_time')) ?? ctx.nowSeconds;
  const body = toChatCompletion(response, { seed: digest(text), model: ctx.model, createdFallback: created });
  return { lineNo, response: { statusCode: 200, requestId: stringAt(response, 'responseId'), body }, error: null };
};
