/**
 * Listing (wire.md §1.3, §1.5, §2.3): `GET /v1/files` honours `purpose`, `limit`, `order` and
 * `after` and reports `has_more`/`first_id`/`last_id` so the official SDK's auto-pagination walks
 * every page; `GET /v1/batches` takes `limit` 1–100 (default 20) and `after`. The gateway's clock
 * steps one second per reading, so every object has its own `created_at` and the order is known.
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectError, expectNoUpstreamIds, idOf, jsonl, recordingFetch, WireClient } from '../conformance/wire-client.js';

const UPSTREAM_KEY = 'sk-upstream-routes-listing';

let fake: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;
let sdk: OpenAI;
const sdkTranscript: string[] = [];

/** Uploaded in this order: batch files b0..b2 and user_data files u0..u1, interleaved. */
const uploaded: { id: string; purpose: string }[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY, autoProgress: false });
  let ms = Date.UTC(2031, 5, 1);
  gw = await startGateway({
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
`,
    env: { UPSTREAM_KEY },
    clock: { now: () => (ms += 1000) },
  });
  api = new WireClient(gw.url);
  sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0, fetch: recordingFetch(sdkTranscript) });
  for (const purpose of ['batch', 'user_data', 'batch', 'user_data', 'batch']) {
    const reply = purpose === 'batch'
      ? await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1, `f${uploaded.length}`) })
      : await api.upload('/v1/files', { content: `notes ${uploaded.length}`, filename: 'notes.txt', purpose });
    uploaded.push({ id: idOf(reply), purpose });
  }
});

afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const ids = (list: Record<string, unknown>): string[] => (list.data as { id: string }[]).map((f) => f.id);
const newestFirst = (): string[] => uploaded.map((f) => f.id).reverse();

describe('GET /v1/files', () => {
  it('lists newest first by default, with cursors', async () => {
    const list = bodyOf(await api.call('GET', '/v1/files'));
    expect(list).toEqual({ object: 'list', data: expect.any(Array), first_id: newestFirst()[0], last_id: newestFirst()[4], has_more: false });
    expect(ids(list)).toEqual(newestFirst());
  });

  it('order=asc lists oldest first', async () => {
    expect(ids(bodyOf(await api.call('GET', '/v1/files?order=asc')))).toEqual(uploaded.map((f) => f.id));
  });

  it('purpose filters', async () => {
    const list = bodyOf(await api.call('GET', '/v1/files?purpose=user_data'));
    const expected = uploaded.filter((f) => f.purpose === 'user_data').map((f) => f.id).reverse();
    expect(ids(list)).toEqual(expected);
    expect(list).toMatchObject({ first_id: expected[0], last_id: expected[1], has_more: false });
    expect(ids(bodyOf(await api.call('GET', '/v1/files?purpose=batch&order=asc')))).toEqual(uploaded.filter((f) => f.purpose === 'batch').map((f) => f.id));
  });

  it('limit and after page through, has_more telling when to stop', async () => {
    const all = newestFirst();
    const first = bodyOf(await api.call('GET', '/v1/files?limit=2'));
    expect(first).toMatchObject({ first_id: all[0], last_id: all[1], has_more: true });
    expect(ids(first)).toEqual(all.slice(0, 2));
    const second = bodyOf(await api.call('GET', `/v1/files?limit=2&after=${String(first.last_id)}`));
    expect(ids(second)).toEqual(all.slice(2, 4));
    expect(second.has_more).toBe(true);
    const third = bodyOf(await api.call('GET', `/v1/files?limit=2&after=${String(second.last_id)}`));
    expect(third).toMatchObject({ first_id: all[4], last_id: all[4], has_more: false });
    // Exactly a page's worth left: has_more is false, not a promise of an empty page.
    expect(bodyOf(await api.call('GET', `/v1/files?limit=1&after=${all[3] ?? ''}`)).has_more).toBe(false);
  });

  it('after combines with purpose and order', async () => {
    const batchFiles = uploaded.filter((f) => f.purpose === 'batch').map((f) => f.id);
    const page = bodyOf(await api.call('GET', `/v1/files?purpose=batch&order=asc&limit=1&after=${batchFiles[0] ?? ''}`));
    expect(ids(page)).toEqual([batchFiles[1]]);
    expect(page.has_more).toBe(true);
  });

  it('limit out of 1–10000 and a bad order are 400', async () => {
    expectError(await api.call('GET', '/v1/files?limit=0'), 400, { message: "Invalid 'limit': limit must be at least 1.", type: 'invalid_request_error', param: 'limit', code: 'invalid_request' });
    expectError(await api.call('GET', '/v1/files?limit=10001'), 400, { message: "Invalid 'limit': limit must be at most 10000.", type: 'invalid_request_error', param: 'limit', code: 'invalid_request' });
    expectError(await api.call('GET', '/v1/files?order=newest'), 400, { message: "Invalid 'order': order must be 'asc' or 'desc'.", type: 'invalid_request_error', param: 'order', code: 'invalid_request' });
  });

  it('the official SDK auto-paginates through every page', async () => {
    const seen: string[] = [];
    for await (const file of sdk.files.list({ limit: 2 })) seen.push(file.id);
    expect(seen).toEqual(newestFirst());
    const pages = sdkTranscript.filter((answer) => answer.includes('"object":"list"')).length;
    expect(pages).toBe(3);

    const userData: string[] = [];
    for await (const file of sdk.files.list({ limit: 1, purpose: 'user_data', order: 'asc' })) userData.push(file.id);
    expect(userData).toEqual(uploaded.filter((f) => f.purpose === 'user_data').map((f) => f.id));
  });

  it('the SDK uploads and reads back through the same gateway', async () => {
    const file = await sdk.files.create({ file: await toFile(Buffer.from(jsonl('gpt-4o-mini', 1, 'sdk')), 'sdk.jsonl'), purpose: 'batch' });
    expect((await sdk.files.retrieve(file.id)).filename).toBe('sdk.jsonl');
    expect((await sdk.files.delete(file.id)).deleted).toBe(true);
  });
});

describe('GET /v1/batches', () => {
  const created: string[] = [];
  beforeAll(async () => {
    const fileId = uploaded.find((f) => f.purpose === 'batch')?.id ?? '';
    for (let i = 0; i < 23; i++) {
      created.push(idOf(await api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { n: String(i) } } })));
    }
  });

  it('defaults to 20, newest first', async () => {
    const page = bodyOf(await api.call('GET', '/v1/batches'));
    expect(ids(page)).toEqual([...created].reverse().slice(0, 20));
    expect(page).toMatchObject({ object: 'list', has_more: true, first_id: created[22], last_id: created[3] });
  });

  it('after continues where the last page ended', async () => {
    const page = bodyOf(await api.call('GET', `/v1/batches?after=${created[3] ?? ''}`));
    expect(ids(page)).toEqual([created[2], created[1], created[0]]);
    expect(page.has_more).toBe(false);
  });

  it('limit 1 and 100 are accepted', async () => {
    const one = bodyOf(await api.call('GET', '/v1/batches?limit=1'));
    expect(ids(one)).toEqual([created[22]]);
    expect(one.has_more).toBe(true);
    const hundred = bodyOf(await api.call('GET', '/v1/batches?limit=100'));
    expect(ids(hundred)).toEqual([...created].reverse());
    expect(hundred.has_more).toBe(false);
  });

  it.each(['0', '101', '-5', 'ten'])('limit=%s is a 400', async (limit) => {
    const reply = await api.call('GET', `/v1/batches?limit=${limit}`);
    expectError(reply, 400, { message: /^Invalid 'limit': limit must be/, type: 'invalid_request_error', param: 'limit', code: 'invalid_request' });
  });

  it('the official SDK auto-paginates through every batch', async () => {
    const seen: string[] = [];
    for await (const batch of sdk.batches.list({ limit: 10 })) seen.push(batch.id);
    expect(seen).toEqual([...created].reverse());
  });
});

describe('raw upstream ids', () => {
  it('never appear in any answer of this suite, SDK traffic included', () => {
    expectNoUpstreamIds([...api.transcript, ...sdkTranscript], [fake]);
  });
});
