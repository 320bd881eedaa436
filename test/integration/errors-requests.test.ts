/**
 * Bad requests, answered by the gateway itself: each test asserts the status and the exact OpenAI
 * envelope `{error:{message,type,param,code}}`. Uploads (fields, format, limits, expiry), batch
 * creation (required fields, enums, metadata limits), unknown ids and routes, malformed bodies,
 * and a sweep showing no bad input ever gets a 500.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectError, idOf, jsonl, WireClient, type Reply } from '../conformance/wire-client.js';

const UPSTREAM_KEY = 'sk-upstream-errors-requests';
const MB = 1024 * 1024;
const MAX_LINES = 5;
const INVALID = 'invalid_request_error';

let fake: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY, autoProgress: false });
  gw = await startGateway({
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
general_settings:
  max_batch_file_size_mb: 1
  max_batch_file_records: ${MAX_LINES}
`,
    env: { UPSTREAM_KEY },
  });
  api = new WireClient(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const upstreamUploads = (): number => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/files').length;

describe('POST /v1/files', () => {
  it('a missing purpose is a 400 naming it', async () => {
    expectError(await api.upload('/v1/files', { content: jsonl('m', 1), purpose: null }), 400, {
      message: "Missing required parameter: 'purpose'.",
      type: INVALID,
      param: 'purpose',
      code: 'missing_required_parameter',
    });
  });

  it('a missing file is a 400 naming it', async () => {
    expectError(await api.upload('/v1/files', { content: '', noFile: true }), 400, {
      message: "Missing required parameter: 'file'.",
      type: INVALID,
      param: 'file',
      code: 'missing_required_parameter',
    });
  });

  it('a purpose outside the enum is a 400 naming purpose', async () => {
    expectError(await api.upload('/v1/files', { content: jsonl('m', 1), purpose: 'batches' }), 400, {
      message: "Invalid 'purpose': purpose must be one of assistants, batch, fine-tune, vision, user_data, evals.",
      type: INVALID,
      param: 'purpose',
      code: 'invalid_request',
    });
  });

  it('a batch upload that is not .jsonl is refused with OpenAI’s message', async () => {
    const before = upstreamUploads();
    expectError(await api.upload('/v1/files', { content: jsonl('m', 1), filename: 'requests.csv' }), 400, {
      message: 'Invalid file format for Batch API. Must be .jsonl',
      type: INVALID,
      param: 'file',
      code: 'invalid_file_format',
    });
    expect(upstreamUploads()).toBe(before);
  });

  it('an empty file is a 400, batch or not', async () => {
    expectError(await api.upload('/v1/files', { content: '' }), 400, { message: 'The file is empty.', type: INVALID, param: 'file', code: 'empty_file' });
    expectError(await api.upload('/v1/files', { content: '', filename: 'a.txt', purpose: 'user_data' }), 400, {
      message: 'The file is empty.',
      type: INVALID,
      param: 'file',
      code: 'empty_file',
    });
  });

  it('a batch file of blank lines only is a 400', async () => {
    expectError(await api.upload('/v1/files', { content: '\n  \n\n' }), 400, {
      message: 'The file is empty: a batch file needs at least one request line.',
      type: INVALID,
      param: 'file',
      code: 'empty_file',
    });
  });

  it('a file over max_batch_file_size_mb is a 413, and nothing is stored anywhere', async () => {
    const before = upstreamUploads();
    const reply = await api.upload('/v1/files', { content: Buffer.alloc(MB + 1, 'x'), filename: 'big.txt', purpose: 'user_data' });
    expectError(reply, 413, {
      message: `The file is larger than ${MB} bytes, the most this gateway accepts.`,
      type: INVALID,
      param: 'file',
      code: 'file_too_large',
    });
    expect(upstreamUploads()).toBe(before);
    expect(fake.files.size).toBe(0);
    expect(bodyOf(await api.call('GET', '/v1/files')).data).toEqual([]);
    // The spool file is gone too.
    expect(await readdir(gw.gateway.spoolDir)).toEqual([]);
  });

  it('a file of exactly the size limit is accepted', async () => {
    const reply = await api.upload('/v1/files', { content: Buffer.alloc(MB, 'x'), filename: 'exact.txt', purpose: 'user_data' });
    expect(reply.status, reply.text).toBe(200);
    expect(bodyOf(reply).bytes).toBe(MB);
  });

  it('a batch file over max_batch_file_records is a 413', async () => {
    const before = upstreamUploads();
    expectError(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', MAX_LINES + 1) }), 413, {
      message: `The file has more than ${MAX_LINES} requests, the most one batch may hold.`,
      type: INVALID,
      param: 'file',
      code: 'too_many_lines',
    });
    expect(upstreamUploads()).toBe(before);
    expect(idOf(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', MAX_LINES) }))).toMatch(/^file-/);
  });

  it.each([
    ['bracketed', 'expires_after[anchor]', 'expires_after[seconds]'],
    ['dotted', 'expires_after.anchor', 'expires_after.seconds'],
  ])('expires_after in the %s spelling is accepted and reflected in expires_at', async (_name, anchorKey, secondsKey) => {
    const before = new Set(fake.files.keys());
    const reply = await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields: { [anchorKey]: 'created_at', [secondsKey]: '7200' } });
    const file = bodyOf(reply);
    expect(reply.status, reply.text).toBe(200);
    const upstream = [...fake.files.values()].find((f) => !before.has(f.id));
    // The upstream was asked for the same expiry, and the gateway reports the upstream's date.
    expect(upstream !== undefined && upstream.expiresAt !== null ? upstream.expiresAt - upstream.createdAt : null).toBe(7200);
    expect(file.expires_at).toBe(upstream?.expiresAt);
    // The gateway's created_at is read when the upload is recorded, a moment after the upstream's.
    const lifetime = Number(file.expires_at) - Number(file.created_at);
    expect(lifetime).toBeGreaterThanOrEqual(7190);
    expect(lifetime).toBeLessThanOrEqual(7200);
  });

  it.each([
    [{ 'expires_after[anchor]': 'last_active_at', 'expires_after[seconds]': '7200' }, "Invalid 'expires_after.anchor': anchor must be 'created_at'.", 'expires_after.anchor'],
    [{ 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '3599' }, "Invalid 'expires_after.seconds': seconds must be at least 3600.", 'expires_after.seconds'],
    [{ 'expires_after.anchor': 'created_at', 'expires_after.seconds': '2592001' }, "Invalid 'expires_after.seconds': seconds must be at most 2592000.", 'expires_after.seconds'],
    [{ 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': 'soon' }, "Invalid 'expires_after.seconds': seconds must be an integer.", 'expires_after.seconds'],
    [{ 'expires_after[anchor]': 'created_at' }, 'expires_after needs both anchor and seconds.', 'expires_after'],
  ])('a bad expires_after %j is a 400', async (fields, message, param) => {
    const before = upstreamUploads();
    expectError(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields }), 400, { message, type: INVALID, param, code: 'invalid_request' });
    expect(upstreamUploads()).toBe(before);
  });

  it('a body that is not multipart is a 400', async () => {
    expectError(await api.call('POST', '/v1/files', { json: { purpose: 'batch', file: 'abc' } }), 400, {
      message: 'The request must be multipart/form-data with a file and a purpose.',
      type: INVALID,
      param: null,
      code: 'invalid_request',
    });
  });

  it('a multipart body without a boundary is a 400', async () => {
    const reply = await api.call('POST', '/v1/files', { body: 'garbage', headers: { 'content-type': 'multipart/form-data' } });
    expectError(reply, 400, { message: /^Malformed multipart request: /, type: INVALID, param: null, code: 'invalid_request' });
  });
});

describe('POST /v1/batches', () => {
  let fileId: string;
  const valid = (): Record<string, unknown> => ({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const create = (body: unknown): Promise<Reply> => api.call('POST', '/v1/batches', { json: body });

  beforeAll(async () => {
    fileId = idOf(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 2) }));
  });

  it.each(['input_file_id', 'endpoint', 'completion_window'])('a missing %s is a 400 naming it', async (name) => {
    const body = valid();
    delete body[name];
    expectError(await create(body), 400, { message: `Missing required parameter: '${name}'.`, type: INVALID, param: name, code: 'missing_required_parameter' });
  });

  it('no body at all misses input_file_id first', async () => {
    expectError(await api.call('POST', '/v1/batches'), 400, {
      message: "Missing required parameter: 'input_file_id'.",
      type: INVALID,
      param: 'input_file_id',
      code: 'missing_required_parameter',
    });
  });

  it('a completion_window other than 24h is a 400', async () => {
    expectError(await create({ ...valid(), completion_window: '48h' }), 400, {
      message: "Invalid 'completion_window': completion_window must be '24h'.",
      type: INVALID,
      param: 'completion_window',
      code: 'invalid_request',
    });
  });

  it('an unknown endpoint is a 400', async () => {
    expectError(await create({ ...valid(), endpoint: '/v1/audio/speech' }), 400, {
      message: /^Invalid 'endpoint': endpoint must be one of \/v1\/responses, \/v1\/chat\/completions/,
      type: INVALID,
      param: 'endpoint',
      code: 'invalid_request',
    });
  });

  it('metadata over its limits is a 400', async () => {
    const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expectError(await create({ ...valid(), metadata: seventeen }), 400, {
      message: "Invalid 'metadata': metadata may hold at most 16 pairs.",
      type: INVALID,
      param: 'metadata',
      code: 'invalid_request',
    });
    const longKey = 'k'.repeat(65);
    expectError(await create({ ...valid(), metadata: { [longKey]: 'v' } }), 400, {
      message: "Invalid 'metadata': metadata keys must be at most 64 characters.",
      type: INVALID,
      param: 'metadata',
      code: 'invalid_request',
    });
    expectError(await create({ ...valid(), metadata: { k: 'v'.repeat(513) } }), 400, {
      message: "Invalid 'metadata.k': metadata values must be at most 512 characters.",
      type: INVALID,
      param: 'metadata.k',
      code: 'invalid_request',
    });
    expectError(await create({ ...valid(), metadata: { k: 1 } }), 400, {
      message: "Invalid 'metadata.k': metadata values must be strings.",
      type: INVALID,
      param: 'metadata.k',
      code: 'invalid_request',
    });
    // The limits themselves are allowed.
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${String(i).padStart(64, 'k')}`, 'v'.repeat(512)]));
    const ok = await create({ ...valid(), metadata: sixteen });
    expect(ok.status, ok.text).toBe(200);
    expect(bodyOf(ok).metadata).toEqual(sixteen);
  });

  it('an unknown input file is a 400 naming input_file_id', async () => {
    expectError(await create({ ...valid(), input_file_id: 'file-nope' }), 400, {
      message: 'Cannot find file file-nope, or you do not have access to it.',
      type: INVALID,
      param: 'input_file_id',
      code: 'invalid_request',
    });
  });

  it('cancelling a completed batch is a 4xx envelope, and the upstream is not asked', async () => {
    const before = new Set(fake.batches.keys());
    const id = idOf(await create(valid()));
    const upstreamId = [...fake.batches.keys()].find((k) => !before.has(k)) ?? '';
    await fake.advance(upstreamId, 'in_progress');
    await fake.advance(upstreamId, 'completed');
    expect(bodyOf(await api.call('GET', `/v1/batches/${id}`)).status).toBe('completed');
    const cancels = fake.requests.filter((r) => r.path.endsWith('/cancel')).length;
    expectError(await api.call('POST', `/v1/batches/${id}/cancel`), 400, {
      message: `Cannot cancel batch ${id}: its status is already 'completed'.`,
      type: INVALID,
      param: 'batch_id',
      code: 'invalid_state',
    });
    expect(fake.requests.filter((r) => r.path.endsWith('/cancel')).length).toBe(cancels);
  });
});

describe('unknown ids and routes', () => {
  it.each([
    ['GET', '/v1/files/file-unknown', 'No such File object: file-unknown', 'file_id'],
    ['GET', '/v1/files/file-unknown/content', 'No such File object: file-unknown', 'file_id'],
    ['DELETE', '/v1/files/file-unknown', 'No such File object: file-unknown', 'file_id'],
    ['GET', '/v1/batches/batch_unknown', 'No such Batch object: batch_unknown', 'batch_id'],
    ['POST', '/v1/batches/batch_unknown/cancel', 'No such Batch object: batch_unknown', 'batch_id'],
  ])('%s %s is a 404', async (method, path, message, param) => {
    expectError(await api.call(method, path), 404, { message, type: INVALID, param, code: 'not_found' });
  });

  it('an unknown route is a 404 envelope', async () => {
    expectError(await api.call('GET', '/v1/fine_tuning/jobs?x=1'), 404, {
      message: 'Unknown route: GET /v1/fine_tuning/jobs',
      type: INVALID,
      param: null,
      code: 'not_found',
    });
    expectError(await api.call('PUT', '/v1/files'), 404, { message: 'Unknown route: PUT /v1/files', type: INVALID, param: null, code: 'not_found' });
  });

  it('a list cursor that names no object is a 400', async () => {
    expectError(await api.call('GET', '/v1/files?after=file-unknown'), 400, { message: "after: no such file 'file-unknown'.", type: INVALID, param: 'after', code: 'invalid_request' });
    expectError(await api.call('GET', '/v1/batches?after=batch_unknown'), 400, {
      message: "after: no such batch 'batch_unknown'.",
      type: INVALID,
      param: 'after',
      code: 'invalid_request',
    });
  });
});

describe('malformed bodies and queries', () => {
  it('malformed JSON is a 400 envelope', async () => {
    const reply = await api.call('POST', '/v1/batches', { body: '{"input_file_id": ', headers: { 'content-type': 'application/json' } });
    // OpenAI answers unparseable JSON with code null too.
    expectError(reply, 400, { message: "Body is not valid JSON but content-type is set to 'application/json'", type: INVALID, param: null, code: null });
  });

  it('a JSON body that is not an object is a 400', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      const reply = await api.call('POST', '/v1/batches', { body, headers: { 'content-type': 'application/json' } });
      expect(reply.status, `${body}: ${reply.text}`).toBe(400);
      expect(bodyOf(reply).error).toMatchObject({ type: INVALID });
    }
  });

  it('no bad input is ever answered with a 5xx', async () => {
    const fileId = idOf(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1) }));
    const badJson = { 'content-type': 'application/json' };
    const attempts: Array<() => Promise<Reply>> = [
      () => api.call('POST', '/v1/batches', { body: 'input_file_id=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      () => api.call('POST', '/v1/batches', { body: 'plain', headers: { 'content-type': 'text/plain' } }),
      () => api.call('POST', '/v1/batches', { body: `{"input_file_id":"${fileId}"`, headers: badJson }),
      () => api.call('POST', '/v1/batches', { json: { input_file_id: 42, endpoint: '/v1/chat/completions', completion_window: '24h' } }),
      () => api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: 'x' } }),
      () => api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', output_expires_after: { anchor: 'created_at', seconds: 1 } } }),
      () => api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', output_expires_after: 'soon' } }),
      () => api.call('POST', '/v1/batches', { json: { input_file_id: '', endpoint: '/v1/chat/completions', completion_window: '24h' } }),
      () => api.call('POST', '/v1/batches', { body: '{"__proto__":{"x":1}}', headers: badJson }),
      () => api.call('GET', '/v1/files?limit=abc'),
      () => api.call('GET', '/v1/files?limit=0'),
      () => api.call('GET', '/v1/files?limit=-1'),
      () => api.call('GET', '/v1/files?limit=1.5'),
      () => api.call('GET', '/v1/files?order=sideways'),
      () => api.call('GET', '/v1/files?after='),
      () => api.call('GET', '/v1/files?limit=1&limit=2'),
      () => api.call('GET', '/v1/batches?limit=abc'),
      () => api.call('GET', '/v1/batches?limit=1e3'),
      () => api.call('GET', '/v1/files/%00'),
      () => api.call('GET', '/v1/files/%E0%A4%A'),
      () => api.call('GET', `/v1/files/${'x'.repeat(5000)}`),
      () => api.call('GET', '/v1/batches/..%2F..%2Fetc'),
      () => api.call('POST', '/v1/batches/batch_x/cancel', { body: '{bad', headers: badJson }),
      () => api.call('POST', '/v1/batches', { body: '', headers: badJson }),
      () => api.call('POST', '/v1/batches', { body: `{"input_file_id":"${'x'.repeat(9 * 1024 * 1024)}"}`, headers: badJson }),
      () => api.upload('/v1/files', { content: 'not json\n' }),
      () => api.upload('/v1/files', { content: '[1,2]\n' }),
      () => api.upload('/v1/files', { content: '{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}\n' }),
      () => api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields: { 'expires_after[seconds]': '99999999999999999999999' , 'expires_after[anchor]': 'created_at' } }),
      () => api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields: { model: 'no-such-model' } }),
      () => api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields: { target_model_names: 'no-such-group' } }),
      () => api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), headers: { 'custom-llm-provider': 'vertex_ai' } }),
      () => api.upload('/bedrock/v1/files', { content: jsonl('gpt-4o-mini', 1) }),
      () => api.upload('/v1/files?custom_llm_provider=nope', { content: jsonl('gpt-4o-mini', 1) }),
      () => api.call('POST', '/v1/files', { body: '--x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n', headers: { 'content-type': 'multipart/form-data; boundary=x' } }),
      () => {
        const form = new FormData();
        form.append('purpose', 'batch');
        form.append('file', new Blob(['a']), 'a.jsonl');
        form.append('file', new Blob(['b']), 'b.jsonl');
        return api.call('POST', '/v1/files', { body: form });
      },
      () => {
        const form = new FormData();
        form.append('purpose', 'batch');
        form.append('document', new Blob([jsonl('gpt-4o-mini', 1)]), 'a.jsonl');
        return api.call('POST', '/v1/files', { body: form });
      },
    ];
    const wrong: string[] = [];
    for (const [i, attempt] of attempts.entries()) {
      const reply = await attempt();
      const error: unknown = typeof reply.json === 'object' && reply.json !== null ? (reply.json as { error?: unknown }).error : undefined;
      const keys = typeof error === 'object' && error !== null ? Object.keys(error).sort().join(',') : '';
      if (reply.status < 400 || reply.status >= 500 || keys !== 'code,message,param,type') wrong.push(`#${i}: ${reply.status} ${reply.text.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);
  });
});
