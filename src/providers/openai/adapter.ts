/**
 * The OpenAI adapter (`provider: openai`). Params read (`litellm_params`):
 * - `api_base`: default `https://api.openai.com/v1` (a trailing slash is tolerated);
 * - `api_key`: sent as `Authorization: Bearer …` (omitted when absent, for keyless
 *   OpenAI-compatible servers);
 * - `organization`: sent as `OpenAI-Organization` when set.
 */
import type { Deployment } from '../../domain/deployment.js';
import type { ProviderAdapter } from '../../domain/ports/provider-adapter.js';
import type { AdapterDeps } from '../shared/deps.js';
import { createHttpClient } from '../shared/http-client.js';
import { secretParams, stringParam, trimTrailingSlashes } from '../shared/params.js';
import { joinUrl, type OpenAIStyleApi } from './api.js';
import { createOpenAIStyleAdapter } from './openai-style-adapter.js';

export const OPENAI_DEFAULT_API_BASE = 'https://api.openai.com/v1';

const identity = (raw: unknown): unknown => raw;

export const openAIHeaders = (deployment: Deployment): Record<string, string> => {
  const apiKey = stringParam(deployment, 'api_key');
  const organization = stringParam(deployment, 'organization');
  return {
    ...(apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }),
    ...(organization === null ? {} : { 'openai-organization': organization }),
  };
};

export const createOpenAIAdapter = (deployment: Deployment, deps: AdapterDeps): ProviderAdapter => {
  const base = trimTrailingSlashes(stringParam(deployment, 'api_base') ?? OPENAI_DEFAULT_API_BASE);
  const api: OpenAIStyleApi = {
    http: createHttpClient({
      deploymentId: deployment.id,
      timeoutMs: deps.timeoutMs,
      secrets: secretParams(deployment, ['api_key']),
      dispatcher: deps.dispatcher,
      observer: deps.observer,
    }),
    url: (path, query) => joinUrl(base, path, query),
    headers: openAIHeaders(deployment),
    normalizeFile: identity,
    normalizeBatch: identity,
  };
  return createOpenAIStyleAdapter(deployment, api);
};
