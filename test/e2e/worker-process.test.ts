/**
 * API and worker as separate processes (issue 8): `batchgate serve --no-worker` takes the
 * requests, `batchgate worker` alone follows the batches and books their cost, over one store.
 * A batch that completes while no client polls shows completed and booked through the API.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, spawnWorker, tempDir, type SpawnedGateway, type SpawnedWorker, type TempDir } from '../helpers/gateway.js';

const MASTER = 'sk-master-worker-proc';

describe('serve --no-worker and worker as two processes', () => {
  let fake: FakeUpstream;
  let dir: TempDir;
  let api: SpawnedGateway;
  let worker: SpawnedWorker | null = null;

  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-w', autoProgress: false });
    dir = await tempDir('bg-worker-');
    const configPath = join(dir.path, 'config.yaml');
    await writeFile(
      configPath,
      `model_list:
  - model_name: g
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${fake.baseUrl}, api_key: key-w }
    model_info: { id: dep-w }
general_settings:
  master_key: ${MASTER}
  batch_poll_min_interval_seconds: 0.2
  batch_freshness_seconds: 60
`,
    );
    const dataDir = join(dir.path, 'data');
    api = await spawnGateway({ configPath, dataDir, args: ['--no-worker'] });
    worker = await spawnWorker({ configPath, dataDir });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await fake?.close();
    await dir?.remove();
  });

  it('the worker process completes and books a batch nobody polls', async () => {
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [] } });
    const file = await client.files.create({ file: new File([line], 'in.jsonl'), purpose: 'batch' }, { query: { target_model_names: 'g' } });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const [upstream] = [...fake.batches.keys()];
    await fake.advance(upstream ?? '', 'completed');

    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await client.batches.list()).data.find((b) => b.id === batch.id)?.status ?? '';
      if (status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status, worker?.output()).toBe('completed');
    // The status is stored first and the cost booked right after it, so the spend row may trail.
    let logs: unknown[] = [];
    while (Date.now() < deadline) {
      logs = (await (await fetch(`${api.url}/spend/logs?batch_id=${batch.id}`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as unknown[];
      if (logs.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toHaveLength(1);
    // The API process made no poll of its own: every retrieve upstream came from the worker.
    expect(api.output()).not.toContain('batch cost booked');
    expect(worker?.output()).toContain('batch cost booked');
  }, 60_000);

  it('stops gracefully on SIGTERM', async () => {
    expect(await worker?.stop()).toBe(0);
  });
});
