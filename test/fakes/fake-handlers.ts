/**
 * The Files and Batches endpoints of the fake upstreams (`reference/wire.md` §1, §2, §3). Each
 * handler answers exactly as the flavour it plays would: status codes, objects and envelopes.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { TERMINAL_BATCH_STATUSES } from '../../src/contracts/openai.js';
import type { FakeBatchRunner } from './fake-batch-runner.js';
import type { FakeFileStore } from './fake-file-store.js';
import { drain, readText, sendBody } from './fake-http.js';
import { NotMultipartError, receiveUpload } from './fake-upload.js';
import {
  checkBatchEndpoint,
  checkCompletionWindow,
  checkExpiresAfter,
  checkMetadata,
  checkPurpose,
} from './fake-validate.js';
import { batchJson, errorEnvelope, fileJson, listJson, type ErrorInit, type WireContext } from './fake-wire.js';
import type { FakeBatch, FakeFile, FakeOperation } from './fake-types.js';

/** Batch files expire after 30 days unless `expires_after` says otherwise (wire.md §1.2). */
const BATCH_FILE_TTL_SECONDS = 30 * 24 * 3600;

export interface FakeState {
  readonly wire: WireContext;
  readonly files: FakeFileStore;
  readonly runner: FakeBatchRunner;
  readonly fileOverrides: Map<string, Record<string, unknown>>;
  readonly batchOverrides: Map<string, Record<string, unknown>>;
  autoProgress: boolean;
  newBatchId(): string;
  /** Serialises the changes of one batch (two retrieves must not both advance it). */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The `{id}` path segment, when the route has one. */
  readonly id: string | undefined;
}

type Handler = (state: FakeState, ex: Exchange) => Promise<void>;

const send = (state: FakeState, ex: Exchange, status: number, body: unknown): void =>
  sendBody(ex.res, state.wire.flavor, status, body);

export const sendError = (state: FakeState, ex: Exchange, status: number, init: ErrorInit): void =>
  send(state, ex, status, errorEnvelope(state.wire, status, init));

/** Azure classic answers creations with 201 (wire.md §3.3); OpenAI and Azure v1 with 200. */
const createdStatus = (state: FakeState): number =>
  state.wire.flavor === 'azure' && state.wire.azureStyle === 'classic' ? 201 : 200;

const fileBody = (state: FakeState, file: FakeFile, status = 'processed'): unknown => ({
  ...fileJson(state.wire, file, status),
  ...state.fileOverrides.get(file.id),
});

const batchBody = (state: FakeState, batch: FakeBatch): unknown => ({
  ...batchJson(state.wire, batch),
  ...state.batchOverrides.get(batch.id),
});

const findFile = (state: FakeState, ex: Exchange): FakeFile | undefined => {
  const file = ex.id === undefined ? undefined : state.files.files.get(ex.id);
  if (file === undefined) sendError(state, ex, 404, { message: `No such File object: ${ex.id ?? ''}`, param: 'id' });
  return file;
};

const findBatch = (state: FakeState, ex: Exchange): FakeBatch | undefined => {
  const batch = ex.id === undefined ? undefined : state.runner.batches.get(ex.id);
  if (batch === undefined) sendError(state, ex, 404, { message: `No such Batch object: ${ex.id ?? ''}`, param: 'id' });
  return batch;
};

const intQuery = (url: URL, name: string, fallback: number, min: number, max: number): number | null => {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : null;
};

/** Slices a newest-first list after the `after` cursor. */
const page = <T extends { id: string }>(items: readonly T[], after: string | null, limit: number): { data: T[]; hasMore: boolean } => {
  const start = after === null ? 0 : items.findIndex((item) => item.id === after) + 1;
  const data = items.slice(start, start + limit);
  return { data, hasMore: start + limit < items.length };
};

const uploadFile: Handler = async (state, ex) => {
  let upload;
  try {
    upload = await receiveUpload(ex.req, state.files);
  } catch (error) {
    const message = error instanceof NotMultipartError ? `Expected multipart/form-data: ${error.message}` : 'Could not read the upload.';
    sendError(state, ex, 400, { message, param: null });
    return;
  }
  const { fields, file: received } = upload;
  const reject = async (init: ErrorInit): Promise<void> => {
    if (received !== null) await state.files.discard(received.blob.path);
    sendError(state, ex, 400, init);
  };
  if (received === null) return reject({ message: "Missing required parameter: 'file'.", param: 'file', code: 'missing_required_parameter' });
  const purpose = checkPurpose(state.wire.flavor, fields['purpose']);
  if (!purpose.ok) return reject(purpose.error);
  // The SDKs send bracketed keys; Azure's docs show dotted ones (wire.md §1.2): accept both.
  const expires = checkExpiresAfter(
    state.wire.flavor,
    state.wire.azureStyle,
    'expires_after',
    fields['expires_after[anchor]'] ?? fields['expires_after.anchor'],
    fields['expires_after[seconds]'] ?? fields['expires_after.seconds'],
  );
  if (!expires.ok) return reject(expires.error);
  if (purpose.value === 'batch' && !received.filename.toLowerCase().endsWith('.jsonl')) {
    return reject({ message: 'Invalid file format for Batch API. Must be .jsonl', param: null });
  }
  const file = state.files.register(
    {
      filename: received.filename,
      purpose: purpose.value,
      expiresAfterSeconds: expires.value ?? (purpose.value === 'batch' ? BATCH_FILE_TTL_SECONDS : null),
    },
    received.blob,
  );
  // Azure reports a fresh upload as `pending` until it has looked at it.
  send(state, ex, createdStatus(state), fileBody(state, file, state.wire.flavor === 'azure' ? 'pending' : 'processed'));
};

const listFiles: Handler = async (state, ex) => {
  const limit = intQuery(ex.url, 'limit', 10_000, 1, 10_000);
  if (limit === null) return sendError(state, ex, 400, { message: "Invalid 'limit': must be between 1 and 10000.", param: 'limit' });
  const purpose = ex.url.searchParams.get('purpose');
  const ascending = ex.url.searchParams.get('order') === 'asc';
  const all = [...state.files.files.values()].filter((f) => purpose === null || f.purpose === purpose);
  if (!ascending) all.reverse();
  const { data, hasMore } = page(all, ex.url.searchParams.get('after'), limit);
  const bare = state.wire.flavor === 'azure' && state.wire.azureStyle === 'classic';
  send(state, ex, 200, listJson(data.map((f) => ({ ...fileJson(state.wire, f, 'processed'), ...state.fileOverrides.get(f.id) })), hasMore, bare));
};

const retrieveFile: Handler = async (state, ex) => {
  const file = findFile(state, ex);
  if (file !== undefined) send(state, ex, 200, fileBody(state, file));
};

const fileContent: Handler = async (state, ex) => {
  const file = findFile(state, ex);
  if (file === undefined) return;
  ex.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes });
  await pipeline(createReadStream(file.path), ex.res).catch(() => undefined);
};

const deleteFile: Handler = async (state, ex) => {
  const file = findFile(state, ex);
  if (file === undefined) return;
  await state.files.remove(file.id);
  send(state, ex, 200, { id: file.id, object: 'file', deleted: true });
};

const readJsonObject = async (ex: Exchange): Promise<Record<string, unknown> | null> => {
  try {
    const parsed = JSON.parse(await readText(ex.req)) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

const createBatch: Handler = async (state, ex) => {
  const body = await readJsonObject(ex);
  if (body === null) {
    return sendError(state, ex, 400, { message: 'We could not parse the JSON body of your request.', param: null });
  }
  const inputFileId = body['input_file_id'];
  if (typeof inputFileId !== 'string' || inputFileId === '') {
    return sendError(state, ex, 400, { message: "Missing required parameter: 'input_file_id'.", param: 'input_file_id', code: 'missing_required_parameter' });
  }
  const endpoint = checkBatchEndpoint(state.wire.flavor, body['endpoint']);
  if (!endpoint.ok) return sendError(state, ex, 400, endpoint.error);
  const window = checkCompletionWindow(body['completion_window']);
  if (!window.ok) return sendError(state, ex, 400, window.error);
  const metadata = checkMetadata(body['metadata']);
  if (!metadata.ok) return sendError(state, ex, 400, metadata.error);
  const outputExpires = body['output_expires_after'];
  const expiry =
    typeof outputExpires === 'object' && outputExpires !== null
      ? checkExpiresAfter(state.wire.flavor, state.wire.azureStyle, 'output_expires_after', Reflect.get(outputExpires, 'anchor'), Reflect.get(outputExpires, 'seconds'))
      : checkExpiresAfter(state.wire.flavor, state.wire.azureStyle, 'output_expires_after', undefined, undefined);
  if (!expiry.ok) return sendError(state, ex, 400, expiry.error);
  const file = state.files.files.get(inputFileId);
  if (file === undefined) {
    return sendError(state, ex, 400, {
      message: `Cannot find file ${inputFileId}, or project does not have access to it.`,
      param: 'input_file_id',
    });
  }
  if (file.purpose !== 'batch') {
    return sendError(state, ex, 400, { message: `File ${inputFileId} has purpose '${file.purpose}'; batch input files must have purpose 'batch'.`, param: 'input_file_id' });
  }
  const batch = state.runner.create({
    id: state.newBatchId(),
    endpoint: endpoint.value,
    inputFileId,
    completionWindow: window.value,
    metadata: metadata.value,
    outputExpiresAfterSeconds: expiry.value,
  });
  send(state, ex, createdStatus(state), batchBody(state, batch));
};

const listBatches: Handler = async (state, ex) => {
  const limit = intQuery(ex.url, 'limit', 20, 1, 100);
  if (limit === null) return sendError(state, ex, 400, { message: "Invalid 'limit': must be between 1 and 100.", param: 'limit' });
  const all = [...state.runner.batches.values()].reverse();
  const { data, hasMore } = page(all, ex.url.searchParams.get('after'), limit);
  send(state, ex, 200, listJson(data.map((b) => batchJson(state.wire, b)), hasMore, false));
};

const retrieveBatch: Handler = async (state, ex) => {
  const batch = findBatch(state, ex);
  if (batch === undefined) return;
  await state.withLock(batch.id, async () => {
    if (state.autoProgress) await state.runner.step(batch);
  });
  send(state, ex, 200, batchBody(state, batch));
};

const cancelBatch: Handler = async (state, ex) => {
  await drain(ex.req);
  const batch = findBatch(state, ex);
  if (batch === undefined) return;
  const refused = await state.withLock(batch.id, async () => {
    if (TERMINAL_BATCH_STATUSES.has(batch.status)) return true;
    if (batch.status !== 'cancelling') await state.runner.enter(batch, 'cancelling');
    return false;
  });
  if (refused) {
    // Undocumented upstream behaviour (wire.md §2.4): we pick 400 invalid_request_error.
    return sendError(state, ex, 400, { message: `Cannot cancel a batch with status '${batch.status}'.`, param: null });
  }
  send(state, ex, 200, batchBody(state, batch));
};

export const HANDLERS: Record<FakeOperation, Handler> = {
  uploadFile,
  listFiles,
  retrieveFile,
  fileContent,
  deleteFile,
  createBatch,
  listBatches,
  retrieveBatch,
  cancelBatch,
};
