/**
 * LiteLLM's `mock_response` deployments: every request is answered with the configured text and
 * nothing leaves the machine. With gateway execution this runs whole batches offline (the README's
 * quick start). Answers have OpenAI's shapes and a usage estimated from the text, so cost and
 * budgets can be tried out too.
 */
import { randomBytes } from 'node:crypto';
import type { InferenceRequest, InferenceResponse, ProviderAdapter } from '../../domain/ports/provider-adapter.js';
import { estimateInputTokens } from '../../domain/limits/token-estimate.js';
import { GatewayError } from '../../errors/gateway-error.js';

/** The gateway's own token estimate (the one rate limits charge), at least one. */
const tokensOf = (body: Readonly<Record<string, unknown>>): number => Math.max(1, estimateInputTokens(body));

const id = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;

export function mockAnswer(request: InferenceRequest, text: string, nowSeconds: number): unknown {
  const model = typeof request.body['model'] === 'string' ? request.body['model'] : 'mock';
  const promptTokens = tokensOf(request.body);
  const completionTokens = tokensOf({ prompt: text });
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  switch (request.url) {
    case '/v1/chat/completions':
      return {
        id: id('chatcmpl-'),
        object: 'chat.completion',
        created: nowSeconds,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      };
    case '/v1/completions':
      return { id: id('cmpl-'), object: 'text_completion', created: nowSeconds, model, choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }], usage };
    case '/v1/embeddings':
      return {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0, 0, 0, 0, 0, 0, 0, 0] }],
        model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
    case '/v1/responses':
      return {
        id: id('resp_'),
        object: 'response',
        created_at: nowSeconds,
        status: 'completed',
        model,
        output: [{ type: 'message', id: id('msg_'), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
        usage: { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      };
    default:
      throw new GatewayError('unsupported_operation', `The gateway cannot execute requests for '${request.url}'.`, { param: 'url' });
  }
}

/** The adapter with its inference calls answered locally; file and batch calls are left as they are. */
export function withMockResponse(adapter: ProviderAdapter, text: string): ProviderAdapter {
  const send = async (request: InferenceRequest): Promise<InferenceResponse> => ({
    statusCode: 200,
    requestId: id('req_'),
    body: mockAnswer(request, text, Math.floor(Date.now() / 1000)),
    retryAfterSeconds: null,
  });
  return { ...adapter, probe: async () => {}, sendRequest: (request) => send(request) };
}
