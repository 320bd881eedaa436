/**
 * Bedrock's control plane for batch jobs (`reference/wire.md` §5.1): CreateModelInvocationJob,
 * GetModelInvocationJob, StopModelInvocationJob, ListModelInvocationJobs. A job's ref is its ARN,
 * percent-encoded where it is a path segment.
 */
import type { CallOptions, CreateBatchInput, UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { UpstreamError } from '../../errors/upstream-error.js';
import { isRecord, stringAt, type JsonRecord } from '../shared/json.js';
import type { AwsTransport } from './aws-http.js';
import { clientRequestTokenOf, jobNameOf } from './job-names.js';
import { toUpstreamBatch } from './job-map.js';
import { INVOCATION_TYPE } from './model-family.js';
import type { BedrockConfig } from './params.js';
import { uriEncode } from './signer.js';

/** Bedrock's shortest job timeout, and OpenAI's only completion window. */
const TIMEOUT_HOURS = 24;
const LIST_PAGE = 100;
const LIST_PAGES = 10;

export interface JobsContext {
  readonly deploymentId: string;
  readonly config: BedrockConfig;
  readonly transport: AwsTransport;
  readonly malformed: (what: string) => UpstreamError;
  readonly sanitize: (text: string) => string;
  readonly now: () => number;
}

const jobPath = (ref: string): string => `/model-invocation-job/${uriEncode(ref)}`;

const call = (ctx: JobsContext, method: 'GET' | 'POST', path: string, what: string, operation: string, signal: AbortSignal, extra: { query?: Record<string, string>; body?: string } = {}) =>
  ctx.transport.send({
    method,
    origin: ctx.config.controlBase,
    path,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...extra,
    signal,
    what,
    operation,
  });

const batchOf = (ctx: JobsContext, raw: unknown): UpstreamBatch => toUpstreamBatch(raw, ctx.malformed, ctx.sanitize);

/** The raw job, for callers that need more than the port's view (results need its output URI). */
export const getJob = async (ctx: JobsContext, ref: string, signal: AbortSignal): Promise<JsonRecord> => {
  const answer = await call(ctx, 'GET', jobPath(ref), 'reading the batch job', 'bedrock.GetModelInvocationJob', signal);
  if (!isRecord(answer.body)) throw ctx.malformed('expected a model invocation job object');
  return answer.body;
};

export const retrieveJob = async (ctx: JobsContext, ref: string, opts: CallOptions): Promise<UpstreamBatch> =>
  batchOf(ctx, await getJob(ctx, ref, opts.signal));

export const outputUriOf = (config: BedrockConfig, label: string): string =>
  `s3://${config.output.bucket}/${config.output.prefix}batchgate-out/${label.replace(/[^A-Za-z0-9._-]/g, '_')}/`;

export const createJob = async (ctx: JobsContext, input: CreateBatchInput, opts: CallOptions): Promise<UpstreamBatch> => {
  if (!/\/chat\/completions$/.test(input.endpoint)) {
    throw new GatewayError('invalid_request', `Bedrock batch deployments run /v1/chat/completions only, not ${input.endpoint}.`, { param: 'endpoint' });
  }
  const { config } = ctx;
  const jobName = jobNameOf(input.label);
  const body = {
    jobName,
    clientRequestToken: clientRequestTokenOf(input.label, ctx.deploymentId),
    roleArn: config.roleArn,
    modelId: config.modelId,
    modelInvocationType: INVOCATION_TYPE[config.family],
    inputDataConfig: { s3InputDataConfig: { s3Uri: input.inputFileRef, s3InputFormat: 'JSONL' } },
    outputDataConfig: {
      s3OutputDataConfig: {
        s3Uri: outputUriOf(config, input.label),
        ...(config.encryptionKeyId === null ? {} : { s3EncryptionKeyId: config.encryptionKeyId }),
      },
    },
    timeoutDurationInHours: TIMEOUT_HOURS,
  };
  const answer = await call(ctx, 'POST', '/model-invocation-job', 'creating the batch job', 'bedrock.CreateModelInvocationJob', opts.signal, {
    body: JSON.stringify(body),
  });
  const jobArn = isRecord(answer.body) ? stringAt(answer.body, 'jobArn') : null;
  if (jobArn === null || jobArn === '') throw ctx.malformed('CreateModelInvocationJob answered without a jobArn');
  try {
    return await retrieveJob(ctx, jobArn, opts);
  } catch {
    // The job exists; a read that fails right after the create (or lags behind it) must not
    // make the gateway create it again. Report it as just submitted; the next poll reads it.
    return batchOf(ctx, { jobArn, jobName, modelId: config.modelId, status: 'Submitted', submitTime: new Date(ctx.now()).toISOString(), inputDataConfig: body.inputDataConfig });
  }
};

export const stopJob = async (ctx: JobsContext, ref: string, opts: CallOptions): Promise<UpstreamBatch> => {
  await call(ctx, 'POST', `${jobPath(ref)}/stop`, 'stopping the batch job', 'bedrock.StopModelInvocationJob', opts.signal);
  return retrieveJob(ctx, ref, opts);
};

/** Our jobs (named `batchgate-…`) submitted at or after `sinceSeconds`, newest first, a few pages at most. */
export async function* listJobsSince(ctx: JobsContext, sinceSeconds: number, opts: CallOptions): AsyncGenerator<UpstreamBatch> {
  let nextToken: string | null = null;
  for (let page = 0; page < LIST_PAGES; page++) {
    const answer = await call(ctx, 'GET', '/model-invocation-jobs', 'listing batch jobs', 'bedrock.ListModelInvocationJobs', opts.signal, {
      query: {
        submitTimeAfter: new Date(sinceSeconds * 1000).toISOString(),
        nameContains: 'batchgate-',
        sortBy: 'CreationTime',
        sortOrder: 'Descending',
        maxResults: String(LIST_PAGE),
        ...(nextToken === null ? {} : { nextToken }),
      },
    });
    const body = isRecord(answer.body) ? answer.body : {};
    const summaries = Array.isArray(body['invocationJobSummaries']) ? body['invocationJobSummaries'] : [];
    for (const summary of summaries) yield batchOf(ctx, summary);
    nextToken = stringAt(body, 'nextToken');
    if (nextToken === null || nextToken === '') return;
  }
}

/** The cheapest signed call: list at most one job. */
export const probeJobs = async (ctx: JobsContext, opts: CallOptions): Promise<void> => {
  await call(ctx, 'GET', '/model-invocation-jobs', 'listing batch jobs', 'bedrock.ListModelInvocationJobs', opts.signal, { query: { maxResults: '1' } });
};
