/**
 * The OpenAI adapter (`provider: openai`). Params read (`litellm_params`):
 * - `api_base`: default `https://api.openai.com/v1` (a trailing slash is tolerated);
 * - `api_key`: sent as `Authorization: Bearer …` (omitted when absent, for keyless
 *   OpenAI-compatible servers);
 * - `organization`: sent as `OpenAI-Organization` when set.
 * The same code serves `hosted_vllm` (api_base required) and `ollama` (default
 * `http://localhost:11434`), whose batches the gateway executes through `sendRequest`.
 */
import type { Deployment } from '../../domain/deployment.js';
import type { ProviderAdapter } from '../../domain/ports/provider-adapter.js';
import { ProviderConfigError } from '../shared/config-error.js';
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

export const createOpenAIAdapter = (deployment: Deployment, deps: AdapterDeps): ProviderAdapter =>
  createOpenAICompatibleAdapter(deployment, deps, trimTrailingSlashes(stringParam(deployment, 'api_base') ?? OPENAI_DEFAULT_API_BASE));

/** Ollama's OpenAI-compatible API on its default port. */
export const OLLAMA_DEFAULT_API_BASE = 'http://localhost:11434';

/**
 * Self-hosted servers (`hosted_vllm`, `ollama`) serve OpenAI's API under `/v1`; LiteLLM users
 * write their `api_base` with or without it, so it is added when missing.
 */
const withV1 = (apiBase: string): string => {
  const trimmed = trimTrailingSlashes(apiBase);
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
};

export const createHostedVllmAdapter = (deployment: Deployment, deps: AdapterDeps): ProviderAdapter => {
  const apiBase = stringParam(deployment, 'api_base');
  if (apiBase === null) {
    throw new ProviderConfigError(['litellm_params.api_base is required for hosted_vllm: the URL of the vLLM server, e.g. http://localhost:8000/v1']);
  }
  return createOpenAICompatibleAdapter(deployment, deps, withV1(apiBase));
};

export const createOllamaAdapter = (deployment: Deployment, deps: AdapterDeps): ProviderAdapter =>
  createOpenAICompatibleAdapter(deployment, deps, withV1(stringParam(deployment, 'api_base') ?? OLLAMA_DEFAULT_API_BASE));

const createOpenAICompatibleAdapter = (deployment: Deployment, deps: AdapterDeps, base: string): ProviderAdapter => {
  const api: OpenAIStyleApi = {
    http: createHttpClient({
      deploymentId: deployment.id,
      timeoutMs: deps.timeoutMs,
      secrets: secretParams(deployment, ['api_key']),
      dispatcher: deps.dispatcher,
      observer: deps.observer,
    }),
    url: (path, query) => joinUrl(base, path, query),
    inferenceUrl: (path) => joinUrl(base, path),
    headers: openAIHeaders(deployment),
    normalizeFile: identity,
    normalizeBatch: identity,
  };
  return createOpenAIStyleAdapter(deployment, api);
};
