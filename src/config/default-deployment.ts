/**
 * With no config file, batchgate serves OpenAI with the key from the environment, like LiteLLM's
 * quick start: one deployment that passes any model through.
 */
import type { Deployment } from '../domain/deployment.js';
import { envValue, type Env } from './env.js';

export const NO_DEPLOYMENTS_WITHOUT_CONFIG = 'no deployments: pass --config <file> or set OPENAI_API_KEY';

export const DEFAULT_DEPLOYMENT_ID = 'openai-default';

/** The default deployment, or undefined when `OPENAI_API_KEY` is not set. */
export function defaultOpenAiDeployment(env: Env): Deployment | undefined {
  const apiKey = envValue(env, 'OPENAI_API_KEY');
  if (apiKey === undefined) return undefined;
  const apiBase = envValue(env, 'OPENAI_BASE_URL') ?? envValue(env, 'OPENAI_API_BASE');
  const organization = envValue(env, 'OPENAI_ORGANIZATION');
  return {
    id: DEFAULT_DEPLOYMENT_ID,
    modelGroup: 'openai',
    provider: 'openai',
    upstreamModel: '*',
    params: {
      api_key: apiKey,
      ...(apiBase === undefined ? {} : { api_base: apiBase }),
      ...(organization === undefined ? {} : { organization }),
    },
    info: {},
    weight: 1,
  };
}
