/**
 * Lifecycle workers on one PostgreSQL (issue 8): racing over 200 finished batches, two workers
 * book each exactly once (counted in the spend table), never polling one batch at the same time;
 * first as two stores in this process (each with its own pool), then as two `batchgate worker`
 * processes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnWorker, startGateway, tempDir, type InProcessGateway } from '../helpers/gateway.js';
import { createThrowawaySchema, postgresForTests, type ThrowawaySchema } from '../helpers/postgres.js';

const postgres = await postgresForTests();
if (!postgres.available) console.warn(`[lifecycle postgres] PostgreSQL tests SKIPPED: ${postgres.reason}`);

const MASTER = 'sk-master-lifecycle-pg';
const BATCHES = 200;

/** One deployment on the fake, the store on PostgreSQL (`url` names the schema), and `extra` settings. */
const yamlFor = (fake: FakeUpstream, url: URL, extra: string): string => `model_list:
  - model_name: g
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${fake.baseUrl}, api_key: key-pg }
    model_info: { id: dep-pg }
general_settings:
  master_key: ${MASTER}
  database_url: ${JSON.stringify(url.toString())}
  ${extra}
`;

describe.skipIf(!postgres.available)('two workers on one PostgreSQL', () => {
  let fake: FakeUpstream;
  let schema: ThrowawaySchema;
  let api: InProcessGateway;
  let other: InProcessGateway;
  let yaml: string;

  beforeAll(async () => {
    if (!postgres.available) return;
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-pg', autoProgress: false });
    schema = await createThrowawaySchema(postgres.url);
    const url = new URL(postgres.url);
    url.searchParams.set('options', `-c search_path=${schema.name}`);
    yaml = yamlFor(fake, url, 'batch_poll_min_interval_seconds: 0.001');
    api = await startGateway({ yaml, reconcile: false });
    other = await startGateway({ yaml, reconcile: false });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await other?.close();
    await fake?.close();
    await schema?.drop();
  });

  it('book each of 200 batches exactly once', async () => {
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [] } });
    const file = await client.files.create({ file: new File([line], 'in.jsonl'), purpose: 'batch' }, { query: { target_model_names: 'g' } });
    const ids: string[] = [];
    for (let i = 0; i < BATCHES; i += 20) {
      const made = await Promise.all(
        Array.from({ length: 20 }, () => client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })),
      );
      ids.push(...made.map((b) => b.id));
    }
    for (const upstream of fake.batches.keys()) await fake.advance(upstream, 'completed');
    const retrievesBefore = fake.requests.filter((r) => r.method === 'GET' && /\/batches\/[^/]+$/.test(r.path)).length;

    // Both workers go round until neither finds anything due.
    const work = async (gw: InProcessGateway): Promise<number> => {
      let polled = 0;
      for (let idle = 0; idle < 3; ) {
        const n = await gw.gateway.poller.runOnce();
        polled += n;
        idle = n === 0 ? idle + 1 : 0;
      }
      return polled;
    };
    const [a, b] = await Promise.all([work(api), work(other)]);
    expect(a + b).toBeGreaterThanOrEqual(BATCHES);
    // Both took part (leases split the work rather than one worker doing it all twice).
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);

    // Each batch was read upstream once: no two workers ever polled the same batch.
    const retrieves = fake.requests.filter((r) => r.method === 'GET' && /\/batches\/[^/]+$/.test(r.path)).length - retrievesBefore;
    expect(retrieves).toBe(BATCHES);
    const rows = await api.gateway.store.spend.list({ limit: 1000 });
    expect(rows).toHaveLength(BATCHES);
    expect(new Set(rows.map((r) => r.batchId))).toEqual(new Set(ids));
    const listed = await client.batches.list({ limit: 100 });
    expect(listed.data.every((x) => x.status === 'completed')).toBe(true);
  }, 120_000);
});

describe.skipIf(!postgres.available)('two worker processes on one PostgreSQL', () => {
  it('book each of 200 batches exactly once between them', async () => {
    if (!postgres.available) return;
    const fake = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-pg', autoProgress: false });
    const schema = await createThrowawaySchema(postgres.url);
    const dir = await tempDir('bg-workers-');
    const url = new URL(postgres.url);
    url.searchParams.set('options', `-c search_path=${schema.name}`);
    const yaml = yamlFor(fake, url, 'batch_poll_min_interval_seconds: 0.05\n  worker_concurrency: 4');
    const configPath = join(dir.path, 'config.yaml');
    await writeFile(configPath, yaml);
    const api = await startGateway({ yaml, reconcile: false });
    const workers: Array<Awaited<ReturnType<typeof spawnWorker>>> = [];
    try {
      const client = new OpenAI({ apiKey: MASTER, baseURL: `${api.url}/v1`, maxRetries: 0 });
      const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [] } });
      const file = await client.files.create({ file: new File([line], 'in.jsonl'), purpose: 'batch' }, { query: { target_model_names: 'g' } });
      for (let i = 0; i < BATCHES; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, () => client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })),
        );
      }
      for (const upstream of fake.batches.keys()) await fake.advance(upstream, 'completed');
      workers.push(
        ...(await Promise.all([0, 1].map((i) => spawnWorker({ configPath, dataDir: join(dir.path, `w${i}`) })))),
      );
      const deadline = Date.now() + 60_000;
      let rows = 0;
      while (Date.now() < deadline) {
        rows = (await api.gateway.store.spend.list({ limit: 1000 })).length;
        if (rows >= BATCHES) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 500));
      expect((await api.gateway.store.spend.list({ limit: 1000 })).length).toBe(BATCHES);
      // Each booking is logged by the process that made it: 200 between them, none twice.
      const booked = workers.map((w) => w.output().split('\n').filter((l) => l.includes('batch cost booked')).length);
      expect(booked[0]! + booked[1]!).toBe(BATCHES);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await api.close();
      await fake.close();
      await schema.drop();
      await dir.remove();
    }
  }, 120_000);
});
