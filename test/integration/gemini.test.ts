/**
 * The Gemini Developer API batch mode end to end with the official `openai` client (issue 11):
 * the gateway keeps the input and sends it inline at create (a small file), results come back as
 * OpenAI output and error files, cancel, cost at Gemini's batch prices, and no Gemini batch name
 * or key seen by the client. The Files API path for large inputs is covered in
 * test/providers/gemini with a low threshold.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPriceTable } from '../../src/domain/cost/price-table.js';
import { startFakeGemini, type FakeGemini } from '../fakes/fake-gemini.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, contentOf, customIdOf, linesOf, MASTER_KEY, submit, waitFor } from './executor-support.js';

let auto: FakeGemini;
let manual: FakeGemini;
let gw: InProcessGateway;
let openai: OpenAI;

const deployment = (group: string, fake: FakeGemini, id: string): string => `  - model_name: ${group}
    litellm_params: { model: gemini/gemini-2.5-flash, api_key: ${fake.params.api_key}, api_base: ${fake.params.api_base} }
    model_info: { id: ${id} }
`;

const seenText: string[] = [];
const noRawIds = (): void => expect(seenText.join('\n')).not.toMatch(/batches\/|AIza/);

beforeAll(async () => {
  auto = await startFakeGemini({ autoRun: true });
  manual = await startFakeGemini();
  gw = await startGateway({
    yaml: `model_list:\n${deployment('gemini', auto, 'gemini-auto')}${deployment('gemini-manual', manual, 'gemini-manual')}general_settings:\n  master_key: ${MASTER_KEY}\n  batch_poll_min_interval_seconds: 0.001\n`,
  });
  openai = client(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([auto?.close(), manual?.close()]);
});

describe('Gemini API batches through the OpenAI API', () => {
  it('sends a small input inline and completes with OpenAI files', async () => {
    const content = chatLines(15, 'gemini');
    const batch = await submit(openai, content, 'gemini');
    seenText.push(JSON.stringify(batch));
    const [sent] = auto.batches();
    expect(sent?.fileName).toBeNull();
    expect(sent?.requests).toHaveLength(15);
    expect(JSON.stringify(sent?.requests)).not.toContain('labels');
    const { batch: done, seen } = await waitFor(openai, batch.id);
    seenText.push(...seen.map((b) => JSON.stringify(b)));
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 15, completed: 15, failed: 0 });
    const output = await linesOf(openai, done.output_file_id);
    seenText.push(JSON.stringify(output));
    expect(output.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 15 }, (_, i) => customIdOf(i)).sort());
    expect(output.find((l) => l.custom_id === customIdOf(9))?.response?.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: `echo: ${contentOf(9)}` } }],
    });
    expect(await (await openai.files.content(batch.input_file_id)).text()).toBe(content);

    for (let i = 0; i < 20 && (await gw.gateway.store.spend.list({ batchId: batch.id, limit: 1 })).length === 0; i++) await gw.gateway.poller.runOnce();
    const [row] = await gw.gateway.store.spend.list({ batchId: batch.id, limit: 10 });
    const price = builtInPriceTable.lookup('gemini-2.5-flash')!.price;
    const t = output.reduce(
      (sum, l) => {
        const u = (l.response?.body as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
        return { p: sum.p + u.prompt_tokens, c: sum.c + u.completion_tokens };
      },
      { p: 0, c: 0 },
    );
    expect(row?.costUsd).toBeCloseTo(t.p * price.batchInputPerToken + t.c * price.batchOutputPerToken, 9);
    noRawIds();
  });

  it('puts failed and unanswered requests in the error file, each custom_id once', async () => {
    const batch = await submit(openai, chatLines(6, 'gemini-manual'), 'gemini-manual');
    const sent = manual.batches().find((b) => b.state !== 'BATCH_STATE_SUCCEEDED');
    manual.finish(sent!.name, {
      fail: (_request, key) => (key === '2' ? { code: 3, message: 'Request contains an invalid argument.' } : null),
      omit: (key) => key === '6',
    });
    const { batch: done } = await waitFor(openai, batch.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 6, completed: 4, failed: 2 });
    const errors = await linesOf(openai, done.error_file_id);
    expect(errors.find((l) => l.custom_id === customIdOf(1))).toMatchObject({ response: { status_code: 400 } });
    expect(errors.find((l) => l.custom_id === customIdOf(5))).toMatchObject({ response: null, error: { code: 'batch_expired' } });
    seenText.push(JSON.stringify(errors));
    noRawIds();
  });

  it('cancels', async () => {
    const batch = await submit(openai, chatLines(4, 'gemini-manual'), 'gemini-manual');
    expect((await openai.batches.cancel(batch.id)).status).toBe('cancelling');
    const { batch: done } = await waitFor(openai, batch.id);
    expect(done.status).toBe('cancelled');
    expect(done.request_counts?.total).toBe(4);
    const errors = await linesOf(openai, done.error_file_id);
    expect(errors.every((l) => l.error?.code === 'batch_cancelled')).toBe(true);
    seenText.push(JSON.stringify(done));
    noRawIds();
  });
});
