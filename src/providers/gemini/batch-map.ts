/**
 * A Gemini batch operation (`reference/wire.md` §10) → the port's `UpstreamBatch`. The
 * operation (`{name, metadata: GenerateContentBatch, done, response, error}`) and a bare
 * `GenerateContentBatch` are both read. States per `status-map.ts`; counts from `batchStats`
 * (int64 as strings, zero counters omitted); RFC 3339 times → Unix seconds; a failed batch's
 * google.rpc `Status` (cleaned) into `errors`. The gateway batch id rides in `displayName`, the
 * only field of ours a Gemini batch keeps.
 */
import type { BatchError, BatchRequestCounts, BatchStatus } from '../../contracts/openai.js';
import type { UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import { grpcNameOfNumber } from '../shared/gemini-content/grpc-status.js';
import { secondsOf } from '../shared/gemini-content/response.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import type { GeminiApi } from './api.js';
import { GEMINI_BATCH_STATES, isGeminiBatchState } from './status-map.js';

/** Gemini expires a batch still pending or running after 48 hours. */
const EXPIRES_AFTER_SECONDS = 48 * 3600;
export const DISPLAY_NAME_PREFIX = 'batchgate-';

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['completed', 'failed', 'cancelled', 'expired']);

/** The batch inside an operation (its `metadata`), or the object itself when it is a batch. */
export const batchOf = (raw: JsonRecord): JsonRecord => recordAt(raw, 'metadata') ?? raw;

/** `batches/abc` of an operation or batch. */
export const refOf = (raw: JsonRecord): string | null => stringAt(batchOf(raw), 'name') ?? stringAt(raw, 'name');

/** int64 fields arrive as strings ("12"), sometimes as numbers; a missing one is 0. */
const count = (stats: JsonRecord, key: string): number => {
  const value = stats[key];
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(Math.trunc(value), 0);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
};

const countsOf = (batch: JsonRecord, status: BatchStatus): BatchRequestCounts => {
  const stats = recordAt(batch, 'batchStats') ?? {};
  const succeeded = count(stats, 'successfulRequestCount');
  const failed = count(stats, 'failedRequestCount');
  const pending = count(stats, 'pendingRequestCount');
  const total = Math.max(count(stats, 'requestCount'), succeeded + failed + pending);
  // Once the batch ended, what it never finished has failed as far as the client can tell.
  const unfinished = TERMINAL.has(status) ? total - succeeded - failed : 0;
  return { total, completed: succeeded, failed: failed + unfinished };
};

const errorsOf = (api: GeminiApi, raw: JsonRecord, status: BatchStatus): BatchError[] | null => {
  const error = recordAt(raw, 'error') ?? recordAt(batchOf(raw), 'error');
  if (status !== 'failed') return null;
  const code = error === null ? null : integerAt(error, 'code');
  const name = code === null ? null : grpcNameOfNumber(code);
  const message = error === null ? null : stringAt(error, 'message');
  return [
    {
      code: name === null ? 'batch_failed' : name.toLowerCase(),
      message: message === null || message === '' ? 'The Gemini API batch failed.' : api.clean(message),
      param: null,
      line: null,
    },
  ];
};

/** `models/gemini-2.5-flash` → `gemini-2.5-flash`. */
export const shortModel = (model: string | null): string | null => (model === null ? null : model.slice(model.lastIndexOf('/') + 1));

export const toUpstreamBatch = (api: GeminiApi, raw: unknown): UpstreamBatch => {
  if (!isRecord(raw)) throw api.http.malformed('a batch answer that is not an object');
  const batch = batchOf(raw);
  const ref = refOf(raw);
  if (ref === null || ref === '') throw api.http.malformed('a batch without a name');
  const rawState = stringAt(batch, 'state') ?? 'BATCH_STATE_UNSPECIFIED';
  if (!isGeminiBatchState(rawState)) throw api.http.malformed(`a batch in state '${rawState}', which batchgate does not know`);
  const status = GEMINI_BATCH_STATES[rawState];
  const createdAt = secondsOf(stringAt(batch, 'createTime'));
  const endedAt = secondsOf(stringAt(batch, 'endTime')) ?? secondsOf(stringAt(batch, 'updateTime'));
  const at = (wanted: BatchStatus): number | null => (status === wanted ? endedAt : null);
  const displayName = stringAt(batch, 'displayName');
  const label = displayName?.startsWith(DISPLAY_NAME_PREFIX) === true ? displayName.slice(DISPLAY_NAME_PREFIX.length) : null;
  return {
    ref,
    status,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    model: shortModel(stringAt(batch, 'model')),
    errors: errorsOf(api, raw, status),
    // The domain writes the output and error files itself from `openResults`.
    outputFileRef: null,
    errorFileRef: null,
    createdAt,
    // Gemini keeps no start time; the domain stamps the first poll that sees the batch running.
    inProgressAt: null,
    expiresAt: createdAt === null ? null : createdAt + EXPIRES_AFTER_SECONDS,
    finalizingAt: null,
    completedAt: at('completed'),
    failedAt: at('failed'),
    expiredAt: at('expired'),
    cancellingAt: status === 'cancelling' ? secondsOf(stringAt(batch, 'updateTime')) : null,
    cancelledAt: at('cancelled'),
    requestCounts: countsOf(batch, status),
    usage: null,
    metadata: null,
    label: label === '' ? null : label,
    inputFileRef: stringAt(recordAt(batch, 'inputConfig') ?? {}, 'fileName'),
  };
};

/** Where a finished batch's answers are: a responses file, or inline in the operation. */
export const responsesFileOf = (raw: unknown): string | null => {
  if (!isRecord(raw)) return null;
  const candidates = [recordAt(raw, 'response'), recordAt(batchOf(raw), 'output'), recordAt(recordAt(raw, 'response') ?? {}, 'output')];
  for (const output of candidates) {
    const file = output === null ? null : stringAt(output, 'responsesFile');
    if (file !== null && file !== '') return file;
  }
  return null;
};
