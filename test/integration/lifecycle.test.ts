/**
 * The lifecycle worker (issue 8), in process on SQLite: a batch nobody retrieves is followed to
 * its end and booked once, whatever the retrieves and restarts; prices come out right to the cent
 * for an override and for a built-in model; partial output of cancelled and expired batches is
 * booked for what ran; a retrieve storm costs a handful of upstream calls; statuses never regress.
 */
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_COMPLETION_TOKENS, FAKE_PROMPT_TOKENS, startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, tempDir, type InProcessGateway, type TempDir } from '../helpers/gateway.js';

const MASTER = 'sk-master-lifecycle-00';
const PRICED = 'priced-group';
const BUILTIN = 'builtin-group';
/** Per-token batch prices of the `priced` deployment (model_info override). */
const IN_PRICE = 0.000001;
const OUT_PRICE = 0.000002;

let priced: FakeUpstream;
let builtin: FakeUpstream;
let dir: TempDir;
let gw: InProcessGateway;
let admin: OpenAI;

const yaml = (): string => `model_list:
  - model_name: ${PRICED}
    litellm_params: { model: openai/custom-model-x, api_base: ${priced.baseUrl}, api_key: key-p }
    model_info: { id: dep-priced, input_cost_per_token_batches: ${IN_PRICE}, output_cost_per_token_batches: ${OUT_PRICE} }
  - model_name: ${BUILTIN}
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${builtin.baseUrl}, api_key: key-b }
    model_info: { id: dep-builtin }
litellm_settings:
  callbacks: ["prometheus"]
general_settings:
  master_key: ${MASTER}
  batch_poll_min_interval_seconds: 0.001
  batch_freshness_seconds: 2
`;

const start = async (): Promise<void> => {
  gw = await startGateway({ yaml: yaml(), dataDir: dir.path, reconcile: false });
  admin = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
};
const restart = async (): Promise<void> => {
  await gw.close({ keepData: true });
  await start();
};

const lines = (group: string, ids: readonly string[]): string =>
  ids.map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: group, messages: [{ role: 'user', content: id }] } })).join('\n');

async function newKey(): Promise<string> {
  const res = await fetch(`${gw.url}/key/generate`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body: '{}' });
  return ((await res.json()) as { key: string }).key;
}

async function createBatch(client: OpenAI, group: string, ids: readonly string[]): Promise<{ id: string; upstream: string }> {
  const file = await client.files.create({ file: new File([lines(group, ids)], 'in.jsonl'), purpose: 'batch' }, { query: { target_model_names: group } });
  const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', model: group } as never);
  const stored = await gw.gateway.store.batches.get(batch.id);
  return { id: batch.id, upstream: stored?.upstreamRef ?? '' };
}

/**
 * Runs worker rounds until the stored batch has `status` (bounded): after polls that saw no change
 * the worker backs off, so "nothing due right now" does not mean it has seen the latest change.
 */
async function drainUntil(batchId: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await gw.gateway.store.batches.get(batchId))?.status === status) return;
    await gw.gateway.poller.runOnce();
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs worker rounds until nothing is due (bounded). */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 5));
    if ((await gw.gateway.poller.runOnce()) === 0) return;
  }
}

const spendRows = (batchId: string) => gw.gateway.store.spend.list({ batchId, limit: 10 });
const retrieveCalls = (fake: FakeUpstream, ref: string): number =>
  fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/batches/${ref}`)).length;

beforeAll(async () => {
  priced = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-p', autoProgress: false });
  builtin = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-b', autoProgress: false });
  dir = await tempDir('bg-lifecycle-');
  await start();
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([priced?.close(), builtin?.close()]);
  await dir?.remove();
});

describe('the lifecycle worker', () => {
  it('follows a batch nobody retrieves to completed, books it once at the override prices, and charges the key', async () => {
    const key = await newKey();
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const batch = await createBatch(client, PRICED, ['a', 'b', 'c']);
    await drain();
    await priced.advance(batch.upstream, 'in_progress');
    await drainUntil(batch.id, 'in_progress');
    expect((await client.batches.list()).data.find((b) => b.id === batch.id)?.status).toBe('in_progress');
    await priced.advance(batch.upstream, 'completed');
    await drainUntil(batch.id, 'completed');
    await drain();

    const listed = (await client.batches.list()).data.find((b) => b.id === batch.id);
    expect(listed?.status).toBe('completed');
    expect(listed?.in_progress_at).not.toBeNull();
    expect(listed?.finalizing_at).not.toBeNull();
    expect(listed?.completed_at).not.toBeNull();
    const [row, ...more] = await spendRows(batch.id);
    expect(more).toEqual([]);
    const expected = 3 * FAKE_PROMPT_TOKENS * IN_PRICE + 3 * FAKE_COMPLETION_TOKENS * OUT_PRICE;
    expect(row?.costUsd).toBeCloseTo(expected, 12);
    expect(row?.inputTokens).toBe(3 * FAKE_PROMPT_TOKENS);
    expect(row?.outputTokens).toBe(3 * FAKE_COMPLETION_TOKENS);
    expect(row?.priceSource).toBe('override');
    const info = (await (await fetch(`${gw.url}/key/info?key=${key}`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as { info: { spend: number } };
    expect(info.info.spend).toBeCloseTo(expected, 12);
    // Nothing is left to poll.
    expect(await gw.gateway.poller.runOnce()).toBe(0);
    // The booking moved the spend, token and request counters.
    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
    const value = (name: string): number =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && l.includes(`model_group="${PRICED}"`))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(value('batchgate_spend_usd_total')).toBeCloseTo(expected, 12);
    expect(value('batchgate_batch_tokens_total')).toBe(3 * (FAKE_PROMPT_TOKENS + FAKE_COMPLETION_TOKENS));
    expect(value('batchgate_batch_requests_total')).toBe(3);
  });

  it('books a batch once although it is retrieved 50 times across three restarts', async () => {
    const batch = await createBatch(admin, BUILTIN, ['x1', 'x2', 'fail-3']);
    await builtin.advance(batch.upstream, 'completed');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 17; i++) await admin.batches.retrieve(batch.id);
      await drain();
      await restart();
    }
    const rows = await spendRows(batch.id);
    expect(rows).toHaveLength(1);
    // gpt-4o-mini's built-in batch prices: 7.5e-8 per input token, 3e-7 per output token; two lines succeeded.
    const expected = 2 * FAKE_PROMPT_TOKENS * 7.5e-8 + 2 * FAKE_COMPLETION_TOKENS * 3e-7;
    expect(rows[0]?.costUsd).toBeCloseTo(expected, 12);
    expect(rows[0]?.priceSource).toBe('table');
    expect(rows[0]?.requestsFailed).toBe(1);
  });

  it.each(['cancelled', 'expired'] as const)('books a %s batch for the lines that ran', async (status) => {
    const batch = await createBatch(admin, PRICED, ['p1', 'p2']);
    await priced.advance(batch.upstream, 'in_progress');
    await priced.advance(batch.upstream, status === 'cancelled' ? 'cancelling' : 'in_progress');
    await priced.advance(batch.upstream, status);
    await drain();
    const retrieved = await admin.batches.retrieve(batch.id);
    expect(retrieved.status).toBe(status);
    const rows = await spendRows(batch.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe(status);
    expect(rows[0]?.costUsd).toBeGreaterThanOrEqual(0);
  });

  it('answers a retrieve storm of one in-progress batch with a handful of upstream calls', async () => {
    const batch = await createBatch(admin, PRICED, ['s1']);
    await priced.advance(batch.upstream, 'in_progress');
    await new Promise((r) => setTimeout(r, 2100));
    const before = retrieveCalls(priced, batch.upstream);
    const answers = await Promise.all(Array.from({ length: 200 }, () => admin.batches.retrieve(batch.id)));
    expect(answers.every((b) => b.status === 'in_progress')).toBe(true);
    expect(retrieveCalls(priced, batch.upstream) - before).toBeLessThanOrEqual(2);
  });

  it('does not rewrite a batch a poll finds unchanged, yet records the check, so a retrieve within the freshness bound stays in the store', async () => {
    const batch = await createBatch(admin, PRICED, ['u1']);
    await priced.advance(batch.upstream, 'in_progress');
    await drainUntil(batch.id, 'in_progress');
    const raw = new Sqlite(join(dir.path, 'batchgate.db'), { readonly: true });
    try {
      const row = () => raw.prepare('select version, refreshed_at_ms as refreshed from batches where id = ?').get(batch.id) as { version: number; refreshed: number };
      const before = row();
      const calls = retrieveCalls(priced, batch.upstream);
      await new Promise((r) => setTimeout(r, 5));
      await gw.gateway.store.polls.pollSoon(batch.id, Date.now());
      expect(await gw.gateway.poller.runOnce()).toBeGreaterThanOrEqual(1);
      expect(retrieveCalls(priced, batch.upstream)).toBe(calls + 1);
      const after = row();
      // Not rewritten (the compare-and-set version would have moved), but checked just now.
      expect(after.version).toBe(before.version);
      expect(after.refreshed).toBeGreaterThan(before.refreshed);
      expect((await admin.batches.retrieve(batch.id)).status).toBe('in_progress');
      expect(retrieveCalls(priced, batch.upstream)).toBe(calls + 1);
      // A change is still written.
      await priced.advance(batch.upstream, 'finalizing');
      await gw.gateway.store.polls.pollSoon(batch.id, Date.now());
      await gw.gateway.poller.runOnce();
      expect(row().version).toBeGreaterThan(before.version);
      expect((await gw.gateway.store.batches.get(batch.id))?.status).toBe('finalizing');
    } finally {
      raw.close();
    }
  });

  it('never answers a regressed status, even when the upstream does', async () => {
    const batch = await createBatch(admin, PRICED, ['r1']);
    await priced.advance(batch.upstream, 'in_progress');
    await drain();
    priced.overrideBatch(batch.upstream, { status: 'validating', in_progress_at: null });
    await new Promise((r) => setTimeout(r, 2100));
    const answer = await admin.batches.retrieve(batch.id);
    expect(answer.status).toBe('in_progress');
    expect(answer.in_progress_at).not.toBeNull();
  });
});

describe('the spend API', () => {
  const get = async (path: string, key: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: await res.json() };
  };

  it('lists booked batches with filters, and a virtual key sees only its own spend', async () => {
    const [keyA, keyB] = [await newKey(), await newKey()];
    const clientA = new OpenAI({ apiKey: keyA, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const clientB = new OpenAI({ apiKey: keyB, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const a = await createBatch(clientA, PRICED, ['sa1', 'sa2']);
    const b = await createBatch(clientB, PRICED, ['sb1']);
    await priced.advance(a.upstream, 'completed');
    await priced.advance(b.upstream, 'completed');
    await drain();

    const all = (await get(`/spend/logs?batch_id=${a.id}`, MASTER)).body as Array<{ request_id: string; spend: number; call_type: string }>;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ request_id: a.id, call_type: 'batch' });
    expect(all[0]?.spend).toBeCloseTo(2 * FAKE_PROMPT_TOKENS * IN_PRICE + 2 * FAKE_COMPLETION_TOKENS * OUT_PRICE, 12);
    expect(((await get(`/spend/logs?api_key=${keyB}`, MASTER)).body as Array<{ request_id: string }>).map((r) => r.request_id)).toEqual([b.id]);

    // Key A: its own rows only, whatever it filters on.
    const mine = (await get('/spend/logs', keyA)).body as Array<{ request_id: string }>;
    expect(mine.map((r) => r.request_id)).toEqual([a.id]);
    expect((await get(`/spend/logs?api_key=${keyB}`, keyA)).body).toEqual([]);
    expect((await get(`/spend/logs?batch_id=${b.id}`, keyA)).body).toEqual([]);

    const report = (await get('/global/spend/report?group_by=api_key', MASTER)).body as Array<{ group_by_day: string; api_keys: Array<{ total_spend: number }> }>;
    expect(report.length).toBeGreaterThanOrEqual(1);
    expect(report[0]?.group_by_day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const ownReport = (await get('/global/spend/report?group_by=api_key', keyA)).body as Array<{ api_keys: Array<{ api_key: string }> }>;
    expect(ownReport.flatMap((d) => d.api_keys)).toHaveLength(1);
    expect((await get('/spend/logs?start_date=not-a-date', MASTER)).status).toBe(400);
  });
});
