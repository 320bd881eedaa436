/**
 * Routes and routing (issue 2 points 4 and 5): every route answers the same under `/v1/…`, bare
 * `/…` and `/{provider}/v1/…`; a new object goes where the path prefix, then the
 * `custom-llm-provider` header, then the `custom_llm_provider` query, then the model, then the
 * default deployment say; reads, content, delete and cancel need no hint and reach the deployment
 * holding the object even under a wrong provider prefix; and no raw upstream id is ever shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectNoUpstreamIds, idOf, jsonl, WireClient, type Reply } from '../conformance/wire-client.js';

const OPENAI_KEY = 'sk-upstream-routes-openai';
const AZURE_KEY = 'azure-upstream-routes-key';
const PREFIXES = ['', '/v1', '/openai/v1', '/azure/v1'] as const;

let openai: FakeUpstream;
let azure: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;

beforeAll(async () => {
  openai = await startFakeUpstream({ flavor: 'openai', apiKey: OPENAI_KEY, autoProgress: false });
  azure = await startFakeUpstream({ flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'classic', autoProgress: false });
  gw = await startGateway({
    // The first deployment is the default one.
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.baseUrl}
      api_key: os.environ/OPENAI_KEY
    model_info:
      id: openai-a
  - model_name: gpt-4o-mini-azure
    litellm_params:
      model: azure/gpt-4o-mini-batch
      api_base: ${azure.baseUrl}
      api_key: os.environ/AZURE_KEY
      api_version: "2025-04-01-preview"
    model_info:
      id: azure-a
`,
    env: { OPENAI_KEY, AZURE_KEY },
  });
  api = new WireClient(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await openai?.close();
  await azure?.close();
});

const uploads = (fake: FakeUpstream): number => fake.requests.filter((r) => r.method === 'POST' && /\/files$/.test(r.path)).length;
const requestCount = (): { openai: number; azure: number } => ({ openai: openai.requests.length, azure: azure.requests.length });

const createBatch = (prefix: string, fileId: string): Promise<Reply> =>
  api.call('POST', `${prefix}/batches`, { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } });

/** The upstream batch the fake minted during `action`. */
const newUpstreamBatch = async (fake: FakeUpstream, action: () => Promise<unknown>): Promise<string> => {
  const before = new Set(fake.batches.keys());
  await action();
  const id = [...fake.batches.keys()].find((k) => !before.has(k));
  if (id === undefined) throw new Error('no upstream batch was created');
  return id;
};

describe('every route under every prefix', () => {
  it.each(PREFIXES)('the whole flow works under "%s"', async (prefix) => {
    const content = jsonl('gpt-4o-mini', 2, `p${prefix.length}`);
    const file = bodyOf(await api.upload(`${prefix}/files`, { content }));
    expect(file).toMatchObject({ object: 'file', bytes: Buffer.byteLength(content), purpose: 'batch' });
    const fileId = String(file.id);
    expect(bodyOf(await api.call('GET', `${prefix}/files/${fileId}`))).toEqual(file);
    expect((await api.call('GET', `${prefix}/files/${fileId}/content`)).text).toBe(content);
    expect((bodyOf(await api.call('GET', `${prefix}/files?limit=100`)).data as { id: string }[]).map((f) => f.id)).toContain(fileId);

    const batch = bodyOf(await createBatch(prefix, fileId));
    expect(batch).toMatchObject({ object: 'batch', input_file_id: fileId, status: 'validating' });
    const batchId = String(batch.id);
    expect(bodyOf(await api.call('GET', `${prefix}/batches/${batchId}`))).toEqual(batch);
    expect((bodyOf(await api.call('GET', `${prefix}/batches?limit=100`)).data as { id: string }[]).map((b) => b.id)).toContain(batchId);
    expect(bodyOf(await api.call('POST', `${prefix}/batches/${batchId}/cancel`))).toMatchObject({ id: batchId, status: 'cancelling' });
    expect(bodyOf(await api.call('DELETE', `${prefix}/files/${fileId}`))).toEqual({ id: fileId, object: 'file', deleted: true });
    expect((await api.call('GET', `${prefix}/files/${fileId}`)).status).toBe(404);
  });

  it('reads answer byte for byte the same under every prefix', async () => {
    const fileId = idOf(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1) }));
    const batchId = idOf(await createBatch('/v1', fileId));
    for (const path of [`/files/${fileId}`, `/files/${fileId}/content`, `/batches/${batchId}`, '/files?limit=3', '/batches?limit=3', '/files/file-nope', '/batches/batch_nope']) {
      const answers = await Promise.all(PREFIXES.map(async (prefix) => {
        const reply = await api.call('GET', `${prefix}${path}`);
        return `${reply.status} ${reply.headers.get('content-type') ?? ''} ${reply.text}`;
      }));
      expect(new Set(answers).size, `${path}: ${answers.join('\n')}`).toBe(1);
    }
  });
});

describe('where a new object goes', () => {
  const cases: ReadonlyArray<{ name: string; path: string; headers?: Record<string, string>; fields?: Record<string, string>; expected: 'openai' | 'azure' }> = [
    { name: 'path prefix beats header and query', path: '/azure/v1/files?custom_llm_provider=openai', headers: { 'custom-llm-provider': 'openai' }, expected: 'azure' },
    { name: 'path prefix beats header (other way round)', path: '/openai/v1/files?custom_llm_provider=azure', headers: { 'custom-llm-provider': 'azure' }, expected: 'openai' },
    { name: 'header beats query', path: '/v1/files?custom_llm_provider=openai', headers: { 'custom-llm-provider': 'azure' }, expected: 'azure' },
    { name: 'header beats query (other way round)', path: '/v1/files?custom_llm_provider=azure', headers: { 'custom-llm-provider': 'openai' }, expected: 'openai' },
    { name: 'query alone', path: '/files?custom_llm_provider=azure', expected: 'azure' },
    { name: 'query beats model', path: '/v1/files?custom_llm_provider=openai', fields: { model: 'gpt-4o-mini-azure' }, expected: 'openai' },
    { name: 'header beats model', path: '/v1/files', headers: { 'custom-llm-provider': 'openai' }, fields: { model: 'gpt-4o-mini-azure' }, expected: 'openai' },
    { name: 'model field alone', path: '/v1/files', fields: { model: 'gpt-4o-mini-azure' }, expected: 'azure' },
    { name: 'model query alone', path: '/v1/files?model=gpt-4o-mini-azure', expected: 'azure' },
    { name: 'custom_llm_provider form field alone', path: '/v1/files', fields: { custom_llm_provider: 'azure' }, expected: 'azure' },
    { name: 'nothing: the default deployment', path: '/v1/files', expected: 'openai' },
  ];

  it.each(cases)('$name → $expected', async ({ path, headers, fields, expected }) => {
    const before = { openai: uploads(openai), azure: uploads(azure) };
    const reply = await api.upload(path, { content: jsonl('gpt-4o-mini', 1), ...(headers === undefined ? {} : { headers }), ...(fields === undefined ? {} : { fields }) });
    expect(reply.status, reply.text).toBe(200);
    expect({ openai: uploads(openai) - before.openai, azure: uploads(azure) - before.azure }).toEqual({
      openai: expected === 'openai' ? 1 : 0,
      azure: expected === 'azure' ? 1 : 0,
    });
  });

  it('a batch goes to the deployment holding its input file, whatever the prefix of the create call', async () => {
    const fileId = idOf(await api.upload('/azure/v1/files', { content: jsonl('gpt-4o-mini', 1) }));
    const upstream = await newUpstreamBatch(azure, () => createBatch('/openai/v1', fileId));
    expect(azure.batches.get(upstream)?.status).toBe('validating');
  });
});

describe('reads need no hint, and a wrong one does not matter', () => {
  it.each([
    ['azure', '/openai/v1'],
    ['openai', '/azure/v1'],
    ['azure', ''],
    ['openai', '/v1'],
  ] as const)('an object on %s reached under "%s"', async (holder, prefix) => {
    const fake = holder === 'azure' ? azure : openai;
    const other = holder === 'azure' ? openai : azure;
    const content = jsonl('gpt-4o-mini', 2);
    const fileId = idOf(await api.upload(`/${holder}/v1/files`, { content }));
    const before = requestCount();
    const otherBefore = other.requests.length;

    expect(bodyOf(await api.call('GET', `${prefix}/files/${fileId}`)).id).toBe(fileId);
    expect((await api.call('GET', `${prefix}/files/${fileId}/content`)).text).toBe(content);
    let batchId = '';
    const upstreamBatch = await newUpstreamBatch(fake, async () => {
      batchId = idOf(await createBatch(prefix, fileId));
    });
    expect(bodyOf(await api.call('GET', `${prefix}/batches/${batchId}`)).id).toBe(batchId);
    expect(bodyOf(await api.call('POST', `${prefix}/batches/${batchId}/cancel`)).status).toBe('cancelling');
    expect(fake.batches.get(upstreamBatch)?.status).toBe('cancelling');
    expect(bodyOf(await api.call('DELETE', `${prefix}/files/${fileId}`)).deleted).toBe(true);

    expect(other.requests.length - otherBefore, 'the other deployment was asked').toBe(0);
    const after = requestCount();
    expect(after[holder] - before[holder]).toBeGreaterThanOrEqual(5);
  });

  it('a batch on Azure is retrieved, and its output read, with no hint at all', async () => {
    const fileId = idOf(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 2), headers: { 'custom-llm-provider': 'azure' } }));
    let batchId = '';
    const upstreamBatch = await newUpstreamBatch(azure, async () => {
      batchId = idOf(await createBatch('', fileId));
    });
    await azure.advance(upstreamBatch, 'in_progress');
    await azure.advance(upstreamBatch, 'completed');
    const batch = bodyOf(await api.call('GET', `/batches/${batchId}`));
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
    const output = await api.call('GET', `/openai/v1/files/${String(batch.output_file_id)}/content`);
    expect(output.status).toBe(200);
    expect(output.text.trim().split('\n')).toHaveLength(2);
  });
});

describe('uploads and content', () => {
  it('keeps a UTF-8 filename as sent, here and upstream', async () => {
    const filename = 'données-批次-📄.jsonl';
    const before = new Set(openai.files.keys());
    const reply = await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), filename });
    expect(bodyOf(reply).filename).toBe(filename);
    expect(bodyOf(await api.call('GET', `/v1/files/${idOf(reply)}`)).filename).toBe(filename);
    // Upstream, the name carries the gateway id in front (the label a crash reconciliation finds).
    expect([...openai.files.values()].filter((f) => !before.has(f.id)).map((f) => f.filename)).toEqual([`${idOf(reply)}__${filename}`]);
  });

  it('serves the exact bytes uploaded, as a raw body rather than JSON', async () => {
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
    const fileId = idOf(await api.upload('/v1/files', { content: bytes, filename: 'blob.bin', purpose: 'user_data' }));
    const res = await fetch(`${gw.url}/v1/files/${fileId}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').not.toContain('json');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

describe('raw upstream ids', () => {
  it('never appear in any answer of this suite', () => {
    expectNoUpstreamIds(api.transcript, [openai, azure]);
  });
});
