/**
 * One inference call of a gateway-executed batch (`/chat/completions`, `/completions`,
 * `/embeddings`, `/responses`) on an OpenAI-style API. The answer is handed back whatever its
 * status, because a 4xx belongs in the batch's error file with its body, as OpenAI writes it.
 */
import type { CallOptions, InferenceRequest, InferenceResponse } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { OpenAIStyleApi } from './api.js';

const INFERENCE_PATHS = new Set(['/chat/completions', '/completions', '/embeddings', '/responses']);

const headerValue = (value: string | string[] | undefined): string | null => {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
};

export async function sendInferenceRequest(api: OpenAIStyleApi, request: InferenceRequest, opts: CallOptions): Promise<InferenceResponse> {
  const path = request.url.replace(/^\/v1(?=\/)/, '');
  if (!INFERENCE_PATHS.has(path)) {
    throw new GatewayError('unsupported_operation', `The gateway cannot execute requests for '${request.url}'.`, { param: 'url' });
  }
  const response = await api.http.exchange({
    method: 'POST',
    url: api.inferenceUrl(path),
    headers: { ...api.headers, ...request.headers, 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
    signal: opts.signal,
    operation: `POST ${path}`,
  });
  return {
    statusCode: response.status,
    requestId: headerValue(response.headers['x-request-id']) ?? headerValue(response.headers['apim-request-id']),
    body: response.body,
    retryAfterSeconds: parseRetryAfter(response.headers) ?? null,
  };
}
