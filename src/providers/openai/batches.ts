/** The Batches API calls (`reference/wire.md` §2), shared by every OpenAI-style upstream. */
import type { CallOptions, CreateBatchInput, UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import { segment, type OpenAIStyleApi } from './api.js';
import { labelledMetadata } from './labels.js';
import { listSince } from './list-since.js';
import { toUpstreamBatch } from './map.js';

const batchOf = (api: OpenAIStyleApi, raw: unknown): UpstreamBatch =>
  toUpstreamBatch(api.normalizeBatch(raw), api.http.malformed);

/** `CreateBatchRequest`: optional fields are left out rather than sent as null. */
export const createBatchBody = (input: CreateBatchInput): Record<string, unknown> => ({
  input_file_id: input.inputFileRef,
  endpoint: input.endpoint,
  completion_window: input.completionWindow,
  metadata: labelledMetadata(input.metadata, input.label),
  ...(input.outputExpiresAfter === null ? {} : { output_expires_after: input.outputExpiresAfter }),
});

export const createBatch = async (api: OpenAIStyleApi, input: CreateBatchInput, opts: CallOptions): Promise<UpstreamBatch> => {
  const response = await api.http.json({
    method: 'POST',
    url: api.url('/batches'),
    headers: { ...api.headers, 'content-type': 'application/json' },
    body: JSON.stringify(createBatchBody(input)),
    signal: opts.signal,
  });
  return batchOf(api, response.body);
};

export const retrieveBatch = async (api: OpenAIStyleApi, ref: string, opts: CallOptions): Promise<UpstreamBatch> => {
  const response = await api.http.json({
    method: 'GET',
    url: api.url(`/batches/${segment(ref)}`),
    headers: api.headers,
    signal: opts.signal,
  });
  return batchOf(api, response.body);
};

export const cancelBatch = async (api: OpenAIStyleApi, ref: string, opts: CallOptions): Promise<UpstreamBatch> => {
  const response = await api.http.json({
    method: 'POST',
    url: api.url(`/batches/${segment(ref)}/cancel`),
    headers: api.headers,
    signal: opts.signal,
  });
  return batchOf(api, response.body);
};

export const listBatchesSince = (api: OpenAIStyleApi, sinceSeconds: number, opts: CallOptions): AsyncIterable<UpstreamBatch> =>
  listSince(api, '/batches', {}, sinceSeconds, opts, (raw) => batchOf(api, raw));
