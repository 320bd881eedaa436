/**
 * Which deployments the gateway runs batches for itself (issue 9, point 1): servers with no batch
 * API (`hosted_vllm/`, `ollama/`), any deployment marked `model_info.batch_execution: gateway`
 * (an OpenAI-compatible `api_base` such as llama.cpp, SGLang or TGI), and LiteLLM's
 * `mock_response` deployments, which answer every request with the configured text.
 */
import type { Deployment } from '../deployment.js';

/** Provider kinds that never have a batch API of their own. */
export const GATEWAY_EXECUTED_PROVIDERS: ReadonlySet<string> = new Set(['hosted_vllm', 'ollama']);

export const hasMockResponse = (d: Deployment): boolean => typeof d.params['mock_response'] === 'string';

export function executesInGateway(d: Deployment): boolean {
  if (hasMockResponse(d)) return true;
  const mode = d.info['batch_execution'];
  if (mode === 'gateway') return true;
  if (mode === 'native') return false;
  return GATEWAY_EXECUTED_PROVIDERS.has(d.provider);
}
