/**
 * Anthropic Message Batches end to end with the official `openai` client (issue 11): the gateway
 * keeps the input (Anthropic has no files API) and sends the requests inline at create; custom_ids
 * that do not fit Anthropic's pattern go up under line keys and come back as they were; results
 * (succeeded, errored, canceled, expired) become OpenAI output and error files; cancel; cost at
 * Claude's batch prices; no Anthropic id or key seen by the client.
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPriceTable } from '../../src/domain/cost/price-table.js';
import { FAKE_ANTHROPIC_VERSION, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, contentOf, customIdOf, linesOf, MASTER_KEY, submit, waitFor } from './executor-support.js';

const API_KEY = 'sk-ant-test-0123456789';
const MODEL = 'claude-3-5-haiku-20241022';
let auto: FakeAnthropic;
let manual: FakeAnthropic;
let gw: InProcessGateway;
let openai: OpenAI;

const yaml = (): string => `model_list:
  - model_name: claude
    litellm_params: { model: anthropic/${MODEL}, api_key: ${API_KEY}, api_base: ${auto.url} }
    model_info: { id: anthropic-auto }
  - model_name: claude-manual
    litellm_params: { model: anthropic/${MODEL}, api_key: ${API_KEY}, api_base: ${manual.url} }
    model_info: { id: anthropic-manual }
general_settings:
  master_key: ${MASTER_KEY}
  batch_poll_min_interval_seconds: 0.001
`;

const seenText: string[] = [];
const noRawIds = (): void => expect(seenText.join('\n')).not.toMatch(/msgbatch_|sk-ant-/);

beforeAll(async () => {
  auto = await startFakeAnthropic({ apiKey: API_KEY, autoRun: true });
  manual = await startFakeAnthropic({ apiKey: API_KEY });
  gw = await startGateway({ yaml: yaml() });
  openai = client(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([auto?.close(), manual?.close()]);
});

describe('Anthropic Message Batches through the OpenAI API', () => {
  it('sends the kept input inline at create and completes with OpenAI files, custom_ids as the client wrote them', async () => {
    // One custom_id Anthropic would refuse (spaces, too long), one with unicode.
    const odd = ['a custom id with spaces and / slashes', 'x'.repeat(100), 'ünïcödé-id'];
    const lines = odd.map((customId, i) =>
      JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'claude', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: `odd ${i}` }] } }),
    );
    const content = `${chatLines(20, 'claude')}${lines.join('\n')}\n`;
    const file = await openai.files.create({ file: await toFile(Buffer.from(content), 'requests.jsonl'), purpose: 'batch', target_model_names: 'claude' } as OpenAI.FileCreateParams);
    const batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    seenText.push(JSON.stringify(batch));
    const [sent] = auto.batches();
    expect(sent?.requests).toHaveLength(23);
    expect(sent?.requests[0]).toEqual({
      custom_id: 'line-1',
      params: { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: contentOf(0) }] }] },
    });
    expect(sent?.requests[21]?.params).toMatchObject({ system: 'Be brief.', max_tokens: 4096 });

    const { batch: done, seen } = await waitFor(openai, batch.id);
    seenText.push(...seen.map((b) => JSON.stringify(b)));
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 23, completed: 23, failed: 0 });
    const output = await linesOf(openai, done.output_file_id);
    seenText.push(JSON.stringify(output));
    expect(output.map((l) => l.custom_id).sort()).toEqual([...Array.from({ length: 20 }, (_, i) => customIdOf(i)), ...odd].sort());
    expect(output.find((l) => l.custom_id === odd[0])?.response?.body).toMatchObject({
      object: 'chat.completion',
      model: MODEL,
      choices: [{ message: { role: 'assistant', content: 'echo: odd 0' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, prompt_tokens_details: { cached_tokens: 2 } },
    });
    expect(await (await openai.files.content(file.id)).text()).toBe(content);

    for (let i = 0; i < 20 && (await gw.gateway.store.spend.list({ batchId: batch.id, limit: 1 })).length === 0; i++) await gw.gateway.poller.runOnce();
    const [row] = await gw.gateway.store.spend.list({ batchId: batch.id, limit: 10 });
    const price = builtInPriceTable.lookup(MODEL)!.price;
    const out = output.reduce((n, l) => n + (l.response?.body as { usage: { completion_tokens: number } }).usage.completion_tokens, 0);
    const expected = 23 * 10 * price.batchInputPerToken + 23 * 2 * (price.batchCachedInputPerToken ?? price.batchInputPerToken) + out * price.batchOutputPerToken;
    expect(row?.costUsd).toBeCloseTo(expected, 9);
    noRawIds();
  });

  it('maps errored, canceled and expired results to the error file, each custom_id once', async () => {
    const batch = await submit(openai, chatLines(8, 'claude-manual'), 'claude-manual');
    const [sent] = manual.batches().filter((b) => b.status === 'in_progress');
    manual.finish(sent!.id, (r) => {
      const n = Number(r.custom_id.replace('line-', ''));
      if (n === 2) return { type: 'errored', errorType: 'invalid_request_error', message: 'messages: roles must alternate' };
      if (n === 3) return { type: 'errored', errorType: 'overloaded_error', message: 'Overloaded' };
      if (n >= 7) return { type: 'expired' };
      return { type: 'succeeded' };
    });
    const { batch: done } = await waitFor(openai, batch.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 8, completed: 4, failed: 4 });
    const errors = await linesOf(openai, done.error_file_id);
    seenText.push(JSON.stringify(errors));
    expect(errors.find((l) => l.custom_id === customIdOf(1))).toMatchObject({ response: { status_code: 400, body: { error: { message: 'messages: roles must alternate', type: 'invalid_request_error' } } } });
    expect(errors.find((l) => l.custom_id === customIdOf(2))?.response?.status_code).toBe(529);
    expect(errors.filter((l) => l.response === null).map((l) => l.error?.code)).toEqual(['batch_expired', 'batch_expired']);
    noRawIds();
  });

  it('cancels: Anthropic cancels the rest, and the batch ends cancelled with batch_cancelled lines', async () => {
    const batch = await submit(openai, chatLines(5, 'claude-manual'), 'claude-manual');
    const cancelling = await openai.batches.cancel(batch.id);
    expect(cancelling.status).toBe('cancelling');
    const sent = manual.batches().find((b) => b.status === 'canceling');
    manual.finish(sent!.id);
    const { batch: done } = await waitFor(openai, batch.id);
    expect(done.status).toBe('cancelled');
    expect(done.request_counts).toEqual({ total: 5, completed: 0, failed: 5 });
    const errors = await linesOf(openai, done.error_file_id);
    expect(errors.map((l) => l.error?.code)).toEqual(Array(5).fill('batch_cancelled'));
    expect(FAKE_ANTHROPIC_VERSION).toBe('2023-06-01');
    noRawIds();
  });
});
