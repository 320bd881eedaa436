/**
 * Upstream failures as clients see them (issue 2 point 9): upstream 4xx keep their status and
 * message (and Retry-After); 5xx become 502 naming the deployment, never its key; a hang becomes
 * 504 once `router_settings.timeout` runs out; an unreachable deployment is a 502. Every answer
 * is the exact OpenAI envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectError, idOf, jsonl, WireClient, type Reply } from '../conformance/wire-client.js';

const OPENAI_KEY = 'sk-upstream-errors-openai-0123456789';
const AZURE_KEY = 'azure-upstream-errors-key-0123456789';
const FLAKY_KEY = 'sk-upstream-errors-flaky-0123456789';
const SECRETS = [OPENAI_KEY, AZURE_KEY, FLAKY_KEY];

let openai: FakeUpstream;
let azure: FakeUpstream;
let flaky: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;

beforeAll(async () => {
  openai = await startFakeUpstream({ flavor: 'openai', apiKey: OPENAI_KEY, autoProgress: false });
  azure = await startFakeUpstream({ flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'classic', autoProgress: false });
  flaky = await startFakeUpstream({ flavor: 'openai', apiKey: FLAKY_KEY, autoProgress: false });
  gw = await startGateway({
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.baseUrl}
      api_key: os.environ/OPENAI_KEY
    model_info:
      id: openai-primary
  - model_name: gpt-4o-mini-azure
    litellm_params:
      model: azure/gpt-4o-mini-batch
      api_base: ${azure.baseUrl}
      api_key: os.environ/AZURE_KEY
      api_version: "2025-04-01-preview"
    model_info:
      id: azure-eu
  - model_name: flaky-group
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${flaky.baseUrl}
      api_key: os.environ/FLAKY_KEY
    model_info:
      id: openai-flaky
  - model_name: pair
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.baseUrl}
      api_key: os.environ/OPENAI_KEY
    model_info:
      id: pair-a
  - model_name: pair
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${flaky.baseUrl}
      api_key: os.environ/FLAKY_KEY
    model_info:
      id: pair-b
router_settings:
  timeout: 1
`,
    env: { OPENAI_KEY, AZURE_KEY, FLAKY_KEY },
  });
  api = new WireClient(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([openai?.close(), azure?.close(), flaky?.close()]);
});

/** No secret in the body or in any header of the answer. */
const expectNoSecrets = (reply: Reply): void => {
  const everything = `${reply.text}\n${[...reply.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
};

/** Uploads to one deployment: the model group picks it (two deployments are of provider openai). */
const uploadTo = async (group: string, model: string): Promise<string> =>
  idOf(await api.upload('/v1/files', { content: jsonl(model, 2), fields: { model: group } }));

const createBatch = (fileId: string): Promise<Reply> =>
  api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } });

/** A batch on the given fake, still `validating` there; returns the gateway id. */
const runningBatch = async (fileId: string): Promise<string> => idOf(await createBatch(fileId));

describe('upstream 4xx keep their status and message', () => {
  let openaiFile: string;
  beforeAll(async () => {
    openaiFile = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
  });

  it('400 from OpenAI on batch create, with its type, param and code', async () => {
    openai.failNext('createBatch', {
      status: 400,
      body: { error: { message: 'Enqueued token limit reached for gpt-4o-mini.', type: 'invalid_request_error', param: 'input_file_id', code: 'token_limit_exceeded' } },
    });
    const reply = await createBatch(openaiFile);
    expectError(reply, 400, { message: 'Enqueued token limit reached for gpt-4o-mini.', type: 'invalid_request_error', param: 'input_file_id', code: 'token_limit_exceeded' });
    expectNoSecrets(reply);
  });

  it('403 from OpenAI on upload', async () => {
    openai.failNext('uploadFile', { status: 403 });
    const reply = await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields: { model: 'gpt-4o-mini' } });
    expectError(reply, 403, { message: 'Injected failure (HTTP 403).', type: 'invalid_request_error', param: null, code: null });
    expectNoSecrets(reply);
  });

  it('429 with Retry-After from OpenAI on batch retrieve', async () => {
    const id = await runningBatch(openaiFile);
    openai.failNext('retrieveBatch', { status: 429, headers: { 'retry-after': '3' } });
    const reply = await api.call('GET', `/v1/batches/${id}`);
    expectError(reply, 429, { message: 'Rate limit reached for requests. Please try again later.', type: 'rate_limit_error', param: null, code: null });
    expect(reply.headers.get('retry-after')).toBe('3');
    // The next retrieve goes through again.
    expect(bodyOf(await api.call('GET', `/v1/batches/${id}`)).id).toBe(id);
  });

  it('429 with Retry-After on batch create, when no other deployment holds the file', async () => {
    openai.failNext('createBatch', { status: 429, headers: { 'retry-after': '7' } });
    const reply = await createBatch(openaiFile);
    expectError(reply, 429, { message: 'Rate limit reached for requests. Please try again later.', type: 'rate_limit_error', param: null, code: null });
    expect(reply.headers.get('retry-after')).toBe('7');
  });

  it('400 from Azure (authoring-style envelope) keeps its message and code', async () => {
    const fileId = await uploadTo('gpt-4o-mini-azure', 'gpt-4o-mini-batch');
    azure.failNext('createBatch', { status: 400, body: { error: { code: 'invalidPayload', message: 'The input file is not valid for this deployment.', target: 'input_file_id', details: [] } } });
    const reply = await createBatch(fileId);
    expectError(reply, 400, { message: 'The input file is not valid for this deployment.', type: 'invalid_request_error', param: 'input_file_id', code: 'invalidPayload' });
    expectNoSecrets(reply);
  });

  it('404 from the upstream for content that is gone is our own 404', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    openai.failNext('fileContent', { status: 404 });
    expectError(await api.call('GET', `/v1/files/${fileId}/content`), 404, {
      message: `The content of file ${fileId} is no longer available upstream.`,
      type: 'invalid_request_error',
      param: 'file_id',
      code: 'not_found',
    });
  });
});

describe('upstream messages never show upstream ids', () => {
  /** The upstream id of the newest object the fake holds, found by diffing around `action`. */
  const minted = async <T>(map: () => ReadonlyMap<string, unknown>, action: () => Promise<T>): Promise<{ result: T; upstreamId: string }> => {
    const before = new Set(map().keys());
    const result = await action();
    const upstreamId = [...map().keys()].find((k) => !before.has(k));
    if (upstreamId === undefined) throw new Error('the fake minted nothing');
    return { result, upstreamId };
  };

  it('a 400 on batch create naming the upstream file shows the gateway file id', async () => {
    const { result: fileId, upstreamId } = await minted(() => openai.files, () => uploadTo('gpt-4o-mini', 'gpt-4o-mini'));
    openai.failNext('createBatch', {
      status: 400,
      body: { error: { message: `Cannot find file ${upstreamId}, or project proj_abc does not have access to it.`, type: 'invalid_request_error', param: 'input_file_id', code: null } },
    });
    const reply = await createBatch(fileId);
    expectError(reply, 400, { message: `Cannot find file ${fileId}, or project proj_abc does not have access to it.`, type: 'invalid_request_error', param: 'input_file_id', code: null });
  });

  it('a 404 on batch retrieve naming the upstream batch shows the gateway batch id', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    const { result: batchId, upstreamId } = await minted(() => openai.batches, () => runningBatch(fileId));
    openai.failNext('retrieveBatch', { status: 404, body: { error: { message: `No batch found with id '${upstreamId}'.`, type: 'invalid_request_error', param: null, code: null } } });
    expectError(await api.call('GET', `/v1/batches/${batchId}`), 404, { message: `No batch found with id '${batchId}'.`, type: 'invalid_request_error', param: null, code: null });
    openai.failNext('cancelBatch', { status: 409, body: { error: { message: `Batch ${upstreamId} cannot be cancelled now.`, type: 'invalid_request_error', param: null, code: null } } });
    expectError(await api.call('POST', `/v1/batches/${batchId}/cancel`), 409, { message: `Batch ${batchId} cannot be cancelled now.`, type: 'invalid_request_error', param: null, code: null });
  });

  it('batch-level errors naming the upstream input file or batch show the gateway ids', async () => {
    const { result: fileId, upstreamId: upstreamFile } = await minted(() => openai.files, () => uploadTo('gpt-4o-mini', 'gpt-4o-mini'));
    const { result: batchId, upstreamId: upstreamBatch } = await minted(() => openai.batches, () => runningBatch(fileId));
    openai.overrideBatch(upstreamBatch, {
      errors: {
        object: 'list',
        data: [{ code: 'invalid_request', message: `Input file ${upstreamFile} of batch ${upstreamBatch} no longer exists.`, param: 'input_file_id', line: null }],
      },
    });
    await openai.advance(upstreamBatch, 'failed');
    const reply = await api.call('GET', `/v1/batches/${batchId}`);
    expect(bodyOf(reply)).toMatchObject({
      status: 'failed',
      errors: { object: 'list', data: [{ code: 'invalid_request', message: `Input file ${fileId} of batch ${batchId} no longer exists.`, param: 'input_file_id', line: null }] },
    });
    // Stored as shown: a terminal batch is answered from the store from now on.
    expect((await api.call('GET', `/v1/batches/${batchId}`)).text).toBe(reply.text);
  });

  it('a 5xx on file delete naming the upstream file shows the gateway file id', async () => {
    const { result: fileId, upstreamId } = await minted(() => openai.files, () => uploadTo('gpt-4o-mini', 'gpt-4o-mini'));
    openai.failNext('deleteFile', { status: 500, body: { error: { message: `could not delete ${upstreamId}`, type: 'server_error' } } });
    expectError(await api.call('DELETE', `/v1/files/${fileId}`), 502, {
      message: `Deployment 'openai-primary' failed with status 500: could not delete ${fileId}`,
      type: 'server_error',
      param: null,
      code: 'upstream_error',
    });
    openai.failNext('fileContent', { status: 403, body: { error: { message: `no access to ${upstreamId}`, type: 'invalid_request_error' } } });
    expectError(await api.call('GET', `/v1/files/${fileId}/content`), 403, { message: `no access to ${fileId}`, type: 'invalid_request_error', param: null, code: null });
  });
});

describe('upstream 5xx, hangs and outages', () => {
  it('500 becomes a 502 naming the deployment', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    openai.failNext('createBatch', { status: 500 });
    const reply = await createBatch(fileId);
    expectError(reply, 502, {
      message: "Deployment 'openai-primary' failed with status 500: The server had an error while processing your request. Sorry about that!",
      type: 'server_error',
      param: null,
      code: 'upstream_error',
    });
    expectNoSecrets(reply);
  });

  it('a 5xx body that echoes the upstream key never shows it', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    const id = await runningBatch(fileId);
    openai.failNext('retrieveBatch', { status: 503, body: { error: { message: `proxy rejected Authorization: Bearer ${OPENAI_KEY}`, type: 'server_error' } } });
    const reply = await api.call('GET', `/v1/batches/${id}`);
    expectError(reply, 502, {
      message: "Deployment 'openai-primary' failed with status 503: proxy rejected Authorization: Bearer [REDACTED]",
      type: 'server_error',
      param: null,
      code: 'upstream_error',
    });
    expectNoSecrets(reply);
  });

  it('a 5xx with a non-JSON (HTML) body is still a 502 envelope', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    openai.failNext('fileContent', { status: 502, body: '<html><head><title>502 Bad Gateway</title></head></html>' });
    const reply = await api.call('GET', `/v1/files/${fileId}/content`);
    expectError(reply, 502, {
      message: "Deployment 'openai-primary' failed with status 502: HTTP 502 with an HTML page: 502 Bad Gateway",
      type: 'server_error',
      param: null,
      code: 'upstream_error',
    });
  });

  it('an upstream that never answers a batch retrieve is a 504 once router_settings.timeout runs out', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    const id = await runningBatch(fileId);
    openai.hangNext('retrieveBatch');
    const reply = await api.call('GET', `/v1/batches/${id}`);
    expectError(reply, 504, { message: "Deployment 'openai-primary' did not answer in time.", type: 'server_error', param: null, code: 'upstream_timeout' });
    expectNoSecrets(reply);
  });

  it('an upstream that never answers an upload is a 504', async () => {
    openai.hangNext('uploadFile');
    const reply = await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1), fields: { model: 'gpt-4o-mini' } });
    expectError(reply, 504, { message: "Deployment 'openai-primary' did not answer in time.", type: 'server_error', param: null, code: 'upstream_timeout' });
  });

  it('an upstream that never answers a batch create is a 504', async () => {
    const fileId = await uploadTo('gpt-4o-mini', 'gpt-4o-mini');
    openai.hangNext('createBatch');
    expectError(await createBatch(fileId), 504, { message: "Deployment 'openai-primary' did not answer in time.", type: 'server_error', param: null, code: 'upstream_timeout' });
  });

  it('a deployment that is down is a 502 naming it, for reads and for new objects', async () => {
    const before = flaky.files.size;
    const fileId = idOf(await api.upload('/v1/files', { content: jsonl('flaky-group', 2), fields: { model: 'flaky-group' } }));
    expect(flaky.files.size).toBe(before + 1);
    const id = await runningBatch(fileId);
    await flaky.down();
    try {
      const retrieve = await api.call('GET', `/v1/batches/${id}`);
      expectError(retrieve, 502, { message: "Deployment 'openai-flaky' could not be reached.", type: 'server_error', param: null, code: 'upstream_error' });
      expectNoSecrets(retrieve);
      expectError(await api.call('GET', `/v1/files/${fileId}/content`), 502, {
        message: "Deployment 'openai-flaky' could not be reached.",
        type: 'server_error',
        param: null,
        code: 'upstream_error',
      });
      expectError(await api.upload('/v1/files', { content: jsonl('flaky-group', 1), fields: { model: 'flaky-group' } }), 502, {
        message: "Deployment 'openai-flaky' could not be reached.",
        type: 'server_error',
        param: null,
        code: 'upstream_error',
      });
      // Metadata the gateway holds itself is still served.
      expect(bodyOf(await api.call('GET', `/v1/files/${fileId}`)).id).toBe(fileId);
    } finally {
      await flaky.up();
    }
    expect(bodyOf(await api.call('GET', `/v1/batches/${id}`)).id).toBe(id);
  });

  it('a request whose upstream calls together outlast twice the timeout is a 504, never a 500', async () => {
    // A managed file on both deployments of 'pair': placement tries one, times out, tries the other.
    const fileId = idOf(await api.upload('/v1/files', { content: jsonl('pair', 2), fields: { target_model_names: 'pair' } }));
    openai.hangNext('createBatch');
    flaky.hangNext('createBatch');
    const reply = await createBatch(fileId);
    expectError(reply, 504, { message: /^(Deployment 'pair-[ab]' did not answer in time\.|The request did not complete within 2 s\.)$/, type: 'server_error', param: null, code: 'upstream_timeout' });
    // Both deployments were tried.
    const creates = (fake: FakeUpstream): number => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/batches').length;
    expect(creates(openai)).toBeGreaterThan(0);
    expect(creates(flaky)).toBeGreaterThan(0);
  });
});
