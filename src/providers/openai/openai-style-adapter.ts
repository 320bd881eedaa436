/**
 * A `ProviderAdapter` for any upstream that speaks the OpenAI Files and Batches API natively: the
 * upstream stores the files and runs the batches, and input lines go up unchanged. OpenAI and
 * Azure differ only in their `OpenAIStyleApi`.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import type { Deployment } from '../../domain/deployment.js';
import { NO_LIMITS, type ProviderAdapter, type ProviderCapabilities } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { OpenAIStyleApi } from './api.js';
import { cancelBatch, createBatch, listBatchesSince, retrieveBatch } from './batches.js';
import { deleteFile, listFilesSince, openFileContent, probe, retrieveFile, uploadFile } from './files.js';
import { sendInferenceRequest } from './inference.js';

export const OPENAI_STYLE_CAPABILITIES: ProviderCapabilities = Object.freeze({
  fileStaging: 'files-api',
  // Lines go up as OpenAI wrote them; only `body.model` is rewritten by the domain.
  lineFormat: 'openai',
  batchExecution: 'native',
  retrieveFile: true,
  deleteFile: true,
  listFiles: true,
  cancelBatch: true,
  limits: NO_LIMITS,
});

export const createOpenAIStyleAdapter = (deployment: Deployment, api: OpenAIStyleApi): ProviderAdapter => ({
  deployment,
  capabilities: OPENAI_STYLE_CAPABILITIES,
  // The upstream reads OpenAI lines as they are.
  encodeInputLine: (line: BatchInputLine): unknown => line,
  uploadFile: (input, opts) => uploadFile(api, input, opts),
  retrieveFile: (ref, opts) => retrieveFile(api, ref, opts),
  openFileContent: (ref, opts) => openFileContent(api, ref, opts),
  deleteFile: (ref, opts) => deleteFile(api, ref, opts),
  probe: (opts) => probe(api, opts),
  createBatch: (input, opts) => createBatch(api, input, opts),
  retrieveBatch: (ref, opts) => retrieveBatch(api, ref, opts),
  cancelBatch: (ref, opts) => cancelBatch(api, ref, opts),
  // The upstream writes OpenAI-format output and error files; results are read as files.
  openResults: () => {
    throw new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (${deployment.provider}) serves batch results as files.`);
  },
  listFilesSince: (since, opts) => listFilesSince(api, since, opts),
  listBatchesSince: (since, opts) => listBatchesSince(api, since, opts),
  sendRequest: (request, opts) => sendInferenceRequest(api, request, opts),
});
