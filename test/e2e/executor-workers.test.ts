/**
 * Scale-out of gateway-executed batches (issue 9, point 6): `serve --no-worker` takes the
 * requests and two `batchgate worker` processes on one PostgreSQL, with the S3-compatible blob
 * store, share one batch through leased chunks. Each worker sends part of it (the fake tells them
 * apart by `x-batchgate-worker`), and no line is sent or written twice.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat } from '../fakes/fake-chat.js';
import { FakeS3 } from '../fakes/fake-s3.js';
import { spawnGateway, spawnWorker, tempDir, type SpawnedGateway, type SpawnedWorker, type TempDir } from '../helpers/gateway.js';
import { createThrowawaySchema, postgresForTests, type ThrowawaySchema } from '../helpers/postgres.js';
import { chatLines, client, expectEachOnce, expectEchoes, executedYaml, linesOf, submit, waitFor } from '../integration/executor-support.js';

const postgres = await postgresForTests();
if (!postgres.available) console.warn(`[executor workers] PostgreSQL tests SKIPPED: ${postgres.reason}`);

const LINES = 1000;

describe.runIf(postgres.available)('two worker processes on PostgreSQL and S3 share one executed batch', () => {
  let chat: FakeChat;
  let s3: FakeS3;
  let dir: TempDir;
  let schema: ThrowawaySchema;
  let api: SpawnedGateway | undefined;
  const workers: SpawnedWorker[] = [];

  beforeAll(async () => {
    if (!postgres.available) return;
    chat = await startFakeChat({ apiKey: 'sk-upstream', latency: [5, 15] });
    s3 = await new FakeS3({ bucket: 'batchgate-test' }).start();
    dir = await tempDir('bg-exec-workers-');
    schema = await createThrowawaySchema(postgres.url);
    const databaseUrl = new URL(postgres.url);
    databaseUrl.searchParams.set('options', `-c search_path=${schema.name}`);
    const extra = `  database_url: "${databaseUrl.toString()}"
  executor_concurrency: 2
  blob_storage:
    type: s3
    endpoint: ${s3.endpoint}
    bucket: ${s3.bucket}
    region: ${s3.region}
    prefix: exec/
    access_key_id: ${s3.accessKeyId}
    secret_access_key: ${s3.secretAccessKey}
`;
    const configPath = join(dir.path, 'config.yaml');
    await writeFile(configPath, executedYaml(chat.url, extra).replace('executor_chunk_lines: 10', 'executor_chunk_lines: 50'));
    // Each process has its own data dir: nothing but PostgreSQL and S3 is shared.
    api = await spawnGateway({ configPath, dataDir: join(dir.path, 'api'), args: ['--no-worker'] });
    workers.push(await spawnWorker({ configPath, dataDir: join(dir.path, 'w1') }));
    workers.push(await spawnWorker({ configPath, dataDir: join(dir.path, 'w2') }));
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await chat?.close();
    await s3?.close();
    await schema?.drop();
    await dir?.remove();
  });

  it('each worker executes part of the batch, with no line sent or written twice', async () => {
    const openai = client(api?.url ?? '');
    const created = await submit(openai, chatLines(LINES));
    const { batch } = await waitFor(openai, created.id, undefined, 120_000);
    expect(batch.status, workers.map((w) => w.output()).join('\n')).toBe('completed');
    expect(batch.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    const output = await linesOf(openai, batch.output_file_id);
    expectEachOnce(output, [], LINES);
    expectEchoes(output);

    const bySender = chat.countByHeader('x-batchgate-worker');
    expect(bySender.size).toBe(2);
    for (const count of bySender.values()) expect(count).toBeGreaterThan(0);
    expect([...bySender.values()].reduce((a, b) => a + b, 0)).toBe(LINES);
    expect(chat.duplicates()).toEqual([]);
    // The input and the output live in the bucket, under the configured prefix.
    const keys = [...s3.objects.keys()];
    expect(keys.some((k) => k.startsWith('exec/inputs/'))).toBe(true);
    expect(keys.some((k) => k.startsWith('exec/outputs/'))).toBe(true);
    // The API process sent nothing itself.
    expect(api?.output()).not.toContain('executed batch finished');
  }, 180_000);
});
