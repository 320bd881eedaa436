/**
 * `openResults` of the Gemini API adapter (`reference/wire.md` §10). A finished batch holds its
 * answers one of two ways:
 *
 * - inline (`inlinedResponses.inlinedResponses[]`, in request order): each answer names its
 *   request by the `metadata.key` sent with it, else by its position (the i-th answer is the
 *   i-th request, taken to be line i: right whenever the input has no blank lines);
 * - a responses file (`responsesFile: files/…`), downloaded from
 *   `/download/v1beta/files/{id}:download?alt=media` and read line by line, each `{key,
 *   response}` or `{key, error}`.
 *
 * Either way memory holds one answer, and the operation is read once: inline answers are
 * converted as they stream by, and what remains names the responses file, if any. A request
 * without an answer yields nothing; the gateway reports it as never run.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { CallOptions, UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { toSeconds, type Clock } from '../../domain/ports/clock.js';
import { digest, errorResponse, httpStatusOfGoogleError, toChatCompletion } from '../shared/gemini-content/response.js';
import { isRecord, recordAt, stringAt, tryParseJson, type JsonRecord } from '../shared/json.js';
import type { GeminiApi } from './api.js';
import { responsesFileOf } from './batch-map.js';
import { batchNameOf, scanAnswers } from './batches.js';
import { lineNoOfKey } from './lines.js';
import { ScanError } from './operation-scan.js';

const FILE_NAME = /^files\/[A-Za-z0-9_-]+$/;

export interface ResultContext {
  /** The deployment's model, for answers without `modelVersion`. */
  readonly model: string;
  /** Unix seconds, for answers without `createTime` (Gemini API answers usually have none). */
  readonly nowSeconds: number;
  /** Cleans Google's text for clients (the key redacted). */
  readonly clean: (text: string) => string;
}

/** One answer (`{response}` or `{error}`) as the port's result line. */
const toResult = (lineNo: number, answer: JsonRecord, seed: string, ctx: ResultContext): UpstreamResultLine => {
  const error = recordAt(answer, 'error');
  if (error !== null) {
    const message = stringAt(error, 'message') ?? 'The request failed.';
    return { lineNo, response: errorResponse(ctx.clean(message), httpStatusOfGoogleError(error, message)), error: null };
  }
  const response = recordAt(answer, 'response');
  if (response === null) {
    return { lineNo, response: errorResponse('The Gemini API returned neither an answer nor an error for this request.', 500), error: null };
  }
  const body = toChatCompletion(response, { seed, model: ctx.model, createdFallback: ctx.nowSeconds });
  return { lineNo, response: { statusCode: 200, requestId: stringAt(response, 'responseId'), body }, error: null };
};

/**
 * One element of `inlinedResponses.inlinedResponses` (its JSON text; `position` 1-based) of the
 * batch `batchName`. Pure; null for an element that is not an object.
 */
export const inlineAnswerToResult = (text: string, position: number, batchName: string, ctx: ResultContext): UpstreamResultLine | null => {
  const answer = tryParseJson(text);
  if (!isRecord(answer)) return null;
  const key = lineNoOfKey(recordAt(answer, 'metadata')?.['key']);
  return toResult(key ?? position, answer, digest(batchName, String(position), text), ctx);
};

/**
 * One line of a responses file. Pure; null for a line without one of our keys: it cannot be
 * matched, and the gateway reports unanswered requests itself.
 */
export const fileLineToResult = (text: string, fileName: string, ctx: ResultContext): UpstreamResultLine | null => {
  const parsed = tryParseJson(text);
  if (!isRecord(parsed)) return null;
  const lineNo = lineNoOfKey(parsed['key']);
  return lineNo === null ? null : toResult(lineNo, parsed, digest(fileName, text), ctx);
};

interface ReadContext extends ResultContext {
  readonly api: GeminiApi;
}

async function* inlineResults(ref: string, ctx: ReadContext, opts: CallOptions): AsyncGenerator<UpstreamResultLine, string | null> {
  const name = batchNameOf(ref);
  const response = await ctx.api.stream({ method: 'GET', path: `/v1beta/${name}`, operation: 'GET /v1beta/batches/{id}' }, opts);
  const scan = scanAnswers(response.body);
  let position = 0;
  try {
    for (;;) {
      const step = await scan.next();
      if (step.done === true) return responsesFileOf(step.value);
      position += 1;
      const result = inlineAnswerToResult(step.value, position, name, ctx);
      if (result !== null) yield result;
    }
  } catch (error) {
    throw error instanceof ScanError ? ctx.api.http.malformed(error.message) : error;
  } finally {
    response.body.destroy();
  }
}

async function* fileResults(file: string, ctx: ReadContext, opts: CallOptions): AsyncGenerator<UpstreamResultLine> {
  if (!FILE_NAME.test(file)) throw ctx.api.http.malformed('a responses file name that is not files/<id>');
  const response = await ctx.api.stream(
    { method: 'GET', path: `/download/v1beta/${file}:download?alt=media`, operation: 'GET /download/v1beta/files/{id}:download' },
    opts,
  );
  const body: Readable = response.body;
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text.trim() === '') continue;
      const result = fileLineToResult(text, file, ctx);
      if (result !== null) yield result;
    }
  } finally {
    lines.close();
    body.destroy();
  }
}

export async function* openResults(api: GeminiApi, ref: string, upstreamModel: string, clock: Clock, opts: CallOptions): AsyncGenerator<UpstreamResultLine> {
  const ctx: ReadContext = {
    api,
    model: upstreamModel.slice(upstreamModel.lastIndexOf('/') + 1),
    nowSeconds: toSeconds(clock.now()),
    clean: (text) => api.clean(text),
  };
  // One read: inline answers stream by as they come; a file batch's operation names its file.
  const file = yield* inlineResults(ref, ctx, opts);
  if (file !== null) yield* fileResults(file, ctx, opts);
}
