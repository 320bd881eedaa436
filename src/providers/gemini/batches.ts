/**
 * Gemini API batches (`reference/wire.md` §10): create (`models/{model}:batchGenerateContent`),
 * get, cancel, list. A batch's ref is its name, `batches/<id>`; a bare id is accepted too.
 *
 * Create takes the staged input (`{key, request}` lines) one of two ways, by its size:
 * - up to `inlineMaxBytes` (default {@link DEFAULT_INLINE_MAX_BYTES}) the requests go inline,
 *   `inputConfig.requests.requests[] = {request, metadata: {key}}`, the body streamed as the
 *   staged lines are read (Google takes about 20 MB inline; half of it leaves room for the JSON
 *   around each request and keeps a create well inside one call's timeout);
 * - above it, the staged lines are uploaded to the Files API (`upload.ts`) and the batch created
 *   with `inputConfig.fileName`.
 *
 * Operations are read through `operation-scan.ts`, so a finished inline batch's answers (or the
 * echoed requests) are never held by a poll.
 */
import { Readable } from 'node:stream';
import type { CallOptions, CreateBatchInput, StagedInput, UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import { splitLines } from '../../domain/lines/split-lines.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { isChatPath } from '../shared/gemini-content/request.js';
import { JSON_BODY_LIMIT_BYTES } from '../shared/http-client.js';
import { isRecord } from '../shared/json.js';
import type { GeminiApi } from './api.js';
import { DISPLAY_NAME_PREFIX, toUpstreamBatch } from './batch-map.js';
import { parseStagedLine } from './lines.js';
import { ScanError, scanOperation } from './operation-scan.js';
import { uploadInput } from './upload.js';

/** Staged inputs up to this size are sent inline at create; larger ones through the Files API. */
export const DEFAULT_INLINE_MAX_BYTES = 10 * 1024 * 1024;
/** One inline answer bigger than this is not a chat completion. */
const MAX_ANSWER_CHARS = 64 * 1024 * 1024;
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 20;
const BATCH_NAME = /^batches\/[A-Za-z0-9_-]+$/;
const BATCH_ID = /^[A-Za-z0-9_-]+$/;
/** Google's limit on a display name. */
const MAX_DISPLAY_NAME = 128;

export interface BatchTuning {
  readonly inlineMaxBytes: number;
  readonly chunkBytes: number;
}

export const batchNameOf = (ref: string): string => {
  if (BATCH_NAME.test(ref)) return ref;
  if (BATCH_ID.test(ref)) return `batches/${ref}`;
  throw new GatewayError('invalid_request', 'This batch is not one the Gemini API deployment created.');
};

/** `models/<model>` unless the deployment already names it so (or a tuned model). */
export const modelPathOf = (upstreamModel: string): string =>
  upstreamModel.startsWith('models/') || upstreamModel.startsWith('tunedModels/') ? upstreamModel : `models/${upstreamModel}`;

const scanLimits = { skeletonChars: JSON_BODY_LIMIT_BYTES, elementChars: MAX_ANSWER_CHARS };

/** Reads a streamed operation (or list page) without its request and answer lists. */
export const readOperation = async (api: GeminiApi, body: Readable): Promise<unknown> => {
  const scan = scanOperation(body, false, scanLimits);
  try {
    for (;;) {
      const step = await scan.next();
      if (step.done === true) return step.value;
    }
  } catch (error) {
    throw error instanceof ScanError ? api.http.malformed(error.message) : error;
  } finally {
    body.destroy();
  }
};

export const scanAnswers = (body: Readable): AsyncGenerator<string, unknown> => scanOperation(body, true, scanLimits);

const getOperation = async (api: GeminiApi, name: string, opts: CallOptions): Promise<unknown> => {
  const response = await api.stream({ method: 'GET', path: `/v1beta/${name}`, operation: 'GET /v1beta/batches/{id}' }, opts);
  return readOperation(api, response.body);
};

/** The inline create body, streamed: the JSON around the requests, each staged line rewritten. */
async function* inlineBody(staged: StagedInput, displayName: string, signal: AbortSignal): AsyncGenerator<string> {
  const source = await staged.open(signal);
  try {
    yield `{"batch":{"displayName":${JSON.stringify(displayName)},"inputConfig":{"requests":{"requests":[`;
    let first = true;
    for await (const line of splitLines(source)) {
      if (line.text.trim() === '') continue;
      const parsed = parseStagedLine(line.text);
      if (parsed === null) throw new GatewayError('internal_error', `Line ${line.lineNo} of the staged input is not a Gemini batch line.`);
      yield `${first ? '' : ','}{"request":${JSON.stringify(parsed.request)},"metadata":{"key":${JSON.stringify(parsed.key)}}}`;
      first = false;
    }
    yield ']}}}}';
  } finally {
    source.destroy();
  }
}

export const createBatch = async (
  api: GeminiApi,
  upstreamModel: string,
  input: CreateBatchInput,
  tuning: BatchTuning,
  opts: CallOptions,
): Promise<UpstreamBatch> => {
  if (!isChatPath(input.endpoint)) {
    throw new GatewayError('unsupported_operation', `Gemini API batch deployments run /v1/chat/completions batches only, not ${input.endpoint}.`, {
      param: 'endpoint',
    });
  }
  const staged = input.stagedInput;
  if (staged === undefined) throw new GatewayError('internal_error', 'A Gemini API batch needs its staged input.');
  const displayName = `${DISPLAY_NAME_PREFIX}${input.label}`.slice(0, MAX_DISPLAY_NAME);
  const path = `/v1beta/${modelPathOf(upstreamModel)}:batchGenerateContent`;
  const headers = { 'content-type': 'application/json' };
  let operation: unknown;
  if (staged.bytes <= tuning.inlineMaxBytes) {
    const body = Readable.from(inlineBody(staged, displayName, opts.signal), { objectMode: false });
    const response = await api.stream({ method: 'POST', path, headers, body, operation: 'POST /v1beta/models/{id}:batchGenerateContent' }, opts);
    // The operation may echo every request in `metadata.inputConfig`: read without them.
    operation = await readOperation(api, response.body);
  } else {
    const fileName = await uploadInput(api, displayName, await staged.open(opts.signal), staged.bytes, tuning.chunkBytes, opts);
    const response = await api.call(
      { method: 'POST', path, headers, body: JSON.stringify({ batch: { displayName, inputConfig: { fileName } } }) },
      opts,
    );
    operation = response.body;
  }
  return toUpstreamBatch(api, operation);
};

export const retrieveBatch = async (api: GeminiApi, ref: string, opts: CallOptions): Promise<UpstreamBatch> =>
  toUpstreamBatch(api, await getOperation(api, batchNameOf(ref), opts));

/**
 * Sends `:cancel` (which answers Empty) and reads the batch back. The Gemini API has no
 * cancelling state: a batch still pending or running is reported `cancelling`, stamped now,
 * until a later poll sees where it ended.
 */
export const cancelBatch = async (api: GeminiApi, ref: string, nowSeconds: number, opts: CallOptions): Promise<UpstreamBatch> => {
  const name = batchNameOf(ref);
  await api.call({ method: 'POST', path: `/v1beta/${name}:cancel`, headers: { 'content-type': 'application/json' }, body: '{}' }, opts);
  const batch = await retrieveBatch(api, name, opts);
  if (batch.status !== 'validating' && batch.status !== 'in_progress') return batch;
  return { ...batch, status: 'cancelling', cancellingAt: nowSeconds };
};

const listPage = async (api: GeminiApi, query: Record<string, string>, opts: CallOptions): Promise<{ operations: unknown[]; nextPageToken: string | null }> => {
  const response = await api.stream({ method: 'GET', path: `/v1beta/batches?${new URLSearchParams(query).toString()}`, operation: 'GET /v1beta/batches' }, opts);
  const page = await readOperation(api, response.body);
  const body = isRecord(page) ? page : {};
  const operations = Array.isArray(body['operations']) ? body['operations'] : Array.isArray(body['batches']) ? body['batches'] : [];
  const token = body['nextPageToken'];
  return { operations, nextPageToken: typeof token === 'string' && token !== '' ? token : null };
};

/** The cheapest authenticated call: list at most one batch. */
export const probeBatches = async (api: GeminiApi, opts: CallOptions): Promise<void> => {
  await listPage(api, { pageSize: '1' }, opts);
};

/** Batches created at or after `sinceSeconds`, newest first, from a bounded number of pages. */
export async function* listBatchesSince(api: GeminiApi, sinceSeconds: number, opts: CallOptions): AsyncGenerator<UpstreamBatch> {
  const found: UpstreamBatch[] = [];
  let pageToken: string | null = null;
  for (let page = 0; page < LIST_MAX_PAGES; page++) {
    const result = await listPage(api, { pageSize: String(LIST_PAGE_SIZE), ...(pageToken === null ? {} : { pageToken }) }, opts);
    for (const raw of result.operations) {
      const batch = toUpstreamBatch(api, raw);
      if (batch.createdAt === null || batch.createdAt >= sinceSeconds) found.push(batch);
    }
    pageToken = result.nextPageToken;
    if (pageToken === null) break;
  }
  yield* found.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
}
