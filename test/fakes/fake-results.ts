/**
 * Output and error lines the fake upstreams write when a batch ends (`reference/wire.md` §2.6,
 * §2.7). Every success uses FAKE_PROMPT_TOKENS / FAKE_COMPLETION_TOKENS so cost tests can predict
 * usage; a line whose `custom_id` starts with `fail` fails with a 400 response.
 */
import { randomId } from './fake-file-store.js';

export const FAKE_PROMPT_TOKENS = 10;
export const FAKE_COMPLETION_TOKENS = 5;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface InputRequest {
  readonly customId: string;
  readonly model: string | null;
}

/** The `custom_id` and `body.model` of an input line, or null for a line that is not a request. */
export const inputRequestOf = (json: unknown): InputRequest | null => {
  if (!isObject(json) || typeof json['custom_id'] !== 'string') return null;
  const body = json['body'];
  const model = isObject(body) && typeof body['model'] === 'string' ? body['model'] : null;
  return { customId: json['custom_id'], model };
};

export const shouldFail = (request: InputRequest): boolean => request.customId.startsWith('fail');

const responseBody = (endpoint: string, model: string, created: number): Record<string, unknown> => {
  if (endpoint.endsWith('/embeddings')) {
    return {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
      model,
      usage: { prompt_tokens: FAKE_PROMPT_TOKENS, total_tokens: FAKE_PROMPT_TOKENS },
    };
  }
  return {
    id: randomId('chatcmpl-'),
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: FAKE_PROMPT_TOKENS,
      completion_tokens: FAKE_COMPLETION_TOKENS,
      total_tokens: FAKE_PROMPT_TOKENS + FAKE_COMPLETION_TOKENS,
    },
    system_fingerprint: 'fp_fake',
  };
};

export const successLine = (request: InputRequest, endpoint: string, created: number): string =>
  `${JSON.stringify({
    id: randomId('batch_req_'),
    custom_id: request.customId,
    response: { status_code: 200, request_id: randomId('req_'), body: responseBody(endpoint, request.model ?? 'unknown', created) },
    error: null,
  })}\n`;

/** Shape 1 of wire.md §2.7: the request ran and answered 400. */
export const failureLine = (request: InputRequest): string =>
  `${JSON.stringify({
    id: randomId('batch_req_'),
    custom_id: request.customId,
    response: {
      status_code: 400,
      request_id: randomId('req_'),
      body: {
        error: {
          message: `Simulated failure for custom_id '${request.customId}'.`,
          type: 'invalid_request_error',
          param: null,
          code: 'simulated_failure',
        },
      },
    },
    error: null,
  })}\n`;

/** Shape 2 of wire.md §2.7: the request never ran (expired or cancelled batch). */
export const droppedLine = (request: InputRequest, code: 'batch_expired' | 'batch_cancelled'): string =>
  `${JSON.stringify({
    id: randomId('batch_req_'),
    custom_id: request.customId,
    response: null,
    error: {
      code,
      message:
        code === 'batch_expired'
          ? 'This request could not be executed before the completion window expired.'
          : 'This request was not executed because the batch was cancelled.',
    },
  })}\n`;
