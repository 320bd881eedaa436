/**
 * The results of a finished job (`reference/wire.md` §5.2, §7.3). Bedrock writes one
 * `<input file name>.out` per input file under `<outputDataConfig.s3Uri>/<job id>/` (the job id is
 * the ARN's last segment), plus `manifest.json.out`, which is skipped. Each record is converted as
 * it is read; then, once the job is terminal, the input is read for the records Bedrock wrote
 * nothing for (a stopped, expired or partially completed job), and each of those becomes a
 * request that never ran, so every line has exactly one result.
 */
import { createHash } from 'node:crypto';
import type { CallOptions, UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import { integerAt, isRecord, recordAt, stringAt, tryParseJson, type JsonRecord } from '../shared/json.js';
import { scrubbedError, type ErrorScope } from './aws-errors.js';
import { getJob, type JobsContext } from './jobs.js';
import { jobIdOf } from './job-map.js';
import { jsonLines } from './lines.js';
import { modelFamilyOf, type ModelFamily } from './model-family.js';
import { decodeRecordId } from './record-id.js';
import { recordToResponse } from './result-translation.js';
import { parseS3Uri, type S3Client, type S3Object } from './s3.js';

const TERMINAL = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired']);
const MAX_LIST_PAGES = 100;

export interface ResultsContext {
  readonly jobs: JobsContext;
  readonly s3: S3Client;
  readonly scope: ErrorScope;
}

/** Why a record without output never ran, by the job's final status (wire.md §7.3). */
const neverRan = (status: string): { code: string; message: string } => {
  if (status === 'Stopped' || status === 'Stopping') {
    return { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' };
  }
  if (status === 'Expired' || status === 'PartiallyCompleted') {
    return { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' };
  }
  return { code: 'batch_failed', message: 'Bedrock reported no result for this request.' };
};

const familyOf = (job: JsonRecord, modelId: string): ModelFamily => {
  const type = stringAt(job, 'modelInvocationType');
  if (type === 'Converse') return 'converse';
  if (type === 'InvokeModel') return 'anthropic';
  return modelFamilyOf(modelId);
};

const s3UriAt = (job: JsonRecord, config: string, member: string): S3Object | null => {
  const uri = stringAt(recordAt(recordAt(job, config) ?? {}, member) ?? {}, 's3Uri');
  return uri === null ? null : parseS3Uri(uri);
};

async function* listKeys(ctx: ResultsContext, bucket: string, prefix: string, signal: AbortSignal): AsyncGenerator<string> {
  let token: string | null = null;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await ctx.s3.listObjects(bucket, prefix, { token, signal });
    for (const obj of result.objects) yield obj.key;
    token = result.nextToken;
    if (token === null) return;
  }
}

/** Lines of an object; read errors (a dropped connection) are scrubbed like every other. */
async function* objectLines(ctx: ResultsContext, obj: S3Object, what: string, signal: AbortSignal): AsyncGenerator<string> {
  const { body } = await ctx.s3.getObject(obj, signal, what);
  try {
    yield* jsonLines(body);
  } catch (err) {
    throw scrubbedError(ctx.scope, what, err);
  } finally {
    body.destroy();
  }
}

export async function* openResults(ctx: ResultsContext, ref: string, opts: CallOptions): AsyncGenerator<UpstreamResultLine> {
  const job = await getJob(ctx.jobs, ref, opts.signal);
  const status = stringAt(job, 'status') ?? '';
  const modelId = stringAt(job, 'modelId') ?? ctx.jobs.config.modelId;
  const family = familyOf(job, modelId);
  const jobArn = stringAt(job, 'jobArn') ?? ref;
  const output = s3UriAt(job, 'outputDataConfig', 's3OutputDataConfig');
  if (output === null) throw ctx.jobs.malformed('the batch job has no S3 output location');
  const endMs = Date.parse(stringAt(job, 'endTime') ?? '');
  const created = Math.floor((Number.isNaN(endMs) ? ctx.jobs.now() : endMs) / 1000);
  const baseCtx = { model: modelId, created, sanitize: ctx.jobs.sanitize };

  const seen = new Set<number>();
  const prefix = `${output.key.replace(/\/*$/, '/')}${jobIdOf(jobArn)}/`.replace(/^\//, '');
  for await (const key of listKeys(ctx, output.bucket, prefix, opts.signal)) {
    if (!key.endsWith('.out') || key.endsWith('manifest.json.out')) continue;
    for await (const text of objectLines(ctx, { bucket: output.bucket, key }, 'reading the batch output', opts.signal)) {
      const record = tryParseJson(text);
      if (!isRecord(record)) continue;
      const lineNo = decodeRecordId(record['recordId']);
      // A record without one of our ids cannot be joined to a line; there is nothing to report it as.
      if (lineNo === null) continue;
      seen.add(lineNo);
      const completionId = `chatcmpl-${createHash('sha256').update(`${jobArn}\n${lineNo}`).digest('hex').slice(0, 24)}`;
      yield { lineNo, response: recordToResponse(record, family, { ...baseCtx, completionId }), error: null };
    }
  }

  if (!TERMINAL.has(status)) return;
  // Every record answered: no need to read a (possibly 1 GB) input for the ones missing.
  const total = integerAt(job, 'totalRecordCount');
  if (total !== null && total > 0 && seen.size >= total) return;
  const input = s3UriAt(job, 'inputDataConfig', 's3InputDataConfig');
  if (input === null) return;
  const why = neverRan(status);
  try {
    for await (const text of objectLines(ctx, input, 'reading the input object', opts.signal)) {
      // The encoder writes recordId first; a full parse is the fallback for anything else.
      const match = /^\{"recordId":"([^"]*)"/.exec(text);
      const record = match === null ? tryParseJson(text) : null;
      const lineNo = decodeRecordId(match === null ? (isRecord(record) ? record['recordId'] : null) : match[1]);
      if (lineNo === null || seen.has(lineNo)) continue;
      seen.add(lineNo);
      yield { lineNo, response: null, error: why };
    }
  } catch (err) {
    // An input deleted since leaves only the results Bedrock wrote; the domain knows the rest.
    if (err instanceof UpstreamError && err.isNotFound) return;
    throw err;
  }
}
