/**
 * The seed flow, end to end: the gateway runs as its own process (`node dist/bin/batchgate.js`), the
 * official `openai` client talks to it, and fake OpenAI and Azure upstreams on 127.0.0.1 follow
 * `reference/wire.md`. Upload → create → retrieve until completed → content → list → cancel.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';

const MASTER_KEY = 'sk-master-e2e';

const jsonl = (model: string, n: number): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model, messages: [{ role: 'user', content: `hello ${i}` }] },
    }),
  ).join('\n') + '\n';

describe('seed flow through the gateway process with the official openai client', () => {
  let openaiFake: FakeUpstream;
  let azureFake: FakeUpstream;
  let dir: TempDir;
  let gateway: SpawnedGateway;
  let client: OpenAI;

  beforeAll(async () => {
    openaiFake = await startFakeUpstream({ flavor: 'openai', apiKey: 'sk-upstream-openai' });
    azureFake = await startFakeUpstream({ flavor: 'azure', apiKey: 'azure-key-1', azureStyle: 'classic' });
    dir = await tempDir();
    const configPath = join(dir.path, 'config.yaml');
    await writeFile(
      configPath,
      `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openaiFake.baseUrl}
      api_key: os.environ/UPSTREAM_OPENAI_KEY
  - model_name: gpt-4o-mini-batch
    litellm_params:
      model: azure/gpt-4o-mini-batch-deployment
      api_base: ${azureFake.baseUrl}
      api_key: os.environ/UPSTREAM_AZURE_KEY
      api_version: "2025-04-01-preview"
    model_info:
      id: azure-eu
      mode: batch
general_settings:
  master_key: os.environ/MASTER
litellm_settings:
  enable_loadbalancing_on_batch_endpoints: false
  some_litellm_setting_we_do_not_use: 3
`,
    );
    gateway = await spawnGateway({
      configPath,
      dataDir: join(dir.path, 'data'),
      env: { UPSTREAM_OPENAI_KEY: 'sk-upstream-openai', UPSTREAM_AZURE_KEY: 'azure-key-1', MASTER: MASTER_KEY },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    const code = await gateway?.stop();
    expect(code).toBe(0); // graceful shutdown on SIGTERM
    await openaiFake?.close();
    await azureFake?.close();
    await dir?.remove();
  });

  const runSeedFlow = async (provider: 'openai' | 'azure', model: string, fake: () => FakeUpstream) => {
    const headers = { 'custom-llm-provider': provider };
    const content = jsonl(model, 3);
    const file = await client.files.create({ file: await toFile(Buffer.from(content), 'requests.jsonl'), purpose: 'batch' }, { headers });
    expect(file.id).toMatch(/^file-[0-9A-Za-z]{24}$/);
    expect(fake().files.has(file.id)).toBe(false); // the client sees a gateway id, never the upstream's
    expect(file).toMatchObject({ object: 'file', bytes: Buffer.byteLength(content), filename: 'requests.jsonl', purpose: 'batch' });

    // Retrieve and content need no provider hint: the store knows where the file lives.
    expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: Buffer.byteLength(content) });
    expect(await (await client.files.content(file.id)).text()).toBe(content);

    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { run: provider } });
    expect(batch.id).toMatch(/^batch_[0-9A-Za-z]{24}$/);
    expect(batch).toMatchObject({ input_file_id: file.id, object: 'batch', metadata: { run: provider } });

    let current = batch;
    for (let i = 0; i < 10 && current.status !== 'completed'; i++) current = await client.batches.retrieve(batch.id);
    expect(current.status).toBe('completed');
    expect(current.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(current.output_file_id).toMatch(/^file-/);
    expect(current.input_file_id).toBe(file.id);

    const outputId = current.output_file_id ?? '';
    const output = await (await client.files.content(outputId)).text();
    const lines = output.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number } });
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['req-0', 'req-1', 'req-2']);
    expect(lines.every((l) => l.response.status_code === 200)).toBe(true);
    expect((await client.files.retrieve(outputId)).purpose).toBe('batch_output');

    const listed = await client.batches.list({ limit: 100 });
    expect(listed.data.map((b) => b.id)).toContain(batch.id);

    const second = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const cancelled = await client.batches.cancel(second.id);
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    expect(cancelled.id).toBe(second.id);
    return file.id;
  };

  it('runs against the OpenAI deployment, with that deployment’s own key', async () => {
    await runSeedFlow('openai', 'gpt-4o-mini', () => openaiFake);
    const auths = new Set(openaiFake.requests.map((r) => r.headers.authorization));
    expect(auths).toEqual(new Set(['Bearer sk-upstream-openai']));
  });

  it('runs against the Azure deployment, with api-key and api-version on every call', async () => {
    await runSeedFlow('azure', 'gpt-4o-mini-batch-deployment', () => azureFake);
    expect(azureFake.requests.length).toBeGreaterThan(0);
    for (const r of azureFake.requests) {
      expect(r.headers['api-key']).toBe('azure-key-1');
      expect(r.query['api-version']).toBe('2025-04-01-preview');
      expect(r.path.startsWith('/openai/')).toBe(true);
    }
  });

  it('rejects a missing or wrong key with 401 in the OpenAI envelope, but serves health without one', async () => {
    const anonymous = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(anonymous.files.list()).rejects.toMatchObject({ status: 401, type: 'authentication_error' });
    const res = await fetch(`${gateway.url}/files`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'invalid_api_key' } });
    expect((await fetch(`${gateway.url}/health/liveliness`)).status).toBe(200);
    expect(await (await fetch(`${gateway.url}/health/readiness`)).json()).toMatchObject({ status: 'healthy' });
  });

  it('accepts the api-key header Azure clients send', async () => {
    const res = await fetch(`${gateway.url}/azure/v1/batches`, { headers: { 'api-key': MASTER_KEY } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list', has_more: expect.any(Boolean) });
  });
});
