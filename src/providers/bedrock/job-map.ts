/**
 * A Bedrock job (GetModelInvocationJob answer or a list summary, `reference/wire.md` §5.1) → the
 * port's `UpstreamBatch`: status per §7.1, counts and times per §7.2 (ISO-8601 → Unix seconds),
 * `message` of a failed job into `errors`, the label read back from `jobName`. Output and error
 * file refs stay null: the domain reads results through `openResults` and writes the files.
 */
import type { BatchError, BatchRequestCounts } from '../../contracts/openai.js';
import type { UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import type { UpstreamError } from '../../errors/upstream-error.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import { labelOfJobName } from './job-names.js';
import { bedrockBatchStatus, UNFINISHED_TERMINAL } from './status-map.js';

/** OpenAI's window for every batch; Bedrock's own timeout is set to the same 24 hours. */
const COMPLETION_WINDOW = '24h';
const DAY_SECONDS = 86_400;

const seconds = (job: JsonRecord, key: string): number | null => {
  const raw = job[key];
  if (typeof raw === 'number' && Number.isFinite(raw)) return Math.floor(raw > 1e11 ? raw / 1000 : raw);
  if (typeof raw !== 'string') return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
};

const countsOf = (job: JsonRecord, status: string): BatchRequestCounts => {
  const total = integerAt(job, 'totalRecordCount') ?? 0;
  const completed = integerAt(job, 'successRecordCount') ?? 0;
  const errored = integerAt(job, 'errorRecordCount') ?? 0;
  // Records a stopped, expired or partially completed job never ran are failed requests for OpenAI.
  const unprocessed = UNFINISHED_TERMINAL.has(status) ? Math.max(0, total - completed - errored) : 0;
  return { total, completed, failed: errored + unprocessed };
};

/** The job's input object, as its ref (`s3://…`) is the adapter's file ref. */
const inputRefOf = (job: JsonRecord): string | null =>
  stringAt(recordAt(recordAt(job, 'inputDataConfig') ?? {}, 's3InputDataConfig') ?? {}, 's3Uri');

export const jobIdOf = (jobArn: string): string => jobArn.split('/').pop() ?? jobArn;

export const toUpstreamBatch = (
  raw: unknown,
  malformed: (what: string) => UpstreamError,
  sanitize: (text: string) => string,
): UpstreamBatch => {
  if (!isRecord(raw)) throw malformed('expected a model invocation job object');
  const ref = stringAt(raw, 'jobArn');
  if (ref === null || ref === '') throw malformed('a model invocation job without a jobArn');
  const rawStatus = stringAt(raw, 'status');
  if (rawStatus === null) throw malformed('a model invocation job without a status');
  const status = bedrockBatchStatus(rawStatus);
  const createdAt = seconds(raw, 'submitTime');
  const lastModified = seconds(raw, 'lastModifiedTime');
  const ended = seconds(raw, 'endTime') ?? lastModified;
  const message = stringAt(raw, 'message');
  const errors: BatchError[] | null =
    status === 'failed' ? [{ code: 'bedrock_job_failed', message: sanitize(message ?? 'The Bedrock batch job failed.'), param: null, line: null }] : null;
  return {
    ref,
    status,
    endpoint: '/v1/chat/completions',
    completionWindow: COMPLETION_WINDOW,
    model: stringAt(raw, 'modelId'),
    errors,
    outputFileRef: null,
    errorFileRef: null,
    createdAt,
    // Bedrock has no start time; the last change of a running job is the closest it says.
    inProgressAt: status === 'in_progress' ? lastModified : null,
    expiresAt: seconds(raw, 'jobExpirationTime') ?? (createdAt === null ? null : createdAt + DAY_SECONDS),
    finalizingAt: null,
    completedAt: status === 'completed' ? ended : null,
    failedAt: status === 'failed' ? ended : null,
    expiredAt: status === 'expired' ? ended : null,
    cancellingAt: status === 'cancelling' ? lastModified : null,
    cancelledAt: status === 'cancelled' ? ended : null,
    requestCounts: countsOf(raw, rawStatus),
    usage: null,
    metadata: null,
    label: labelOfJobName(stringAt(raw, 'jobName')),
    inputFileRef: inputRefOf(raw),
  };
};
