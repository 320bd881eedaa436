/**
 * Write-ahead records and their reconciliation (issue 7, defect 4), in process: a request that
 * dies after an upstream did the work (the answer held back by the fake, the client gone) leaves a
 * pending record, invisible to clients, and the reconciler later deletes the upload's copies or
 * cancels / adopts the batch, checked against the fakes' own state. Also the endpoint check
 * (defect 10), BOM stripping on plain uploads (defect 7) and Idempotency-Key replays.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';

const MASTER = 'sk-master-write-ahead-000';
const GROUP = 'gpt-wa';
const line = (i: number, url = '/v1/chat/completions'): string =>
  JSON.stringify({ custom_id: `r-${i}`, method: 'POST', url, body: { model: GROUP, messages: [{ role: 'user', content: `hi ${i}` }] } });
const jsonl = (n: number): string => `${Array.from({ length: n }, (_, i) => line(i)).join('\n')}\n`;

let a: FakeUpstream;
let b: FakeUpstream;
let gw: InProcessGateway;
let client: OpenAI;

const yaml = (): string => `model_list:
  - model_name: ${GROUP}
    litellm_params: { model: openai/up-a, api_base: ${a.baseUrl}, api_key: key-a }
    model_info: { id: dep-a }
  - model_name: ${GROUP}
    litellm_params: { model: openai/up-b, api_base: ${b.baseUrl}, api_key: key-b }
    model_info: { id: dep-b }
router_settings:
  timeout: 2
general_settings:
  master_key: ${MASTER}
  pending_grace_seconds: 0.3
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function upload(content: string, opts: { managed?: boolean; signal?: AbortSignal; filename?: string } = {}): Promise<Response> {
  const form = new FormData();
  form.append('purpose', 'batch');
  if (opts.managed ?? true) form.append('target_model_names', GROUP);
  form.append('file', new Blob([content]), opts.filename ?? 'input.jsonl');
  return fetch(`${gw.url}/v1/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}` },
    body: form,
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
}

const createBody = (fileId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', ...extra });

async function create(fileId: string, headers: Record<string, string> = {}, signal?: AbortSignal, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gw.url}/v1/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json', ...headers },
    body: createBody(fileId, { model: GROUP, ...extra }),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** Aborts the client once the fake has done the work but held its answer back. */
async function interrupted(fake: FakeUpstream, op: 'uploadFile' | 'createBatch', send: (signal: AbortSignal) => Promise<Response>): Promise<void> {
  const controller = new AbortController();
  fake.holdResponseNext(op, () => controller.abort());
  await expect(send(controller.signal)).rejects.toThrow();
}

const pendingCount = async (): Promise<number> =>
  (await gw.gateway.store.files.listPending(Date.now() + 60_000, 100)).length +
  (await gw.gateway.store.batches.listPending(Date.now() + 60_000, 100)).length;

/** Waits for the gateway to finish the abandoned request, then past the grace period, then reconciles. */
async function reconcile() {
  await sleep(400);
  return gw.gateway.reconciler.runOnce(AbortSignal.timeout(10_000));
}

beforeAll(async () => {
  a = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-a', autoProgress: false });
  b = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-b', autoProgress: false });
  gw = await startGateway({ yaml: yaml(), reconcile: false });
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
});

afterEach(async () => {
  a.clearFaults();
  b.clearFaults();
  // Every test leaves the store with nothing pending.
  expect(await pendingCount()).toBe(0);
});

/** A managed file on both deployments, and the fakes' file counts afterwards. */
async function managedFile(): Promise<string> {
  const res = await upload(jsonl(2));
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

describe('an upload interrupted after the upstream stored a copy', () => {
  it('is never visible, and the reconciler deletes every copy (recorded or found by its label)', async () => {
    const before = { a: a.files.size, b: b.files.size };
    await interrupted(b, 'uploadFile', (signal) => upload(jsonl(3), { signal }));
    await sleep(200);
    expect((await client.files.list()).data.map((f) => f.id)).not.toContain(undefined);
    const listed = (await client.files.list()).data;
    // b holds a copy nobody recorded; a's copy was written, then removed when the client left.
    expect(b.files.size).toBe(before.b + 1);
    const report = await reconcile();
    expect(report.filesRemoved).toBe(1);
    expect(a.files.size).toBe(before.a);
    expect(b.files.size).toBe(before.b);
    expect((await client.files.list()).data).toEqual(listed);
  });

  it('keeps a completed upload, and removes the copy a timed-out deployment kept unrecorded', async () => {
    const before = { a: a.files.size, b: b.files.size };
    b.holdResponseNext('uploadFile');
    const res = await upload(jsonl(2));
    expect(res.status).toBe(200);
    const file = (await res.json()) as { id: string };
    expect(b.files.size).toBe(before.b + 1);
    expect((await gw.gateway.store.files.copies(file.id)).map((c) => c.deploymentId)).toEqual(['dep-a']);
    await reconcile();
    expect(b.files.size).toBe(before.b);
    expect(a.files.size).toBe(before.a + 1);
    expect((await client.files.retrieve(file.id)).id).toBe(file.id);
    await client.files.delete(file.id);
  });
});

describe('a batch create interrupted after the upstream created the batch', () => {
  it('without an Idempotency-Key: invisible, then cancelled upstream, so a retry runs the work once', async () => {
    const fileId = await managedFile();
    const before = new Set([...a.batches.keys(), ...b.batches.keys()]);
    const controller = new AbortController();
    // Whichever deployment the create is placed on does the work and holds its answer back.
    a.holdResponseNext('createBatch', () => controller.abort());
    b.holdResponseNext('createBatch', () => controller.abort());
    await expect(create(fileId, {}, controller.signal)).rejects.toThrow();
    const fresh = () => [...a.batches.values(), ...b.batches.values()].filter((x) => !before.has(x.id));
    expect(fresh()).toHaveLength(1);
    expect((await client.batches.list()).data.filter((x) => x.input_file_id === fileId)).toEqual([]);

    const report = await reconcile();
    expect(report.batchesCancelled).toBe(1);
    expect(['cancelling', 'cancelled']).toContain(fresh()[0]?.status);
    expect((await client.batches.list()).data.filter((x) => x.input_file_id === fileId)).toEqual([]);
    // The client's retry creates the one batch that runs.
    a.clearFaults();
    b.clearFaults();
    expect((await create(fileId)).status).toBe(200);
    expect(fresh().filter((x) => !['cancelling', 'cancelled'].includes(x.status))).toHaveLength(1);
    expect((await client.batches.list()).data.filter((x) => x.input_file_id === fileId)).toHaveLength(1);
  });

  it('with an Idempotency-Key: a retry waits (409 + Retry-After), then gets the adopted batch; nothing runs twice', async () => {
    const fileId = await managedFile();
    const key = { 'idempotency-key': `key-${Date.now()}` };
    const before = a.batches.size + b.batches.size;
    a.holdResponseNext('createBatch');
    b.holdResponseNext('createBatch');
    const controller = new AbortController();
    const first = create(fileId, key, controller.signal);
    await sleep(300);
    controller.abort();
    await expect(first).rejects.toThrow();
    expect(a.batches.size + b.batches.size).toBe(before + 1);

    const early = await create(fileId, key);
    expect(early.status).toBe(409);
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe('idempotency_conflict');

    a.clearFaults();
    b.clearFaults();
    const report = await reconcile();
    expect(report.batchesAdopted).toBe(1);
    const again = await create(fileId, key);
    expect(again.status).toBe(200);
    const adopted = (await again.json()) as { id: string; status: string; input_file_id: string; metadata: unknown };
    expect(adopted.input_file_id).toBe(fileId);
    expect(adopted.metadata).toBeNull();
    expect(a.batches.size + b.batches.size).toBe(before + 1);
    expect((await client.batches.retrieve(adopted.id)).id).toBe(adopted.id);
    // Replays keep answering the same batch; the same key for another request is refused.
    expect(((await (await create(fileId, key)).json()) as { id: string }).id).toBe(adopted.id);
    const other = await create(fileId, key, undefined, { metadata: { x: 'y' } });
    expect(other.status).toBe(409);
    expect(a.batches.size + b.batches.size).toBe(before + 1);
  });

  it('forgets a create every deployment refused, and a pending record that never reached an upstream', async () => {
    const fileId = await managedFile();
    a.failNext('createBatch', { status: 503 });
    b.failNext('createBatch', { status: 503 });
    expect((await create(fileId)).status).toBe(502);
    // Both deployments answered no: nothing to reconcile, the record is gone at once.
    expect(await gw.gateway.store.batches.listPending(Date.now() + 60_000, 10)).toEqual([]);

    // As a crash between the write-ahead insert and the upstream call leaves it.
    const created = (await (await create(fileId)).json()) as { id: string };
    const stored = await gw.gateway.store.batches.get(created.id);
    if (stored === undefined) throw new Error('batch not stored');
    const orphan = { ...stored, id: 'batch_000000000000000000000000', deploymentId: '', upstreamRef: '', updatedAtMs: Date.now() };
    await gw.gateway.store.batches.insertPending(orphan, ['dep-a', 'dep-b'], null);
    const report = await reconcile();
    expect(report.batchesForgotten).toBe(1);
  });
});

describe('what is validated is what is used', () => {
  it("refuses a batch whose endpoint is not its file's url (400 url_mismatch)", async () => {
    const fileId = await managedFile();
    const before = a.batches.size + b.batches.size;
    const res = await create(fileId, {}, undefined, { endpoint: '/v1/embeddings' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'url_mismatch', param: 'endpoint' });
    expect(a.batches.size + b.batches.size).toBe(before);
  });

  it('sends a plain upload without its BOM, and counts the bytes sent', async () => {
    const content = `\uFEFF${jsonl(2)}`;
    const res = await fetch(`${gw.url}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'custom-llm-provider': 'openai' },
      body: (() => {
        const form = new FormData();
        form.append('purpose', 'batch');
        form.append('file', new Blob([content]), 'plain.jsonl');
        return form;
      })(),
    });
    expect(res.status).toBe(200);
    const file = (await res.json()) as { id: string; bytes: number };
    expect(file.bytes).toBe(Buffer.byteLength(content) - 3);
    const copy = (await gw.gateway.store.files.copies(file.id))[0];
    const fake = copy?.deploymentId === 'dep-a' ? a : b;
    const stored = fake.files.get(copy?.upstreamRef ?? '');
    expect(stored?.bytes).toBe(Buffer.byteLength(content) - 3);
    const downloaded = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(downloaded.subarray(0, 1).toString()).toBe('{');
  });
});
