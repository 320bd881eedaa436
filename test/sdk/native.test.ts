/**
 * The SDK's seed flow on the 'native' providers (Vertex AI, Bedrock, Anthropic, Gemini API):
 * every line is encoded by the gateway's adapter under its line number, the line keys are kept
 * under `stateDir`, and the finished batch's results are joined back to the custom_ids and split
 * into OpenAI output and error files (`<batch id>#output`, `<batch id>#errors`) by the gateway's
 * `collectResults`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createFile, SdkError, type BatchgateClient, type ProviderTarget } from '../../src/sdk/index.js';
import { startFakeAnthropic } from '../fakes/fake-anthropic.js';
import { startBedrockFakes } from '../fakes/fake-bedrock.js';
import { startFakeGemini } from '../fakes/fake-gemini.js';
import { startVertexFakes } from '../fakes/fake-vertex.js';
import { FAST, requestLine, tempStateDir } from './support.js';

const FAIL = 'FAILME';
const failing = (value: unknown): boolean => JSON.stringify(value).includes(FAIL);

interface Started {
  readonly target: ProviderTarget;
  /** Ends the upstream batch: every request answered, those whose text has FAILME failed. */
  finish(ref: string): void;
  close(): Promise<void>;
}

interface NativeCase {
  readonly name: string;
  readonly lines: number;
  start(): Promise<Started>;
}

const withoutModel = (params: Record<string, unknown>): Record<string, unknown> => {
  const { model: _model, ...rest } = params;
  return rest;
};

const CASES: readonly NativeCase[] = [
  {
    name: 'vertex_ai',
    lines: 5,
    start: async () => {
      const fakes = await startVertexFakes({ autoRun: false });
      return {
        target: { provider: 'vertex_ai', model: 'gemini-2.5-flash', ...withoutModel(fakes.params) },
        finish: (ref) => fakes.vertex.finish(ref, { fail: (request) => (failing(request) ? 'Internal error' : null) }),
        close: () => fakes.close(),
      };
    },
  },
  {
    name: 'bedrock',
    // Bedrock's minimum records per job.
    lines: 100,
    start: async () => {
      const fakes = await startBedrockFakes();
      return {
        target: { provider: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', ...fakes.params },
        finish: (ref) => fakes.bedrock.finish(ref, { fail: (r) => (failing(r.modelInput) ? { errorCode: 400, errorMessage: 'Malformed input' } : null) }),
        close: () => fakes.close(),
      };
    },
  },
  {
    name: 'anthropic',
    lines: 5,
    start: async () => {
      const fake = await startFakeAnthropic({ apiKey: 'sk-ant-sdk-0123456789' });
      return {
        target: { provider: 'anthropic', model: 'claude-3-5-haiku-20241022', api_key: 'sk-ant-sdk-0123456789', api_base: fake.url },
        finish: (ref) =>
          fake.finish(ref, (r) => (failing(r.params) ? { type: 'errored', errorType: 'invalid_request_error', message: 'Malformed input' } : { type: 'succeeded' })),
        close: () => fake.close(),
      };
    },
  },
  {
    name: 'gemini',
    lines: 5,
    start: async () => {
      const fake = await startFakeGemini();
      return {
        target: { provider: 'gemini', model: 'gemini-2.5-flash', ...fake.params },
        finish: (ref) => fake.finish(ref, { fail: (request) => (failing(request) ? { code: 400, message: 'Malformed input' } : null) }),
        close: () => fake.close(),
      };
    },
  },
];

let state: Awaited<ReturnType<typeof tempStateDir>>;
beforeAll(async () => {
  state = await tempStateDir();
});
afterAll(() => state?.cleanup());

describe.each(CASES)('$name', (c) => {
  let started: Started;
  let client: BatchgateClient;

  beforeAll(async () => {
    started = await c.start();
    client = createClient(started.target, { stateDir: state.dir, env: {} });
  });
  afterAll(async () => {
    await client?.close();
    await started?.close();
  });

  // custom_ids no native upstream would take as they are: spaces, slashes, unicode, 100 characters.
  const customIdOf = (i: number): string => (i === 0 ? 'a custom id / with slashes' : i === 1 ? 'ünïcödé' : i === 2 ? 'x'.repeat(100) : `req-${i}`);
  const requests = () => Array.from({ length: c.lines }, (_, i) => requestLine(customIdOf(i), 'any-model', i === 3 ? `please ${FAIL}` : `question ${i}`));

  it('runs the seed flow: create file, create batch, waitForBatch, content, list', async () => {
    async function* lines() {
      yield* requests();
    }
    const file = await client.createFile({ file: lines(), filename: 'requests.jsonl' });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl' });

    const batch = await client.createBatch({ input_file_id: file.id, endpoint: '/v1/chat/completions', metadata: { run: c.name } });
    expect(batch).toMatchObject({ object: 'batch', input_file_id: file.id, output_file_id: null, error_file_id: null });
    expect(['validating', 'in_progress']).toContain(batch.status);

    const before = await client.retrieveBatch(batch.id);
    expect(before.status).not.toBe('completed');
    started.finish(batch.id);

    const done = await client.waitForBatch(batch.id, FAST);
    expect(done).toMatchObject({
      id: batch.id,
      status: 'completed',
      input_file_id: file.id,
      output_file_id: `${batch.id}#output`,
      error_file_id: `${batch.id}#errors`,
      request_counts: { total: c.lines, completed: c.lines - 1, failed: 1 },
    });
    expect(done.usage?.total_tokens ?? 0).toBeGreaterThan(0);

    const output: Array<{ custom_id: string; response: { status_code: number; body: { object: string } } }> = [];
    for await (const line of (await client.fileContent(done.output_file_id ?? '')).lines<(typeof output)[number]>()) output.push(line);
    expect(output.map((l) => l.custom_id).sort()).toEqual(requests().map((r) => r.custom_id as string).filter((id) => id !== customIdOf(3)).sort());
    expect(output.every((l) => l.response.status_code === 200 && l.response.body.object === 'chat.completion')).toBe(true);

    const errors = (await (await client.fileContent(done.error_file_id ?? '')).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ custom_id: customIdOf(3), response: { status_code: expect.any(Number) } });

    const outputFile = await client.retrieveFile(done.output_file_id ?? '');
    expect(outputFile).toMatchObject({ id: `${batch.id}#output`, purpose: 'batch_output', status: 'processed' });
    expect(outputFile.bytes).toBeGreaterThan(0);

    // Retrieving again reads the collected results; nothing is collected twice.
    expect(await client.retrieveBatch(batch.id)).toEqual(done);

    const listed = await client.listBatches({ limit: 100 });
    expect(listed.data.map((b) => b.id)).toContain(batch.id);
    expect(listed.data.find((b) => b.id === batch.id)?.output_file_id).toBe(`${batch.id}#output`);
    const files = await client.listFiles();
    expect(files.object).toBe('list');
  });

  it('refuses a batch on an input whose line keys are not in the stateDir', async () => {
    const file = await client.createFile({ file: requests(), filename: 'requests.jsonl' });
    const elsewhere = await tempStateDir();
    try {
      const other = createClient(started.target, { stateDir: elsewhere.dir, env: {} });
      const err = await other.createBatch({ input_file_id: file.id, endpoint: '/v1/chat/completions' }).catch((e: unknown) => e);
      await other.close();
      expect(err).toBeInstanceOf(SdkError);
      expect(err).toMatchObject({ code: 'invalid_request', param: 'input_file_id' });
    } finally {
      await elsewhere.cleanup();
    }
  });

  it('refuses a file with a repeated custom_id, and an invalid line, naming the line', async () => {
    const repeated = [...requests(), requestLine(customIdOf(1))];
    await expect(client.createFile({ file: repeated })).rejects.toMatchObject({ name: 'SdkError', code: 'duplicate_custom_id' });
    await expect(createFile(started.target, { file: Buffer.from('{"custom_id": "a", "method": "GET"}\n') }, { stateDir: state.dir, env: {} })).rejects.toMatchObject({
      name: 'SdkError',
      code: 'invalid_request',
      message: expect.stringContaining('Line 1'),
    });
  });
});

describe('cancel on a native provider (anthropic)', () => {
  it('cancels, and every request that never ran is in the error file as batch_cancelled', async () => {
    const fake = await startFakeAnthropic({ apiKey: 'sk-ant-cancel-0123456789' });
    const client = createClient({ provider: 'anthropic', model: 'claude-3-5-haiku-20241022', api_key: 'sk-ant-cancel-0123456789', api_base: fake.url }, { stateDir: state.dir, env: {} });
    try {
      const file = await client.createFile({ file: [requestLine('c-1'), requestLine('c-2')] });
      const batch = await client.createBatch({ input_file_id: file.id, endpoint: '/v1/chat/completions' });
      const cancelling = await client.cancelBatch(batch.id);
      expect(['cancelling', 'cancelled']).toContain(cancelling.status);
      fake.finish(batch.id);
      const done = await client.waitForBatch(batch.id, FAST);
      expect(done).toMatchObject({ status: 'cancelled', output_file_id: null, error_file_id: `${batch.id}#errors`, request_counts: { total: 2, completed: 0, failed: 2 } });
      const errors: Array<{ custom_id: string; response: unknown; error: { code: string } | null }> = [];
      for await (const line of (await client.fileContent(done.error_file_id ?? '')).lines<(typeof errors)[number]>()) errors.push(line);
      expect(errors.map((l) => l.custom_id).sort()).toEqual(['c-1', 'c-2']);
      expect(errors.every((l) => l.response === null && l.error?.code === 'batch_cancelled')).toBe(true);
      await expect(client.fileContent(`${batch.id}#output`)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
