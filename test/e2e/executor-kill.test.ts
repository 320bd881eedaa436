/**
 * Crash safety of gateway-executed batches (issue 9, point 6): the gateway process is SIGKILLed
 * ten times at random points of a 5,000-line batch and restarted on the same data dir each time.
 * In the end the output and error files hold every custom_id exactly once, every answer in the
 * output is the fake's answer to that very line, and the only requests the fake saw twice are
 * ones that were in flight at a kill (at most `max_parallel_requests` per kill).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat } from '../fakes/fake-chat.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import { chatLines, client, expectEachOnce, expectEchoes, executedYaml, linesOf, submit, waitFor } from '../integration/executor-support.js';

const LINES = 5000;
const KILLS = 10;
const MAX_PARALLEL = 8;

/** A small seeded RNG (mulberry32), so a failing run can be replayed with its seed. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('a gateway SIGKILLed ten times during a 5,000-line executed batch', () => {
  let chat: FakeChat;
  let dir: TempDir;
  let gateway: SpawnedGateway | null = null;

  beforeAll(async () => {
    chat = await startFakeChat({ apiKey: 'sk-upstream', latency: [2, 12] });
    dir = await tempDir();
  });
  afterAll(async () => {
    await gateway?.stop();
    await chat?.close();
    await dir?.remove();
  });

  it('ends with each custom_id once, bodies intact, and only in-flight requests sent twice', async () => {
    const seed = Number(process.env['BATCHGATE_KILL_SEED'] ?? Date.now() % 100_000);
    const random = seeded(seed);
    const configPath = join(dir.path, 'config.yaml');
    const yaml = executedYaml(chat.url, '  executor_chunk_lines: 100\n  executor_concurrency: 4\n')
      .replace('max_parallel_requests: 4', `max_parallel_requests: ${MAX_PARALLEL}`)
      .replace('  executor_chunk_lines: 10\n', '');
    await writeFile(configPath, yaml);
    const dataDir = join(dir.path, 'data');
    gateway = await spawnGateway({ configPath, dataDir });
    const created = await submit(client(gateway.url), chatLines(LINES));

    let killedWhileRunning = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // A random point of the batch: after 50 to 450 more requests reached the fake.
      const target = chat.log.length + 50 + Math.floor(random() * 400);
      const deadline = Date.now() + 20_000;
      while (chat.log.length < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const before = await client(gateway.url).batches.retrieve(created.id);
      if (before.status === 'in_progress' || before.status === 'validating') killedWhileRunning += 1;
      const exited = new Promise((r) => gateway?.child.once('exit', r));
      gateway.child.kill('SIGKILL');
      await exited;
      gateway = await spawnGateway({ configPath, dataDir });
    }

    const openai = client(gateway.url);
    const { batch } = await waitFor(openai, created.id, undefined, 120_000);
    expect(batch.status, `seed ${seed}`).toBe('completed');
    expect(batch.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    const output = await linesOf(openai, batch.output_file_id);
    const errors = await linesOf(openai, batch.error_file_id);
    expect(errors).toEqual([]);
    expectEachOnce(output, errors, LINES);
    expectEchoes(output);
    expect(killedWhileRunning, `seed ${seed}`).toBeGreaterThanOrEqual(KILLS - 2);
    // Re-sent requests are only those a kill caught in flight.
    const twice = chat.duplicates();
    expect(twice.length, `seed ${seed}: ${twice.length} requests answered twice`).toBeLessThanOrEqual(KILLS * MAX_PARALLEL);
    const answered = chat.log.filter((r) => typeof r.answeredWith === 'number' && r.answeredWith < 300).length;
    expect(answered).toBeLessThanOrEqual(LINES + KILLS * MAX_PARALLEL);
  }, 300_000);
});
