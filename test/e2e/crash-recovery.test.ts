/**
 * Crash recovery (issue 7, "How it is shown"): the gateway process is SIGKILLed at chosen points
 * of a 100 MB fan-out upload and of a batch create, then restarted on the same data dir. Checked
 * against the fakes' own state afterwards: no client-visible object is incomplete, no spool file
 * is left, no upstream copy or batch is left without a gateway record, and a retried create does
 * not run the work twice (cancelled orphan without an Idempotency-Key, adopted one with it).
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeBatch, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import { uploadStreaming, writeLargeBatchFile } from '../helpers/large-batch-file.js';

const MASTER = 'sk-master-crash-0000';
const GROUP = 'gpt-crash';
const FILE_BYTES = 100 * 1024 * 1024;

let a: FakeUpstream;
let b: FakeUpstream;
let dir: TempDir;
let dataDir: string;
let configPath: string;
let bigFile: { path: string; bytes: number };
let gateway: SpawnedGateway | null = null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every file under the spool root, whoever's folder it is in. */
async function spoolFiles(): Promise<{ count: number; bytes: number }> {
  const root = join(dataDir, 'spool');
  let count = 0;
  let bytes = 0;
  for (const folder of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, folder)).catch(() => [])) {
      count += 1;
      bytes += (await stat(join(root, folder, name)).catch(() => ({ size: 0 }))).size;
    }
  }
  return { count, bytes };
}

async function start(): Promise<{ gw: SpawnedGateway; client: OpenAI }> {
  gateway = await spawnGateway({ configPath, dataDir });
  return { gw: gateway, client: new OpenAI({ apiKey: MASTER, baseURL: `${gateway.url}/v1`, maxRetries: 0 }) };
}

async function kill(gw: SpawnedGateway): Promise<void> {
  const exited = new Promise((r) => gw.child.once('exit', r));
  gw.child.kill('SIGKILL');
  await exited;
  gateway = null;
}

const allBatches = (): FakeBatch[] => [...a.batches.values(), ...b.batches.values()];
const live = (batches: readonly FakeBatch[]) => batches.filter((x) => !['cancelling', 'cancelled'].includes(x.status));

beforeAll(async () => {
  a = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-a', autoProgress: false });
  b = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-b', autoProgress: false });
  dir = await tempDir('bg-crash-');
  dataDir = join(dir.path, 'data');
  configPath = join(dir.path, 'config.yaml');
  await writeFile(
    configPath,
    `model_list:
  - model_name: ${GROUP}
    litellm_params: { model: openai/up-a, api_base: ${a.baseUrl}, api_key: key-a }
    model_info: { id: dep-a }
  - model_name: ${GROUP}
    litellm_params: { model: openai/up-b, api_base: ${b.baseUrl}, api_key: key-b }
    model_info: { id: dep-b }
general_settings:
  master_key: ${MASTER}
  pending_grace_seconds: 1
`,
  );
  const path = join(dir.path, 'big.jsonl');
  const written = await writeLargeBatchFile(path, { targetBytes: FILE_BYTES, model: GROUP });
  bigFile = { path, bytes: written.bytes };
}, 120_000);

afterAll(async () => {
  if (gateway !== null) await gateway.stop();
  await Promise.all([a?.close(), b?.close()]);
  await dir?.remove();
});

const managedFields = [
  ['purpose', 'batch'],
  ['target_model_names', GROUP],
] as const;

describe('SIGKILL during a 100 MB fan-out upload', () => {
  it('killed while the body is being spooled: the restart removes the spool file, nothing is stored', async () => {
    const { gw } = await start();
    const upload = uploadStreaming(gw.url, MASTER, bigFile, managedFields).catch((err: unknown) => err);
    await until('the spool to fill', async () => ((await spoolFiles()).bytes > 20 * 1024 * 1024 ? true : undefined));
    await kill(gw);
    await upload;
    // What the dead process left behind, before the restart.
    expect((await spoolFiles()).count).toBe(1);

    const { client } = await start();
    expect(await spoolFiles()).toEqual({ count: 0, bytes: 0 });
    expect((await client.files.list()).data).toEqual([]);
    expect(a.files.size + b.files.size).toBe(0);
  }, 120_000);

  it('killed while the copies are being written upstream: the restart deletes every copy, nothing is visible', async () => {
    if (gateway !== null) await kill(gateway);
    const { gw } = await start();
    // b stores its whole copy and the answer never comes back; a's copy may or may not be recorded.
    const held = new Promise<void>((resolve) => b.holdResponseNext('uploadFile', resolve));
    const upload = uploadStreaming(gw.url, MASTER, bigFile, managedFields).catch((err: unknown) => err);
    await held;
    await until('a to hold its copy', () => (a.files.size === 1 ? true : undefined));
    await kill(gw);
    await upload;
    expect(b.files.size).toBe(1);

    const { client } = await start();
    expect((await spoolFiles()).count).toBe(0);
    // The reconciler (grace 1 s) deletes both copies: the recorded one and the one found by label.
    await until('the copies to be deleted upstream', () => (a.files.size + b.files.size === 0 ? true : undefined)).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${gateway?.output() ?? ''}\nfiles a=${[...a.files.values()].map((f) => f.filename)} b=${[...b.files.values()].map((f) => f.filename)}`);
    });
    expect((await client.files.list()).data).toEqual([]);
  }, 120_000);
});

describe('SIGKILL during a batch create', () => {
  let fileId: string;

  beforeAll(async () => {
    if (gateway === null) await start();
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('target_model_names', GROUP);
    const line = JSON.stringify({ custom_id: 'r1', method: 'POST', url: '/v1/chat/completions', body: { model: GROUP, messages: [] } });
    form.append('file', new Blob([`${line}\n`]), 'small.jsonl');
    const res = await fetch(`${gateway?.url ?? ''}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}` }, body: form });
    expect(res.status).toBe(200);
    fileId = ((await res.json()) as { id: string }).id;
  }, 60_000);

  const body = () => ({ input_file_id: fileId, endpoint: '/v1/chat/completions' as const, completion_window: '24h' as const });

  /** Kills the gateway once whichever deployment got the create has made the batch, unanswered. */
  async function killDuringCreate(send: (client: OpenAI) => Promise<unknown>): Promise<FakeBatch> {
    if (gateway !== null) await kill(gateway);
    const { gw, client } = await start();
    const before = new Set(allBatches().map((x) => x.id));
    const held = new Promise<void>((resolve) => {
      a.holdResponseNext('createBatch', resolve);
      b.holdResponseNext('createBatch', resolve);
    });
    const pending = send(client).catch((err: unknown) => err);
    await held;
    await kill(gw);
    await pending;
    a.clearFaults();
    b.clearFaults();
    const made = allBatches().filter((x) => !before.has(x.id));
    expect(made).toHaveLength(1);
    return made[0] as FakeBatch;
  }

  it('without an Idempotency-Key: the orphan is cancelled after the restart, and the retry runs once', async () => {
    const orphan = await killDuringCreate((client) => client.batches.create(body()));
    const { client } = await start();
    expect((await client.batches.list()).data).toEqual([]);
    await until('the orphan to be cancelled', () => (['cancelling', 'cancelled'].includes(orphan.status) ? true : undefined));
    const retried = await client.batches.create(body());
    expect(retried.id).toMatch(/^batch_/);
    expect((await client.batches.list()).data.map((x) => x.id)).toEqual([retried.id]);
    // Upstream, the only batch that runs is the retried one, and the gateway knows every live one.
    expect(live(allBatches())).toHaveLength(1);
  }, 60_000);

  it('with an Idempotency-Key: the SDK retries through the restart and gets the adopted batch, created once', async () => {
    const key = `crash-${Date.now()}`;
    const countBefore = allBatches().length;
    const orphan = await killDuringCreate((client) => client.batches.create(body(), { headers: { 'Idempotency-Key': key } }));
    const { client } = await start();
    // 409 + Retry-After while the record is within its grace period; the SDK waits and retries.
    const adopted = await client.batches.create(body(), { headers: { 'Idempotency-Key': key }, maxRetries: 6 });
    expect(adopted.input_file_id).toBe(fileId);
    expect(allBatches()).toHaveLength(countBefore + 1);
    expect(orphan.status).not.toBe('cancelled');
    expect((await client.batches.retrieve(adopted.id)).id).toBe(adopted.id);
    expect((await client.batches.list()).data.map((x) => x.id)).toContain(adopted.id);
    expect(live(allBatches())).toHaveLength(2);
    expect((await client.batches.list()).data).toHaveLength(2);
  }, 60_000);
});
