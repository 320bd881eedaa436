/**
 * Vertex AI batch prediction end to end with the official `openai` client (issue 10): a managed
 * upload fanned out to two regions (each a fake OAuth2 token endpoint that verifies the RS256 JWT
 * assertion, a fake GCS and a fake Vertex), a batch followed to `completed` with OpenAI output and
 * error files written by the gateway (failed lines with their status, lines the job never answered
 * as batch_expired), cancel, the original input served back, cost booked at Gemini's batch prices,
 * and no gs:// URI, bucket, project or job name in anything the client sees.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPriceTable } from '../../src/domain/cost/price-table.js';
import { startVertexFakes } from '../fakes/fake-vertex.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, contentOf, customIdOf, linesOf, MASTER_KEY, submit, waitFor } from './executor-support.js';

type Fakes = Awaited<ReturnType<typeof startVertexFakes>>;
let central: Fakes;
let europe: Fakes;
let manual: Fakes;
let gw: InProcessGateway;
let openai: OpenAI;

const deployment = (group: string, fakes: Fakes, id: string): string => `  - model_name: ${group}
    litellm_params:
${Object.entries(fakes.params).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`).join('\n')}
    model_info: { id: ${id} }
`;

const yaml = (): string => `model_list:
${deployment('gemini', central, 'vertex-us')}${deployment('gemini', europe, 'vertex-eu')}${deployment('gemini-manual', manual, 'vertex-manual')}general_settings:
  master_key: ${MASTER_KEY}
  batch_poll_min_interval_seconds: 0.001
`;

const seenText: string[] = [];
const noRawIds = (): void => {
  const all = seenText.join('\n');
  expect(all).not.toMatch(/gs:\/\/|batchgate-test-bucket|batchPredictionJobs|projects\//);
};

/** The line number a Vertex request carries, from the text the test put in it. */
const indexOf = (request: Record<string, unknown>): number => Number(/line (\d+)/.exec(JSON.stringify(request))?.[1] ?? -1);

beforeAll(async () => {
  central = await startVertexFakes({ location: 'us-central1', autoRun: true });
  europe = await startVertexFakes({ location: 'europe-west4', autoRun: true });
  manual = await startVertexFakes({ location: 'us-east4' });
  gw = await startGateway({ yaml: yaml() });
  openai = client(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([central?.close(), europe?.close(), manual?.close()]);
});

describe('Vertex AI batches through the OpenAI API', () => {
  it('fans a managed upload out to two regions and runs the batch to completed with OpenAI files', async () => {
    const content = chatLines(30, 'gemini');
    const batch = await submit(openai, content, 'gemini');
    seenText.push(JSON.stringify(batch));
    for (const fakes of [central, europe]) {
      const inputs = [...fakes.gcs.objects.values()].filter((o) => o.name.endsWith('.jsonl'));
      expect(inputs).toHaveLength(1);
      const first = JSON.parse(inputs[0]!.data.toString('utf8').split('\n')[0]!) as { request: Record<string, any> };
      expect(first.request).toMatchObject({ contents: [{ role: 'user', parts: [{ text: contentOf(0) }] }], generationConfig: { maxOutputTokens: 5 }, labels: { batchgate_line: '1' } });
    }
    const { batch: done, seen } = await waitFor(openai, batch.id);
    seenText.push(...seen.map((b) => JSON.stringify(b)));
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
    const output = await linesOf(openai, done.output_file_id);
    seenText.push(JSON.stringify(output));
    expect(output.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => customIdOf(i)).sort());
    expect(output.find((l) => l.custom_id === customIdOf(4))?.response?.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: `echo: ${contentOf(4)}` }, finish_reason: 'stop' }],
    });
    expect(await (await openai.files.content(batch.input_file_id)).text()).toBe(content);

    for (let i = 0; i < 20 && (await gw.gateway.store.spend.list({ batchId: batch.id, limit: 1 })).length === 0; i++) await gw.gateway.poller.runOnce();
    const [row, ...more] = await gw.gateway.store.spend.list({ batchId: batch.id, limit: 10 });
    expect(more).toEqual([]);
    const price = builtInPriceTable.lookup('gemini-2.5-flash')!.price;
    const tokens = output.reduce(
      (sum, l) => {
        const u = (l.response?.body as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
        return { p: sum.p + u.prompt_tokens, c: sum.c + u.completion_tokens };
      },
      { p: 0, c: 0 },
    );
    expect(row?.costUsd).toBeCloseTo(tokens.p * price.batchInputPerToken + tokens.c * price.batchOutputPerToken, 9);
    noRawIds();
  });

  it('puts failed lines and lines the job never answered in the error file, each custom_id once', async () => {
    const batch = await submit(openai, chatLines(12, 'gemini-manual'), 'gemini-manual');
    const [job] = [...manual.vertex.jobs.values()].filter((j) => j.state !== 'JOB_STATE_SUCCEEDED' && j.state !== 'JOB_STATE_CANCELLED');
    manual.vertex.finish(job!.id, {
      state: 'JOB_STATE_PARTIALLY_SUCCEEDED',
      fail: (request) => (indexOf(request) === 2 ? '400 Request contains an invalid argument.' : null),
      omit: 3,
      duplicate: true,
    });
    const { batch: done, seen } = await waitFor(openai, batch.id);
    seenText.push(...seen.map((b) => JSON.stringify(b)));
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 12, completed: 8, failed: 4 });
    const output = await linesOf(openai, done.output_file_id);
    const errors = await linesOf(openai, done.error_file_id);
    seenText.push(JSON.stringify(errors));
    expect(output).toHaveLength(8);
    expect(errors.find((l) => l.custom_id === customIdOf(2))).toMatchObject({ response: { status_code: 400 }, error: null });
    expect(errors.filter((l) => l.response === null).map((l) => l.error?.code)).toEqual(['batch_expired', 'batch_expired', 'batch_expired']);
    expect(new Set([...output, ...errors].map((l) => l.custom_id)).size).toBe(12);
    noRawIds();
  });

  it('cancels: the job is cancelled upstream and the batch ends cancelled with the partial output', async () => {
    const batch = await submit(openai, chatLines(6, 'gemini-manual'), 'gemini-manual');
    const cancelling = await openai.batches.cancel(batch.id);
    expect(cancelling.status).toBe('cancelling');
    const job = [...manual.vertex.jobs.values()].find((j) => j.state === 'JOB_STATE_CANCELLING');
    expect(job).toBeDefined();
    manual.vertex.finish(job!.id, { state: 'JOB_STATE_CANCELLED', omit: 4 });
    const { batch: done } = await waitFor(openai, batch.id);
    expect(done.status).toBe('cancelled');
    expect(done.request_counts).toEqual({ total: 6, completed: 2, failed: 4 });
    const errors = await linesOf(openai, done.error_file_id);
    expect(errors.every((l) => l.error?.code === 'batch_cancelled')).toBe(true);
    seenText.push(JSON.stringify(done), JSON.stringify(errors));
    noRawIds();
  });
});
