/**
 * Vertex batch prediction jobs (`reference/wire.md` §4.1–4.2): create, get, cancel, list. A
 * job's ref is its resource name (`projects/…/batchPredictionJobs/<id>`); a bare id is accepted
 * too. Messages name the input object, the output directory and the job by what they are.
 */
import type { CallOptions, CreateBatchInput, UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { isRecord } from '../shared/json.js';
import { gsUri } from './gcs.js';
import type { GoogleApi } from './google-http.js';
import { nameOfRef } from './files.js';
import { toUpstreamBatch } from './job-map.js';
import { BATCH_LABEL_KEY, encodeLabelValue } from './labels.js';
import type { Replacement } from './sanitise.js';

const OUTPUT_DIR = 'batchgate-out/';
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 20;
const JOB_NAME = /^projects\/[^/]+\/locations\/[^/]+\/batchPredictionJobs\/[A-Za-z0-9_-]+$/;
const JOB_ID = /^[A-Za-z0-9_-]+$/;
const CHAT_ENDPOINTS = new Set(['/v1/chat/completions', '/chat/completions']);

export const parentOf = (api: GoogleApi): string => `projects/${api.config.project}/locations/${api.config.location}`;
const jobsUrl = (api: GoogleApi): string => `${api.config.vertexBase}/v1/${parentOf(api)}/batchPredictionJobs`;

/** `publishers/google/models/<model>` unless the deployment names a full model resource. */
export const jobModelOf = (upstreamModel: string): string =>
  upstreamModel.startsWith('projects/') || upstreamModel.startsWith('publishers/') ? upstreamModel : `publishers/google/models/${upstreamModel}`;

export const outputPrefixOf = (api: GoogleApi, label: string): string =>
  gsUri(api.config.bucket, `${api.config.prefix}${OUTPUT_DIR}${label.replace(/[^A-Za-z0-9_-]/g, '_')}/`);

const jobNameOf = (api: GoogleApi, ref: string): string => {
  if (JOB_NAME.test(ref)) return ref;
  if (JOB_ID.test(ref)) return `${parentOf(api)}/batchPredictionJobs/${ref}`;
  throw new GatewayError('invalid_request', 'This batch is not one the Vertex AI deployment created.');
};

const jobKnown = (name: string): Replacement[] => [[name, 'the batch job']];

export const getJob = async (api: GoogleApi, ref: string, opts: CallOptions): Promise<unknown> => {
  const name = jobNameOf(api, ref);
  const response = await api.call({ method: 'GET', url: `${api.config.vertexBase}/v1/${name}`, known: jobKnown(name) }, opts);
  return response.body;
};

export const createJob = async (api: GoogleApi, upstreamModel: string, input: CreateBatchInput, opts: CallOptions): Promise<UpstreamBatch> => {
  if (!CHAT_ENDPOINTS.has(input.endpoint)) {
    throw new GatewayError('unsupported_operation', `Vertex AI batch deployments run /v1/chat/completions batches only, not ${input.endpoint}.`, {
      param: 'endpoint',
    });
  }
  const inputUri = gsUri(api.config.bucket, nameOfRef(api, input.inputFileRef));
  const outputPrefix = outputPrefixOf(api, input.label);
  const labelValue = encodeLabelValue(input.label);
  const body = {
    displayName: `batchgate-${input.label}`.slice(0, 128),
    model: jobModelOf(upstreamModel),
    inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [inputUri] } },
    outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: outputPrefix } },
    ...(labelValue === null ? {} : { labels: { [BATCH_LABEL_KEY]: labelValue } }),
  };
  const response = await api.call(
    {
      method: 'POST',
      url: jobsUrl(api),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      known: [
        [inputUri, 'the input object'],
        [outputPrefix, 'the output directory'],
        [outputPrefix.replace(/\/$/, ''), 'the output directory'],
      ],
    },
    opts,
  );
  return toUpstreamBatch(api, response.body);
};

export const retrieveJob = async (api: GoogleApi, ref: string, opts: CallOptions): Promise<UpstreamBatch> =>
  toUpstreamBatch(api, await getJob(api, ref, opts));

export const cancelJob = async (api: GoogleApi, ref: string, opts: CallOptions): Promise<UpstreamBatch> => {
  const name = jobNameOf(api, ref);
  await api.call(
    {
      method: 'POST',
      url: `${api.config.vertexBase}/v1/${name}:cancel`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
      known: jobKnown(name),
    },
    opts,
  );
  // `:cancel` answers Empty; the job itself says where the cancellation is.
  return retrieveJob(api, name, opts);
};

const listPage = async (
  api: GoogleApi,
  query: Record<string, string>,
  opts: CallOptions,
): Promise<{ jobs: unknown[]; nextPageToken: string | null }> => {
  const response = await api.call({ method: 'GET', url: `${jobsUrl(api)}?${new URLSearchParams(query).toString()}` }, opts);
  const body = isRecord(response.body) ? response.body : {};
  const jobs = Array.isArray(body['batchPredictionJobs']) ? body['batchPredictionJobs'] : [];
  const token = body['nextPageToken'];
  return { jobs, nextPageToken: typeof token === 'string' && token !== '' ? token : null };
};

/** The cheapest authenticated Vertex call: list at most one job. */
export const probeJobs = async (api: GoogleApi, opts: CallOptions): Promise<void> => {
  await listPage(api, { pageSize: '1' }, opts);
};

/**
 * Jobs created at or after `sinceSeconds`, newest first: filtered upstream by `create_time`
 * (and again here, should a proxy ignore the filter), a bounded number of pages, then sorted.
 */
export async function* listJobsSince(api: GoogleApi, sinceSeconds: number, opts: CallOptions): AsyncGenerator<UpstreamBatch> {
  const filter = `create_time>="${new Date(sinceSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z')}"`;
  const found: UpstreamBatch[] = [];
  let pageToken: string | null = null;
  for (let page = 0; page < LIST_MAX_PAGES; page++) {
    const result = await listPage(api, { filter, pageSize: String(LIST_PAGE_SIZE), ...(pageToken === null ? {} : { pageToken }) }, opts);
    for (const raw of result.jobs) {
      const batch = toUpstreamBatch(api, raw);
      if (batch.createdAt === null || batch.createdAt >= sinceSeconds) found.push(batch);
    }
    pageToken = result.nextPageToken;
    if (pageToken === null) break;
  }
  yield* found.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
}
