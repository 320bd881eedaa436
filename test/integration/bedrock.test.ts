/**
 * Bedrock batch inference end to end with the official `openai` client (issue 10): a managed
 * upload fanned out to two regions (each a fake S3 + a fake Bedrock control plane that checks
 * every SigV4 signature), a batch followed to `completed` with OpenAI output and error files
 * written by the gateway, cancel, Bedrock's 100-record minimum checked before placement, the
 * original input served back, the input protected while its batch runs, cost booked at Claude's
 * batch prices, and no ARN, bucket or s3:// URI in anything the client sees.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPriceTable } from '../../src/domain/cost/price-table.js';
import { startBedrockFakes, type BedrockFakes } from '../fakes/fake-bedrock.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, contentOf, customIdOf, linesOf, MASTER_KEY, submit, waitFor } from './executor-support.js';

const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
let us: BedrockFakes;
let eu: BedrockFakes;
let manual: BedrockFakes;
let gw: InProcessGateway;
let openai: OpenAI;

const deployment = (group: string, fakes: BedrockFakes, id: string): string => `  - model_name: ${group}
    litellm_params:
      model: bedrock/${MODEL}
${Object.entries(fakes.params).map(([k, v]) => `      ${k}: "${v}"`).join('\n')}
    model_info: { id: ${id} }
`;

const yaml = (): string => `model_list:
${deployment('claude', us, 'bedrock-us')}${deployment('claude', eu, 'bedrock-eu')}${deployment('claude-manual', manual, 'bedrock-manual')}  - model_name: mixed
    litellm_params: { model: openai/mock-model, mock_response: "mocked" }
    model_info: { id: mock-mixed }
${deployment('mixed', manual, 'bedrock-mixed')}general_settings:
  master_key: ${MASTER_KEY}
  batch_poll_min_interval_seconds: 0.001
`;

/** Everything the client saw, as text, for leak checks. */
const seenText: string[] = [];
const noRawIds = (): void => {
  const all = seenText.join('\n');
  expect(all).not.toMatch(/arn:aws|s3:\/\/|batch-bucket|model-invocation-job/);
};

beforeAll(async () => {
  us = await startBedrockFakes({ region: 'us-east-1', autoRun: true });
  eu = await startBedrockFakes({ region: 'eu-west-1', autoRun: true });
  manual = await startBedrockFakes({ region: 'us-west-2' });
  gw = await startGateway({ yaml: yaml() });
  openai = client(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([us?.close(), eu?.close(), manual?.close()]);
});

describe('Bedrock batches through the OpenAI API', () => {
  it('fans a managed upload out to two regions and runs the batch to completed with OpenAI files', async () => {
    const content = chatLines(120, 'claude');
    const batch = await submit(openai, content, 'claude');
    seenText.push(JSON.stringify(batch));
    // Both regions hold a copy of the file (and only its Bedrock records: recordId, modelInput).
    for (const fakes of [us, eu]) {
      const inputs = [...fakes.s3.objects].filter(([k]) => k.endsWith('.jsonl'));
      expect(inputs).toHaveLength(1);
      const first = JSON.parse(inputs[0]![1].data.toString('utf8').split('\n')[0]!) as { recordId: string; modelInput: Record<string, unknown> };
      expect(first.recordId).toMatch(/^[A-Za-z0-9]{11}$/);
      expect(first.modelInput).toMatchObject({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 5, messages: [{ role: 'user' }] });
      expect(first.modelInput['model']).toBeUndefined();
    }
    const { batch: done, seen } = await waitFor(openai, batch.id);
    seenText.push(...seen.map((b) => JSON.stringify(b)));
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 120, completed: 120, failed: 0 });
    expect(seen.some((b) => b.status === 'in_progress')).toBe(true);
    expect(done.error_file_id).toBeNull();
    const output = await linesOf(openai, done.output_file_id);
    seenText.push(JSON.stringify(output));
    expect(output.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 120 }, (_, i) => customIdOf(i)).sort());
    const line7 = output.find((l) => l.custom_id === customIdOf(7));
    expect(line7?.response?.status_code).toBe(200);
    expect(line7?.response?.body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: `echo: ${contentOf(7)}` }, finish_reason: 'stop' }] });
    // The input reads back as the OpenAI lines that were uploaded, not as Bedrock records.
    expect(await (await openai.files.content(batch.input_file_id)).text()).toBe(content);

    // Booked once, at Claude 3.5 Haiku's batch prices, from the output's usage.
    for (let i = 0; i < 20 && (await gw.gateway.store.spend.list({ batchId: batch.id, limit: 1 })).length === 0; i++) await gw.gateway.poller.runOnce();
    const [row, ...more] = await gw.gateway.store.spend.list({ batchId: batch.id, limit: 10 });
    expect(more).toEqual([]);
    const price = builtInPriceTable.lookup(MODEL)!.price;
    const usage = output.reduce(
      (sum, l) => {
        const u = (l.response?.body as { usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } } }).usage;
        return { p: sum.p + u.prompt_tokens, c: sum.c + u.completion_tokens, k: sum.k + u.prompt_tokens_details.cached_tokens };
      },
      { p: 0, c: 0, k: 0 },
    );
    const expected = (usage.p - usage.k) * price.batchInputPerToken + usage.k * (price.batchCachedInputPerToken ?? price.batchInputPerToken) + usage.c * price.batchOutputPerToken;
    expect(row?.costUsd).toBeCloseTo(expected, 9);
    noRawIds();
  });

  it('refuses a file below Bedrock’s 100-record minimum before anything goes upstream, and places it elsewhere when it can', async () => {
    const objectsBefore = us.s3.objects.size;
    const error = await submit(openai, chatLines(10, 'claude'), 'claude').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('outside_deployment_limits');
    expect((error as Error).message).toContain('at least 100 requests per batch (the file has 10)');
    expect(us.s3.objects.size).toBe(objectsBefore);
    // In a group with a deployment that takes it, the small file goes there only.
    const manualObjects = manual.s3.objects.size;
    const batch = await submit(openai, chatLines(10, 'mixed'), 'mixed');
    expect(manual.s3.objects.size).toBe(manualObjects);
    const { batch: done } = await waitFor(openai, batch.id);
    expect(done.status).toBe('completed');
    expect((await linesOf(openai, done.output_file_id))[0]?.response?.body).toMatchObject({ choices: [{ message: { content: 'mocked' } }] });
  });

  it('cancels: the job is stopped, what ran is in the output, the rest in the error file as batch_cancelled, and failed records keep their status', async () => {
    const batch = await submit(openai, chatLines(100, 'claude-manual'), 'claude-manual');
    // The input cannot be deleted from under a running batch.
    const refused = await openai.files.delete(batch.input_file_id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('invalid_state');

    const cancelling = await openai.batches.cancel(batch.id);
    seenText.push(JSON.stringify(cancelling));
    expect(cancelling.status).toBe('cancelling');
    const [job] = [...manual.bedrock.jobs.values()].filter((j) => j.status === 'Stopping');
    expect(job).toBeDefined();
    // Records 0–59 ran (one of them refused by the model), the rest never did.
    const index = (record: { modelInput: Record<string, unknown> }): number =>
      Number(/line (\d+)/.exec(JSON.stringify(record.modelInput))?.[1] ?? -1);
    manual.bedrock.finish(job!.jobId, {
      status: 'Stopped',
      drop: (r) => index(r) >= 60,
      fail: (r) => (index(r) === 3 ? { errorCode: 400, errorMessage: 'Input is too long for requested model.' } : null),
    });
    const { batch: done, seen } = await waitFor(openai, batch.id);
    seenText.push(...seen.map((b) => JSON.stringify(b)));
    expect(done.status).toBe('cancelled');
    expect(done.request_counts).toEqual({ total: 100, completed: 59, failed: 41 });
    const output = await linesOf(openai, done.output_file_id);
    const errors = await linesOf(openai, done.error_file_id);
    seenText.push(JSON.stringify(errors));
    expect(output).toHaveLength(59);
    expect(errors).toHaveLength(41);
    const failed = errors.find((l) => l.custom_id === customIdOf(3));
    expect(failed).toMatchObject({ response: { status_code: 400, body: { error: { message: 'Input is too long for requested model.' } } }, error: null });
    const never = errors.filter((l) => l.response === null);
    expect(never).toHaveLength(40);
    expect(never.every((l) => l.error?.code === 'batch_cancelled')).toBe(true);
    expect(new Set([...output, ...errors].map((l) => l.custom_id)).size).toBe(100);

    // Once it ended, the input and the result files can be deleted.
    expect((await openai.files.delete(batch.input_file_id)).deleted).toBe(true);
    expect((await openai.files.delete(done.output_file_id!)).deleted).toBe(true);
    await expect(openai.files.content(done.output_file_id!)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    noRawIds();
  });
});
