/**
 * The small parts of the executor: which deployments it runs, its pacing per deployment, the
 * exact output line format, the completion window, mock answers, and undiscounted prices.
 */
import { describe, expect, it } from 'vitest';
import { batchPricesFor } from '../../../src/domain/cost/batch-prices.js';
import type { Deployment } from '../../../src/domain/deployment.js';
import { completionWindowMs } from '../../../src/domain/executor/completion-window.js';
import { DeploymentLimiter } from '../../../src/domain/executor/deployment-limiter.js';
import { executesInGateway } from '../../../src/domain/executor/execution-mode.js';
import { answeredLine, unansweredLine } from '../../../src/domain/executor/output-line.js';
import { mockAnswer } from '../../../src/providers/mock/mock-response.js';

const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'd1',
  modelGroup: 'g',
  provider: 'openai',
  upstreamModel: 'gpt-4o-mini',
  params: {},
  info: {},
  weight: 1,
  ...over,
});

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 30));
  return done;
};

describe('which deployments the gateway executes', () => {
  it('self-hosted kinds, batch_execution: gateway and mock_response; native stays native', () => {
    expect(executesInGateway(deployment())).toBe(false);
    expect(executesInGateway(deployment({ provider: 'hosted_vllm' }))).toBe(true);
    expect(executesInGateway(deployment({ provider: 'ollama' }))).toBe(true);
    expect(executesInGateway(deployment({ info: { batch_execution: 'gateway' } }))).toBe(true);
    expect(executesInGateway(deployment({ provider: 'hosted_vllm', info: { batch_execution: 'native' } }))).toBe(false);
    expect(executesInGateway(deployment({ params: { mock_response: 'hi' } }))).toBe(true);
  });
});

describe('DeploymentLimiter', () => {
  it('holds requests past max_parallel_requests until a slot is released, in order', async () => {
    const limiter = new DeploymentLimiter();
    const d = deployment({ params: { max_parallel_requests: 2 } });
    const signal = new AbortController().signal;
    const a = await limiter.acquire(d, 1, signal);
    await limiter.acquire(d, 1, signal);
    const third = limiter.acquire(d, 1, signal);
    expect(await settled(third)).toBe(false);
    a();
    a(); // releasing twice frees one slot only
    expect(await settled(third)).toBe(true);
    expect(await settled(limiter.acquire(d, 1, signal))).toBe(false);
  });

  it('keeps to rpm and tpm, and an abort frees the waiter', async () => {
    const limiter = new DeploymentLimiter();
    const signal = new AbortController().signal;
    const rpm = deployment({ id: 'rpm', params: { rpm: 2 } });
    (await limiter.acquire(rpm, 1, signal))();
    (await limiter.acquire(rpm, 1, signal))();
    const controller = new AbortController();
    const waiting = limiter.acquire(rpm, 1, controller.signal);
    expect(await settled(waiting)).toBe(false);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');

    const tpm = deployment({ id: 'tpm', info: { tpm: 100 } });
    (await limiter.acquire(tpm, 90, signal))();
    expect(await settled(limiter.acquire(tpm, 50, new AbortController().signal))).toBe(false);
  });
});

describe('output lines', () => {
  it('are OpenAI batch output lines, key order included', () => {
    expect(answeredLine({ customId: 'c1', statusCode: 200, requestId: 'req_1', body: { ok: true } }, 'batch_req_x')).toBe(
      '{"id":"batch_req_x","custom_id":"c1","response":{"status_code":200,"request_id":"req_1","body":{"ok":true}},"error":null}',
    );
    expect(unansweredLine('c2', 'batch_expired', 'late', 'batch_req_y')).toBe(
      '{"id":"batch_req_y","custom_id":"c2","response":null,"error":{"code":"batch_expired","message":"late"}}',
    );
  });
});

describe('completion window', () => {
  it('reads 24h and shorter forms, and falls back to 24 hours', () => {
    expect(completionWindowMs('24h')).toBe(86_400_000);
    expect(completionWindowMs('90s')).toBe(90_000);
    expect(completionWindowMs('soon')).toBe(86_400_000);
  });
});

describe('mock_response answers', () => {
  it('have the shape of each endpoint with a usage', () => {
    const chat = mockAnswer({ url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: 'hello there' }] } }, 'Hi', 1) as Record<string, unknown>;
    expect(chat).toMatchObject({ object: 'chat.completion', model: 'm', choices: [{ message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] });
    expect((chat['usage'] as { total_tokens: number }).total_tokens).toBeGreaterThan(1);
    expect(mockAnswer({ url: '/v1/embeddings', body: { input: 'x' } }, 'Hi', 1)).toMatchObject({ object: 'list', data: [{ object: 'embedding' }] });
    expect(mockAnswer({ url: '/v1/responses', body: { input: 'x' } }, 'Hi', 1)).toMatchObject({ object: 'response', status: 'completed' });
    expect(() => mockAnswer({ url: '/v1/moderations', body: {} }, 'Hi', 1)).toThrow(/cannot execute/);
  });
});

describe('prices of executed batches', () => {
  it('are the standard prices, with no batch discount unless configured', () => {
    const native = batchPricesFor(deployment({ params: { input_cost_per_token: 0.002, output_cost_per_token: 0.004 } }));
    expect(native).toMatchObject({ inputPerToken: 0.001, outputPerToken: 0.002 });
    const executed = batchPricesFor(deployment({ info: { batch_execution: 'gateway' }, params: { input_cost_per_token: 0.002, output_cost_per_token: 0.004 } }));
    expect(executed).toMatchObject({ inputPerToken: 0.002, outputPerToken: 0.004, source: 'override' });
    const discounted = batchPricesFor(deployment({ provider: 'hosted_vllm', info: { input_cost_per_token_batches: 0.0005 } }));
    expect(discounted.inputPerToken).toBe(0.0005);
    const table = batchPricesFor(deployment({ info: { batch_execution: 'gateway' } }));
    const tableNative = batchPricesFor(deployment());
    expect(table.inputPerToken).toBeCloseTo(tableNative.inputPerToken * 2, 12);
  });
});
