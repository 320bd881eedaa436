/**
 * Gateway-executed batches (issue 9) with the official client against a fake OpenAI-compatible
 * server that has no batch API: the lines run through the gateway and the client sees exactly
 * what OpenAI would show — live counts, the output and error files in OpenAI's line format, and
 * cancel, expiry and budget stops with every custom_id exactly once.
 */
import { Readable } from 'node:stream';
import OpenAI, { toFile } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat } from '../fakes/fake-chat.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import {
  chatLines,
  client,
  contentOf,
  expectEachOnce,
  expectEchoes,
  executedYaml,
  linesOf,
  withSecondDeployment,
  submit,
  waitFor,
} from './executor-support.js';

describe('gateway-executed batches', () => {
  let chat: FakeChat;
  let gw: InProcessGateway | undefined;

  beforeEach(async () => {
    chat = await startFakeChat({ apiKey: 'sk-upstream' });
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await chat.close();
  });

  it('runs every line against the server and serves OpenAI-format output, with counts moving live', async () => {
    chat.setLatency([2, 10]);
    gw = await startGateway({ yaml: executedYaml(chat.url) });
    const openai = client(gw.url);
    const created = await submit(openai, chatLines(60));
    expect(created.status).toBe('validating');
    expect(created.id).toMatch(/^batch_[0-9A-Za-z]{24}$/);

    const { batch, seen } = await waitFor(openai, created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 60, completed: 60, failed: 0 });
    expect(batch.error_file_id).toBeNull();
    expect(batch.in_progress_at).not.toBeNull();
    expect(batch.finalizing_at).not.toBeNull();
    expect(batch.completed_at).not.toBeNull();
    // Somewhere along the way the client saw a partial count.
    expect(seen.some((b) => b.status === 'in_progress' && b.request_counts !== undefined && b.request_counts.completed > 0 && b.request_counts.completed < 60)).toBe(true);

    const output = await linesOf(openai, batch.output_file_id);
    expect(output).toHaveLength(60);
    expectEchoes(output);
    expectEachOnce(output, [], 60);
    // Each line went to the server once, with the upstream model and the upstream key.
    expect(chat.duplicates()).toEqual([]);
    expect(chat.log.filter((r) => r.route === '/chat/completions')).toHaveLength(60);
    expect(chat.log.every((r) => r.body?.['model'] === 'llama-3-8b')).toBe(true);
    expect(chat.maxConcurrent).toBeLessThanOrEqual(4);

    const outputFile = await openai.files.retrieve(batch.output_file_id ?? '');
    expect(outputFile).toMatchObject({ purpose: 'batch_output', object: 'file' });
    expect(outputFile.id).toMatch(/^file-/);
  });

  it('retries 429, 5xx and resets, and files 4xx answers and exhausted retries in the error file', async () => {
    gw = await startGateway({ yaml: executedYaml(chat.url) });
    const openai = client(gw.url);
    const text = (i: number) => (r: { body: Record<string, unknown> | null }) => JSON.stringify(r.body).includes(`"${contentOf(i)}"`);
    chat.setFault({ when: text(1), action: { status: 400, body: { error: { message: 'bad prompt', type: 'invalid_request_error', param: null, code: null } } } });
    chat.setFault({ when: text(2), firstAttempts: 1, action: { status: 429, retryAfterSeconds: 0 } });
    chat.setFault({ when: text(3), firstAttempts: 2, action: { status: 503 } });
    chat.setFault({ when: text(4), firstAttempts: 1, action: 'reset' });
    chat.setFault({ when: text(5), action: { status: 500 } });
    const created = await submit(openai, chatLines(8));
    const { batch } = await waitFor(openai, created.id);

    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 8, completed: 6, failed: 2 });
    const output = await linesOf(openai, batch.output_file_id);
    const errors = await linesOf(openai, batch.error_file_id);
    expectEachOnce(output, errors, 8);
    expectEchoes(output);
    const byId = new Map(errors.map((l) => [l.custom_id, l]));
    expect(byId.get('req-1')).toMatchObject({ error: null, response: { status_code: 400, body: { error: { message: 'bad prompt' } } } });
    expect(byId.get('req-5')).toMatchObject({ error: null, response: { status_code: 500 } });
    // The 400 is final; the 500 was tried 1 + 3 times (executor_max_retries default 3).
    expect(chat.requestsFor(contentOf(1))).toHaveLength(1);
    expect(chat.requestsFor(contentOf(5))).toHaveLength(4);
    expect(chat.requestsFor(contentOf(3))).toHaveLength(3);
  });

  it('cancel stops dispatch, lets in-flight requests finish, and files the rest as batch_cancelled', async () => {
    chat.setLatency(40);
    gw = await startGateway({ yaml: executedYaml(chat.url) });
    const openai = client(gw.url);
    const created = await submit(openai, chatLines(200));
    await waitFor(openai, created.id, (b) => (b.request_counts?.completed ?? 0) >= 8);
    // The executor still reads the input: it cannot be deleted under it.
    await expect(openai.files.delete(created.input_file_id)).rejects.toMatchObject({ status: 400, param: 'file_id' });
    const cancelling = await openai.batches.cancel(created.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const { batch } = await waitFor(openai, created.id);

    expect(batch.status).toBe('cancelled');
    expect(batch.cancelled_at).not.toBeNull();
    const output = await linesOf(openai, batch.output_file_id);
    const errors = await linesOf(openai, batch.error_file_id);
    expectEachOnce(output, errors, 200);
    expectEchoes(output);
    expect(output.length).toBeGreaterThanOrEqual(8);
    expect(output.length).toBeLessThan(200);
    expect(errors.every((l) => l.response === null && l.error?.code === 'batch_cancelled')).toBe(true);
    expect(batch.request_counts).toEqual({ total: 200, completed: output.length, failed: errors.length });
    // Nothing was dispatched after the cancel beyond what was already in flight (4 at most).
    const sent = chat.log.filter((r) => r.route === '/chat/completions').length;
    expect(sent).toBe(output.length);
    // Once it has ended, the input goes like any file.
    expect(await openai.files.delete(created.input_file_id)).toMatchObject({ deleted: true });
  });

  it('a small batch created while a large one runs does not wait for it (chunks are shared round-robin)', async () => {
    chat.setLatency(20);
    gw = await startGateway({ yaml: executedYaml(chat.url, '  executor_concurrency: 1\n') });
    const openai = client(gw.url);
    const large = await submit(openai, chatLines(300));
    await waitFor(openai, large.id, (b) => (b.request_counts?.completed ?? 0) >= 10);
    const small = await submit(openai, chatLines(10, 'local', 1000));
    const { batch } = await waitFor(openai, small.id);
    expect(batch.status).toBe('completed');
    const meanwhile = await openai.batches.retrieve(large.id);
    expect(meanwhile.status).toBe('in_progress');
    expect(meanwhile.request_counts?.completed ?? 0).toBeLessThan(300);
    await openai.batches.cancel(large.id);
    await waitFor(openai, large.id);
  });

  it('the completion window ends the batch expired, with partial output', async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    chat.setLatency(30);
    gw = await startGateway({ yaml: executedYaml(chat.url), clock });
    const openai = client(gw.url);
    const created = await submit(openai, chatLines(150));
    await waitFor(openai, created.id, (b) => (b.request_counts?.completed ?? 0) >= 5);
    offset = 25 * 3600 * 1000;
    const { batch } = await waitFor(openai, created.id);

    expect(batch.status).toBe('expired');
    expect(batch.expired_at).not.toBeNull();
    const output = await linesOf(openai, batch.output_file_id);
    const errors = await linesOf(openai, batch.error_file_id);
    expectEachOnce(output, errors, 150);
    expect(output.length).toBeGreaterThanOrEqual(5);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((l) => l.response === null && l.error?.code === 'batch_expired')).toBe(true);
  });

  it('a key whose budget is reached mid-batch stops it, the rest filed as budget_exceeded, and the cost is booked', async () => {
    chat.setLatency(5);
    // The fake counts words: "line <i>" is 2 prompt tokens, "echo: line <i>" 3 completion tokens,
    // so each request costs 2 × 0.001 + 3 × 0.001 = $0.005 at these (undiscounted) prices.
    const yaml = executedYaml(chat.url).replace(
      'max_parallel_requests: 4',
      'max_parallel_requests: 1\n      input_cost_per_token: 0.001\n      output_cost_per_token: 0.001',
    );
    gw = await startGateway({ yaml, worker: true });
    const keyResponse = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-master-executor', 'content-type': 'application/json' },
      body: JSON.stringify({ max_budget: 0.05 }),
    });
    const { key } = (await keyResponse.json()) as { key: string };
    const openai = client(gw.url, key);
    const created = await submit(openai, chatLines(100));
    const { batch } = await waitFor(openai, created.id);

    expect(batch.status).toBe('failed');
    expect(batch.errors?.data?.[0]?.code).toBe('budget_exceeded');
    const output = await linesOf(openai, batch.output_file_id);
    const errors = await linesOf(openai, batch.error_file_id);
    expectEachOnce(output, errors, 100);
    expect(output.length).toBeGreaterThanOrEqual(10);
    expect(output.length).toBeLessThan(100);
    expect(errors.every((l) => l.error?.code === 'budget_exceeded' && l.response === null)).toBe(true);
    // The lifecycle worker books the batch once, at the undiscounted price of what ran.
    let spend = 0;
    for (let i = 0; i < 100 && spend === 0; i++) {
      const info = (await (await fetch(`${gw.url}/key/info?key=${key}`, { headers: { authorization: 'Bearer sk-master-executor' } })).json()) as { info: { spend: number } };
      spend = info.info.spend;
      if (spend === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(spend).toBeCloseTo(output.length * 0.005, 6);
  });

  it('spreads the lines of a group over its executing deployments by weight', async () => {
    const other = await startFakeChat({ apiKey: 'sk-upstream' });
    try {
      const yaml = withSecondDeployment(executedYaml(chat.url), other.url, ['weight: 3']);
      gw = await startGateway({ yaml });
      const openai = client(gw.url);
      const created = await submit(openai, chatLines(80));
      const { batch } = await waitFor(openai, created.id);
      expect(batch.request_counts).toEqual({ total: 80, completed: 80, failed: 0 });
      const first = chat.log.filter((r) => r.route !== null).length;
      const second = other.log.filter((r) => r.route !== null).length;
      expect(first + second).toBe(80);
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first);
      expectEchoes(await linesOf(openai, batch.output_file_id));
    } finally {
      await gw?.close();
      gw = undefined;
      await other.close();
    }
  });

  it('closes at once after a client downloaded a large output file over a pooled connection', async () => {
    gw = await startGateway({ yaml: executedYaml(chat.url) });
    const openai = client(gw.url);
    const created = await submit(openai, chatLines(300));
    const { batch } = await waitFor(openai, created.id);
    // More than one read buffer: Node kept such a connection "busy" and close() waited for ever.
    expect((await linesOf(openai, batch.output_file_id)).length).toBe(300);
    const closing = gw.close();
    gw = undefined;
    const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000))]);
    expect(outcome).toBe('closed');
  });

  it('runs a batch on a mock_response deployment with no upstream at all', async () => {
    gw = await startGateway({
      yaml: `
model_list:
  - model_name: local
    litellm_params:
      model: openai/gpt-4o-mini
      mock_response: "Hello from batchgate"
general_settings:
  master_key: sk-master-executor
`,
    });
    const openai = client(gw.url);
    const created = await submit(openai, chatLines(5));
    const { batch } = await waitFor(openai, created.id);
    expect(batch.status).toBe('completed');
    const output = await linesOf(openai, batch.output_file_id);
    expect(output).toHaveLength(5);
    for (const line of output) {
      const choices = line.response?.body['choices'] as Array<{ message: { content: string } }>;
      expect(choices[0]?.message.content).toBe('Hello from batchgate');
    }
    expect(chat.log).toHaveLength(0);
  });

  it('runs /v1/embeddings and /v1/responses batches', async () => {
    gw = await startGateway({ yaml: executedYaml(chat.url) });
    const openai = client(gw.url);
    for (const [endpoint, body] of [
      ['/v1/embeddings', (i: number) => ({ model: 'local', input: contentOf(i) })],
      ['/v1/responses', (i: number) => ({ model: 'local', input: contentOf(i) })],
    ] as const) {
      const text = Array.from({ length: 4 }, (_, i) => JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: endpoint, body: body(i) })).join('\n');
      const file = await openai.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch', target_model_names: 'local' } as OpenAI.FileCreateParams);
      const created = await openai.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
      const { batch } = await waitFor(openai, created.id);
      expect(batch).toMatchObject({ status: 'completed', endpoint, request_counts: { total: 4, completed: 4, failed: 0 } });
      const output = await linesOf(openai, batch.output_file_id);
      expectEachOnce(output, [], 4);
      expect(output[0]?.response?.body['object']).toBe(endpoint === '/v1/embeddings' ? 'list' : 'response');
    }
    expect(chat.log.map((r) => r.route).sort()).toEqual([...Array(4).fill('/embeddings'), ...Array(4).fill('/responses')]);
  });

  it('a bad line refused at upload never reaches the executor; one in the stored input fails the batch in validating', async () => {
    gw = await startGateway({ yaml: executedYaml(chat.url) });
    const openai = client(gw.url);
    const streaming = JSON.stringify({ custom_id: 'req-2', method: 'POST', url: '/v1/chat/completions', body: { model: 'local', messages: [], stream: true } });
    // The upload checks every line already (stricter and earlier than OpenAI, which fails the batch).
    await expect(submit(openai, `${chatLines(2)}${streaming}\n`)).rejects.toMatchObject({ status: 400, param: 'body.stream' });

    // The executor checks the whole input again before it sends anything: an input blob that
    // changed behind the gateway's back (a restored backup, a hand edit) fails the batch there.
    const file = await openai.files.create({ file: await toFile(Buffer.from(chatLines(3)), 'in.jsonl'), purpose: 'batch', target_model_names: 'local' } as OpenAI.FileCreateParams);
    const [copy] = await gw.gateway.store.files.copies(file.id);
    await gw.gateway.blobs.put(copy?.upstreamRef ?? '', Readable.from([`${chatLines(2)}${streaming}\n{"custom_id": "req-0"}\n`]), { signal: new AbortController().signal });
    const created = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const { batch } = await waitFor(openai, created.id);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).not.toBeNull();
    expect(batch.errors?.data).toEqual([
      expect.objectContaining({ code: 'invalid_value', line: 3, param: 'body.stream' }),
      expect.objectContaining({ code: 'invalid_method', line: 4, param: 'method' }),
    ]);
    expect(batch.output_file_id).toBeNull();
    expect(chat.log).toHaveLength(0);

    // An input blob that is gone fails the batch at once instead of being retried for ever.
    const lost = await openai.files.create({ file: await toFile(Buffer.from(chatLines(3)), 'in.jsonl'), purpose: 'batch', target_model_names: 'local' } as OpenAI.FileCreateParams);
    const [lostCopy] = await gw.gateway.store.files.copies(lost.id);
    await gw.gateway.blobs.delete(lostCopy?.upstreamRef ?? '');
    const orphan = await openai.batches.create({ input_file_id: lost.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const { batch: failed } = await waitFor(openai, orphan.id);
    expect(failed).toMatchObject({ status: 'failed', errors: { data: [expect.objectContaining({ code: 'input_file_missing', param: 'input_file_id' })] } });
  });

  it('executes hosted_vllm/ and ollama/ deployments, whose api_base may leave out /v1', async () => {
    const base = chat.url.replace(/\/v1$/, '');
    gw = await startGateway({
      yaml: `
model_list:
  - model_name: vllm
    litellm_params: { model: hosted_vllm/meta-llama/Llama-3.1-8B-Instruct, api_base: ${base}, api_key: sk-upstream }
  - model_name: ollama
    litellm_params: { model: ollama/llama3.1, api_base: ${chat.url}, api_key: sk-upstream }
general_settings:
  master_key: sk-master-executor
`,
    });
    const openai = client(gw.url);
    for (const group of ['vllm', 'ollama']) {
      const created = await submit(openai, chatLines(3, group), group);
      const { batch } = await waitFor(openai, created.id);
      expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
      expectEchoes(await linesOf(openai, batch.output_file_id));
    }
    expect(chat.log.map((r) => [r.path, r.body?.['model']])).toEqual([
      ...Array(3).fill(['/v1/chat/completions', 'meta-llama/Llama-3.1-8B-Instruct']),
      ...Array(3).fill(['/v1/chat/completions', 'llama3.1']),
    ]);
  });

  it('routes around a failing deployment of the group (health-aware spread)', async () => {
    const broken = await startFakeChat({ apiKey: 'sk-upstream' });
    broken.setFault({ action: { status: 503 } });
    try {
      const yaml = withSecondDeployment(executedYaml(chat.url), broken.url, ['weight: 10', 'max_parallel_requests: 1'], {
        before: 'router_settings:\n  allowed_fails: 2\n  cooldown_time: 60\n',
        settings: '  executor_concurrency: 1\n',
      });
      gw = await startGateway({ yaml });
      const openai = client(gw.url);
      const created = await submit(openai, chatLines(100));
      const { batch } = await waitFor(openai, created.id);
      expect(batch.request_counts).toEqual({ total: 100, completed: 100, failed: 0 });
      expectEchoes(await linesOf(openai, batch.output_file_id));
      // With weight 10 it would take ~90 lines; once it cools down (after 2 failures) it gets none,
      // beyond the few already on their way to it (at most 5 are in flight at once).
      expect(broken.log.length).toBeLessThan(10);
      expect(chat.log.filter((r) => r.answeredWith === 200)).toHaveLength(100);
    } finally {
      await gw?.close();
      gw = undefined;
      await broken.close();
    }
  });
});
