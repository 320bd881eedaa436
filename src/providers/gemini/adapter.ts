/**
 * The Gemini Developer API adapter (`provider: gemini`, model `gemini/<model>`): batches run in
 * the Gemini API's batch mode (`reference/wire.md` §10). The gateway keeps each input
 * (`fileStaging: 'gateway'`, `domain/files/staged-adapter.ts`), so the file calls of this adapter
 * are never made; at create the staged `{key, request}` lines go inline when small, else through
 * the Files API (`batches.ts`). Lines are native (`lines.ts`): the request is the Gemini
 * translation shared with Vertex, keyed by the line number, and results come back through
 * `openResults`; the gateway writes the output and error files.
 *
 * Params (`litellm_params`, see `params.ts`): `api_key` (else env `GEMINI_API_KEY`, else
 * `GOOGLE_API_KEY`), `api_base`. A deployment without a key fails at start-up with a
 * `ProviderConfigError` naming each place it looked.
 */
import type { Deployment } from '../../domain/deployment.js';
import { systemClock, toSeconds } from '../../domain/ports/clock.js';
import type { ProviderAdapter, ProviderCapabilities } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AdapterDeps } from '../shared/deps.js';
import { createHttpClient } from '../shared/http-client.js';
import { createGeminiApi } from './api.js';
import { cancelBatch, createBatch, DEFAULT_INLINE_MAX_BYTES, listBatchesSince, probeBatches, retrieveBatch } from './batches.js';
import { encodeGeminiLine } from './lines.js';
import { resolveGeminiConfig } from './params.js';
import { openResults } from './results.js';
import { DEFAULT_UPLOAD_CHUNK_BYTES } from './upload.js';

export const GEMINI_CAPABILITIES: ProviderCapabilities = Object.freeze({
  fileStaging: 'gateway',
  lineFormat: 'native',
  batchExecution: 'native',
  retrieveFile: true,
  deleteFile: true,
  listFiles: true,
  cancelBatch: true,
  // The Files API takes files up to 2 GB, the input of a file batch; Google documents no request
  // count per batch (inline inputs are bounded by size, and go through the file path past it).
  limits: Object.freeze({ minLines: null, maxLines: null, maxBytes: 2_000_000_000 }),
});

/** Knobs for tests; production uses the defaults. */
export interface GeminiTuning {
  /** Largest staged input sent inline at create; larger ones go through the Files API. */
  readonly inlineMaxBytes?: number;
  /** Resumable upload chunk size (rounded up to the granularity Google announces). */
  readonly chunkBytes?: number;
}

export const createGeminiAdapter = (deployment: Deployment, deps: AdapterDeps, tuning: GeminiTuning = {}): ProviderAdapter => {
  const config = resolveGeminiConfig(deployment, deps.env ?? process.env);
  const clock = deps.clock ?? systemClock;
  const batchTuning = {
    inlineMaxBytes: tuning.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES,
    chunkBytes: tuning.chunkBytes ?? DEFAULT_UPLOAD_CHUNK_BYTES,
  };
  if (batchTuning.chunkBytes <= 0 || batchTuning.inlineMaxBytes < 0) throw new Error('chunkBytes must be positive and inlineMaxBytes not negative');
  const http = createHttpClient({
    deploymentId: deployment.id,
    timeoutMs: deps.timeoutMs,
    secrets: [config.apiKey],
    dispatcher: deps.dispatcher,
    observer: deps.observer,
  });
  const api = createGeminiApi(config, http);
  const staged = (what: string): GatewayError =>
    new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (gemini) keeps batch inputs in the gateway; ${what} is not an upstream call.`);

  return {
    deployment,
    capabilities: GEMINI_CAPABILITIES,
    encodeInputLine: encodeGeminiLine,
    // The gateway stages every file (`fileStaging: 'gateway'`): none of these reach this adapter.
    uploadFile: () => Promise.reject(staged('uploading a file')),
    retrieveFile: () => Promise.reject(staged('reading a file')),
    openFileContent: () => Promise.reject(staged('reading a file')),
    deleteFile: () => Promise.reject(staged('deleting a file')),
    listFilesSince: async function* () {},
    probe: (opts) => probeBatches(api, opts),
    createBatch: (input, opts) => createBatch(api, deployment.upstreamModel, input, batchTuning, opts),
    retrieveBatch: (ref, opts) => retrieveBatch(api, ref, opts),
    cancelBatch: (ref, opts) => cancelBatch(api, ref, toSeconds(clock.now()), opts),
    openResults: (ref, opts) => openResults(api, ref, deployment.upstreamModel, clock, opts),
    listBatchesSince: (since, opts) => listBatchesSince(api, since, opts),
    // The Gemini API runs the batch; single requests would need generateContent, which this adapter does not speak.
    sendRequest: () =>
      Promise.reject(
        new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (gemini) runs batches in the Gemini API's batch mode and takes no single requests.`),
      ),
  };
};
