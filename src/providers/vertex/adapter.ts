/**
 * The Vertex AI adapter (`provider: vertex_ai`, model `vertex_ai/<gemini model>`): batch inputs
 * are staged in a GCS bucket and run as Vertex batch prediction jobs (`reference/wire.md` §4).
 * Lines are native (`request-translation.ts`): each carries its line number in `request.labels`,
 * and results come back through `openResults`; the gateway writes the output and error files.
 *
 * Params (`litellm_params`, see `params.ts` for the fallbacks): `vertex_project`,
 * `vertex_location`, `vertex_credentials`, `gcs_bucket_name` / `bucket_name`, `api_base` (Vertex
 * API), `gcs_api_base` (GCS JSON API). A deployment missing a project, credentials or a bucket
 * fails at start-up with a `ProviderConfigError` naming each.
 */
import type { Deployment } from '../../domain/deployment.js';
import { systemClock } from '../../domain/ports/clock.js';
import type { ProviderAdapter, ProviderCapabilities } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AdapterDeps } from '../shared/deps.js';
import { createHttpClient } from '../shared/http-client.js';
import { createTokenSource } from './auth.js';
import { deleteFile, listFilesSince, openFileContent, retrieveFile, uploadFile } from './files.js';
import { CHUNK_UNIT, DEFAULT_CHUNK_BYTES } from './gcs-upload.js';
import { createGoogleApi } from './google-http.js';
import { cancelJob, createJob, listJobsSince, probeJobs, retrieveJob } from './jobs.js';
import { resolveVertexConfig } from './params.js';
import { encodeVertexLine } from './request-translation.js';
import { openResults } from './results.js';

export const VERTEX_CAPABILITIES: ProviderCapabilities = Object.freeze({
  fileStaging: 'bucket',
  lineFormat: 'native',
  batchExecution: 'native',
  retrieveFile: true,
  deleteFile: true,
  listFiles: true,
  cancelBatch: true,
  // Vertex's documented per-job limits (wire.md §4.5): 200,000 requests, a 1 GB input file.
  limits: Object.freeze({ minLines: null, maxLines: 200_000, maxBytes: 1_000_000_000 }),
});

/** Knobs for tests; production uses the defaults. */
export interface VertexTuning {
  /** Resumable upload chunk size; a multiple of 256 KiB. */
  readonly chunkBytes?: number;
}

export const createVertexAdapter = (deployment: Deployment, deps: AdapterDeps, tuning: VertexTuning = {}): ProviderAdapter => {
  const config = resolveVertexConfig(deployment, deps.env ?? process.env);
  const clock = deps.clock ?? systemClock;
  const chunkBytes = tuning.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (chunkBytes <= 0 || chunkBytes % CHUNK_UNIT !== 0) throw new Error(`chunkBytes must be a positive multiple of ${CHUNK_UNIT}`);
  const http = createHttpClient({
    deploymentId: deployment.id,
    timeoutMs: deps.timeoutMs,
    secrets: [config.credentials.privateKeyPem, ...(config.credentials.privateKeyId === null ? [] : [config.credentials.privateKeyId])],
    dispatcher: deps.dispatcher,
    observer: deps.observer,
  });
  const api = createGoogleApi(config, http, createTokenSource(config.credentials, http, clock));

  return {
    deployment,
    capabilities: VERTEX_CAPABILITIES,
    encodeInputLine: encodeVertexLine,
    uploadFile: (input, opts) => uploadFile(api, input, chunkBytes, opts),
    retrieveFile: (ref, opts) => retrieveFile(api, ref, opts),
    openFileContent: (ref, opts) => openFileContent(api, ref, opts),
    deleteFile: (ref, opts) => deleteFile(api, ref, opts),
    probe: (opts) => probeJobs(api, opts),
    createBatch: (input, opts) => createJob(api, deployment.upstreamModel, input, opts),
    retrieveBatch: (ref, opts) => retrieveJob(api, ref, opts),
    cancelBatch: (ref, opts) => cancelJob(api, ref, opts),
    openResults: (ref, opts) => openResults(api, ref, clock, opts),
    listFilesSince: (since, opts) => listFilesSince(api, since, opts),
    listBatchesSince: (since, opts) => listJobsSince(api, since, opts),
    // Vertex runs the batch; single requests would need the online API, which this adapter does not speak.
    sendRequest: () =>
      Promise.reject(
        new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (vertex_ai) runs batches on Vertex AI and takes no single requests.`),
      ),
  };
};
