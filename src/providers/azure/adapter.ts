/**
 * The Azure OpenAI adapter (`provider: azure`): Azure's Files and Batches API is OpenAI's, at
 * other URLs, with other auth and a few shape differences this module normalises away. Params
 * read (`litellm_params`):
 * - `api_base`: the resource endpoint, e.g. `https://my-resource.openai.azure.com` (required);
 * - `api_version`: a dated version (classic URLs, default `2025-04-01-preview`), or `v1`/`preview`
 *   for the v1 API (see `endpoint.ts`);
 * - `api_key` (`api-key` header), or `azure_ad_token` (`Authorization: Bearer`) when there is no key.
 * Expiries shorter than Azure accepts are raised to its minimum (see `expiry.ts`).
 */
import type { Deployment } from '../../domain/deployment.js';
import type { ProviderAdapter } from '../../domain/ports/provider-adapter.js';
import { joinUrl, type OpenAIStyleApi } from '../openai/api.js';
import { createOpenAIStyleAdapter } from '../openai/openai-style-adapter.js';
import { ProviderConfigError } from '../shared/config-error.js';
import type { AdapterDeps } from '../shared/deps.js';
import { createHttpClient } from '../shared/http-client.js';
import { secretParams, stringParam } from '../shared/params.js';
import { resolveAzureEndpoint } from './endpoint.js';
import { clampAzureExpiry } from './expiry.js';
import { createAzureNormalizer } from './normalize.js';

export const azureHeaders = (deployment: Deployment): Record<string, string> => {
  const apiKey = stringParam(deployment, 'api_key');
  if (apiKey !== null) return { 'api-key': apiKey };
  const token = stringParam(deployment, 'azure_ad_token');
  return token === null ? {} : { authorization: `Bearer ${token}` };
};

export const createAzureAdapter = (deployment: Deployment, deps: AdapterDeps): ProviderAdapter => {
  const apiBase = stringParam(deployment, 'api_base');
  if (apiBase === null) {
    // Azure has no default endpoint: every resource has its own host.
    throw new ProviderConfigError(['litellm_params.api_base is required for azure: the resource endpoint, e.g. https://my-resource.openai.azure.com']);
  }
  const endpoint = resolveAzureEndpoint(apiBase, stringParam(deployment, 'api_version'));
  const http = createHttpClient({
    deploymentId: deployment.id,
    timeoutMs: deps.timeoutMs,
    secrets: secretParams(deployment, ['api_key', 'azure_ad_token']),
    dispatcher: deps.dispatcher,
    observer: deps.observer,
  });
  const normalizer = createAzureNormalizer(deployment.id, http.malformed);
  const api: OpenAIStyleApi = {
    http,
    url: (path, query) => joinUrl(endpoint.base, path, { ...query, ...endpoint.query }),
    // Classic inference URLs name the Azure deployment; v1 URLs take it as `model` in the body.
    inferenceUrl: (path) =>
      endpoint.style === 'classic'
        ? joinUrl(`${endpoint.base}/deployments/${encodeURIComponent(deployment.upstreamModel)}`, path, endpoint.query)
        : joinUrl(endpoint.base, path, endpoint.query),
    headers: azureHeaders(deployment),
    normalizeFile: normalizer.file,
    normalizeBatch: normalizer.batch,
  };
  const adapter = createOpenAIStyleAdapter(deployment, api);
  return {
    ...adapter,
    uploadFile: (input, opts) => adapter.uploadFile({ ...input, expiresAfter: clampAzureExpiry(input.expiresAfter) }, opts),
    createBatch: (input, opts) =>
      adapter.createBatch({ ...input, outputExpiresAfter: clampAzureExpiry(input.outputExpiresAfter) }, opts),
  };
};
