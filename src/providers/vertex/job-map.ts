/**
 * A Vertex `BatchPredictionJob` (`reference/wire.md` §4.2) → the port's `UpstreamBatch`: states
 * per `status-map.ts`, counts per §7.2 (int64 as strings; `incompleteCount` may be -1, unknown),
 * RFC 3339 times → Unix seconds, the failed job's `error.message` (cleaned) into `errors`.
 */
import type { BatchError, BatchRequestCounts } from '../../contracts/openai.js';
import type { UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import type { GoogleApi } from './google-http.js';
import { grpcNameOfNumber } from '../shared/gemini-content/grpc-status.js';
import { BATCH_LABEL_KEY, decodeLabelValue } from './labels.js';
import { isVertexJobState, TERMINAL_JOB_STATES, VERTEX_JOB_STATES, type VertexJobState } from './status-map.js';

/** Vertex states no expiry; OpenAI clients expect one: the 24 h completion window (wire.md §7.2). */
const EXPIRES_AFTER_SECONDS = 86_400;

const seconds = (job: JsonRecord, key: string): number | null => {
  const text = stringAt(job, key);
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
};

/** int64 fields arrive as strings ("12"), sometimes as numbers. */
const count = (stats: JsonRecord, key: string): number => {
  const value = stats[key];
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return 0;
};

const countsOf = (job: JsonRecord, state: VertexJobState): BatchRequestCounts => {
  const stats = recordAt(job, 'completionStats') ?? {};
  const succeeded = count(stats, 'successfulCount');
  const failed = count(stats, 'failedCount');
  const incomplete = Math.max(count(stats, 'incompleteCount'), 0);
  // Once the job ended, what it never finished has failed as far as the client can tell.
  const ended = TERMINAL_JOB_STATES.has(state);
  return { total: succeeded + failed + incomplete, completed: succeeded, failed: failed + (ended ? incomplete : 0) };
};

const errorsOf = (api: GoogleApi, job: JsonRecord, state: VertexJobState): BatchError[] | null => {
  const error = recordAt(job, 'error');
  if (state !== 'JOB_STATE_FAILED' || error === null) return null;
  const code = integerAt(error, 'code');
  const name = code === null ? null : grpcNameOfNumber(code);
  return [
    {
      code: name === null ? 'batch_failed' : name.toLowerCase(),
      message: api.clean(stringAt(error, 'message') ?? 'The Vertex AI batch job failed.'),
      param: null,
      line: null,
    },
  ];
};

/** `publishers/google/models/gemini-2.5-flash` → `gemini-2.5-flash`. */
export const shortModel = (model: string | null): string | null => (model === null ? null : model.slice(model.lastIndexOf('/') + 1));

export const toUpstreamBatch = (api: GoogleApi, raw: unknown): UpstreamBatch => {
  if (!isRecord(raw)) throw api.http.malformed('a batch prediction job answer that is not an object');
  const ref = stringAt(raw, 'name');
  if (ref === null || ref === '') throw api.http.malformed('a batch prediction job without a name');
  const rawState = stringAt(raw, 'state') ?? 'JOB_STATE_UNSPECIFIED';
  if (!isVertexJobState(rawState)) throw api.http.malformed(`a batch prediction job in state '${rawState}', which batchgate does not know`);
  const status = VERTEX_JOB_STATES[rawState];
  const createdAt = seconds(raw, 'createTime');
  const endedAt = seconds(raw, 'endTime') ?? seconds(raw, 'updateTime');
  const at = (wanted: typeof status): number | null => (status === wanted ? endedAt : null);
  const labels = recordAt(raw, 'labels');
  const label = labels === null ? null : stringAt(labels, BATCH_LABEL_KEY);
  const uris = recordAt(recordAt(raw, 'inputConfig') ?? {}, 'gcsSource')?.['uris'];
  return {
    ref,
    status,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    model: shortModel(stringAt(raw, 'model')),
    errors: errorsOf(api, raw, rawState),
    // The domain writes the output and error files itself from `openResults`.
    outputFileRef: null,
    errorFileRef: null,
    createdAt,
    inProgressAt: seconds(raw, 'startTime'),
    expiresAt: createdAt === null ? null : createdAt + EXPIRES_AFTER_SECONDS,
    finalizingAt: null,
    completedAt: at('completed'),
    failedAt: at('failed'),
    expiredAt: at('expired'),
    // Vertex keeps no cancel time; the last update of a cancelling job is when it began.
    cancellingAt: status === 'cancelling' ? seconds(raw, 'updateTime') : null,
    cancelledAt: at('cancelled'),
    requestCounts: countsOf(raw, rawState),
    usage: null,
    metadata: null,
    label: label === null ? null : decodeLabelValue(label),
    inputFileRef: Array.isArray(uris) && typeof uris[0] === 'string' ? uris[0] : null,
  };
};

/** `outputInfo.gcsOutputDirectory`, once the job created it. */
export const outputDirectoryOf = (raw: unknown): string | null => {
  const info = isRecord(raw) ? recordAt(raw, 'outputInfo') : null;
  return info === null ? null : stringAt(info, 'gcsOutputDirectory');
};
