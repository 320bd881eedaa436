/**
 * The README's offline quick start (issue 9, point 8), exactly as a new user runs it: the gateway
 * process on `examples/quickstart.yaml` (mock_response deployments, no credentials), the example
 * requests uploaded with the official client, a batch created and run to completion by the
 * gateway itself, and its output downloaded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';

describe('the offline quick start', () => {
  let dir: TempDir;
  let gateway: SpawnedGateway;

  beforeAll(async () => {
    dir = await tempDir('bg-quickstart-');
    gateway = await spawnGateway({ configPath: join(REPO_ROOT, 'examples/quickstart.yaml'), dataDir: join(dir.path, 'data') });
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.remove();
  });

  it('runs the example batch with no upstream and no credentials', async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-batchgate-quickstart', maxRetries: 0 });
    const requests = await readFile(join(REPO_ROOT, 'examples/requests.jsonl'));
    const file = await openai.files.create({ file: await toFile(requests, 'requests.jsonl'), purpose: 'batch' });
    let batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const deadline = Date.now() + 30_000;
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      batch = await openai.batches.retrieve(batch.id);
    }
    expect(batch.status, gateway.output()).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    const output = (await (await openai.files.content(batch.output_file_id ?? '')).text()).trim().split('\n');
    expect(output.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort()).toEqual(['request-1', 'request-2', 'request-3']);
    expect(output[0]).toContain('Hello from batchgate!');
  });

  it('serves the console from the bundled bin (its assets are found from dist/bin)', async () => {
    const index = await fetch(`${gateway.url}/ui/`);
    expect(index.status, gateway.output()).toBe(200);
    const html = await index.text();
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^assets\//);
    const asset = await fetch(`${gateway.url}/ui/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });
});
