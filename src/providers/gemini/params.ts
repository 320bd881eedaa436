/**
 * The Gemini API deployment's settings (`provider: gemini`, model `gemini/<model>`), resolved
 * once from `litellm_params` and the environment:
 *
 * - key: `api_key`, else env `GEMINI_API_KEY`, else env `GOOGLE_API_KEY` (LiteLLM's and the
 *   `@google/genai` SDK's names); none of them set stops start-up with a `ProviderConfigError`;
 * - `api_base`: origin of the API (default `https://generativelanguage.googleapis.com`), with or
 *   without a trailing `/v1beta`; uploads and downloads go to `/upload/…` and `/download/…` on it.
 */
import type { Deployment } from '../../domain/deployment.js';
import { ProviderConfigError } from '../shared/config-error.js';
import { stringParam, trimTrailingSlashes } from '../shared/params.js';

export const DEFAULT_GEMINI_API_BASE = 'https://generativelanguage.googleapis.com';

export interface GeminiConfig {
  readonly apiKey: string;
  /** Origin (and path) before `/v1beta/…`, `/upload/v1beta/…`, `/download/v1beta/…`. */
  readonly apiBase: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const envValue = (env: Env, key: string): string | null => {
  const value = env[key];
  return value === undefined || value.trim() === '' ? null : value.trim();
};

export const resolveGeminiConfig = (deployment: Deployment, env: Env): GeminiConfig => {
  const apiKey = stringParam(deployment, 'api_key') ?? envValue(env, 'GEMINI_API_KEY') ?? envValue(env, 'GOOGLE_API_KEY');
  const problems: string[] = [];
  if (apiKey === null) {
    problems.push('no Gemini API key: set litellm_params.api_key (e.g. os.environ/GEMINI_API_KEY), or env GEMINI_API_KEY or GOOGLE_API_KEY');
  }
  const rawBase = stringParam(deployment, 'api_base') ?? DEFAULT_GEMINI_API_BASE;
  if (!/^https?:\/\/[^/\s]+/i.test(rawBase)) problems.push(`api_base '${rawBase}' is not an http(s) URL`);
  if (problems.length > 0 || apiKey === null) throw new ProviderConfigError(problems);
  return Object.freeze({ apiKey, apiBase: trimTrailingSlashes(rawBase).replace(/\/v1beta$/, '') });
};
