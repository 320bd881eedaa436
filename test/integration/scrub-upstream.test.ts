/**
 * Every string an upstream writes is scrubbed before a client sees it or the store keeps it
 * (issue 7 point 5): an upstream 4xx's message, type, param and code, and a batch's
 * `errors.data[]` message, code and param. Upstream ids the gateway knows become gateway ids;
 * other raw ids, bucket URIs, URLs and keys become `[redacted]`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/errors/scrub.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectError, expectNoUpstreamIds, idOf, jsonl, WireClient, type Reply } from '../conformance/wire-client.js';

const OPENAI_KEY = 'sk-scrub-suite-openai-0123456789';
/** Strings no answer and no stored batch may contain. */
const LEAKS = [
  'gs://',
  's3://',
  'blob.core.windows.net',
  'https://',
  'arn:aws',
  'sk-ant-',
  'AKIAIOSFODNN7EXAMPLE',
  'projects/',
  'msgbatch_',
  'd41d8cd98f00b204e9800998ecf8427e',
];

let openai: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;

beforeAll(async () => {
  openai = await startFakeUpstream({ flavor: 'openai', apiKey: OPENAI_KEY, autoProgress: false });
  gw = await startGateway({
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.baseUrl}
      api_key: os.environ/OPENAI_KEY
    model_info:
      id: openai-primary
`,
    env: { OPENAI_KEY },
  });
  api = new WireClient(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await openai?.close();
});

const expectNoLeaks = (text: string): void => {
  for (const leak of LEAKS) expect(text).not.toContain(leak);
  expect(text).not.toContain(OPENAI_KEY);
};

/** The upstream id of the newest object the fake holds, found by diffing around `action`. */
const minted = async <T>(map: () => ReadonlyMap<string, unknown>, action: () => Promise<T>): Promise<{ result: T; upstreamId: string }> => {
  const before = new Set(map().keys());
  const result = await action();
  const upstreamId = [...map().keys()].find((k) => !before.has(k));
  if (upstreamId === undefined) throw new Error('the fake minted nothing');
  return { result, upstreamId };
};

const upload = (): Promise<string> => api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 2) }).then(idOf);

const createBatch = (fileId: string): Promise<Reply> =>
  api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } });

describe('an upstream 4xx', () => {
  it('reaches the client with every field scrubbed, known ids as gateway ids', async () => {
    const { result: fileId, upstreamId } = await minted(() => openai.files, upload);
    openai.failNext('createBatch', {
      status: 400,
      body: {
        error: {
          message: `File ${upstreamId} (gs://acme-batches/in/${upstreamId}.jsonl) failed; see https://acct.blob.core.windows.net/c/log?sig=abc, batch batch_5f3b2f28-3c2e-4b55-a3c2-1a0f5e4d3c2b, key sk-ant-api03-AbCdEf0123456789, Bearer ${OPENAI_KEY}.`,
          type: 'invalid_request_error arn:aws:iam::123456789012:role/batch',
          param: `s3://acme-batches/${upstreamId}`,
          code: `missing_${upstreamId} AKIAIOSFODNN7EXAMPLE`,
        },
      },
    });
    const reply = await createBatch(fileId);
    expectError(reply, 400, {
      message: `File ${fileId} (${REDACTED}${fileId}.jsonl) failed; see ${REDACTED}, batch ${REDACTED}, key ${REDACTED}, Bearer [REDACTED].`,
      type: `invalid_request_error ${REDACTED}`,
      param: `${REDACTED}${fileId}`,
      code: `missing_${fileId} ${REDACTED}`,
    });
    expectNoLeaks(reply.text);
  });

  it('on a read, names the batch by its gateway id and nothing else upstream', async () => {
    const fileId = await upload();
    const { result: batchId, upstreamId } = await minted(() => openai.batches, async () => idOf(await createBatch(fileId)));
    openai.failNext('retrieveBatch', {
      status: 404,
      body: {
        error: {
          message: `No batch ${upstreamId} in projects/acme/locations/us-central1/batchPredictionJobs/123456789 or msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d.`,
          type: 'invalid_request_error',
          param: `batch:${upstreamId}`,
          code: 'd41d8cd98f00b204e9800998ecf8427e',
        },
      },
    });
    const reply = await api.call('GET', `/v1/batches/${batchId}`);
    expectError(reply, 404, {
      message: `No batch ${batchId} in ${REDACTED} or ${REDACTED}.`,
      type: 'invalid_request_error',
      param: `batch:${batchId}`,
      code: REDACTED,
    });
    expectNoLeaks(reply.text);
  });

  it('a 5xx code and message are scrubbed too', async () => {
    const fileId = await upload();
    openai.failNext('fileContent', { status: 500, body: { error: { message: 'read gs://acme/x failed', type: 'server_error', code: 'arn:aws:s3:::acme' } } });
    expectError(await api.call('GET', `/v1/files/${fileId}/content`), 502, {
      message: `Deployment 'openai-primary' failed with status 500: read ${REDACTED} failed`,
      type: 'server_error',
      param: null,
      code: REDACTED,
    });
  });
});

describe("a batch's errors.data", () => {
  it('is returned and stored scrubbed', async () => {
    const { result: fileId, upstreamId: upstreamFile } = await minted(() => openai.files, upload);
    const { result: batchId, upstreamId: upstreamBatch } = await minted(() => openai.batches, async () => idOf(await createBatch(fileId)));
    openai.overrideBatch(upstreamBatch, {
      errors: {
        object: 'list',
        data: [
          {
            code: `invalid_${upstreamFile}`,
            message: `Input ${upstreamFile} of ${upstreamBatch} could not be read from s3://acme/in.jsonl (https://acme.s3.amazonaws.com/in.jsonl, key AKIAIOSFODNN7EXAMPLE).`,
            param: 'gs://acme/in.jsonl',
            line: 3,
          },
          { code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o-mini.', param: null, line: null },
        ],
      },
    });
    await openai.advance(upstreamBatch, 'failed');
    const expected = [
      {
        code: `invalid_${fileId}`,
        message: `Input ${fileId} of ${batchId} could not be read from ${REDACTED} (${REDACTED}, key ${REDACTED}).`,
        param: REDACTED,
        line: 3,
      },
      { code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o-mini.', param: null, line: null },
    ];
    const reply = await api.call('GET', `/v1/batches/${batchId}`);
    expect(bodyOf(reply)).toMatchObject({ status: 'failed', errors: { object: 'list', data: expected } });
    expectNoLeaks(reply.text);

    const stored = await gw.gateway.store.batches.get(batchId);
    expect(stored?.object.errors).toEqual({ object: 'list', data: expected });
    expectNoLeaks(JSON.stringify(stored));
    // A terminal batch is answered from the store from now on: the same scrubbed text.
    expect((await api.call('GET', `/v1/batches/${batchId}`)).text).toBe(reply.text);
  });
});

it('no answer of this suite showed a raw upstream id', () => {
  expectNoUpstreamIds(api.transcript, [openai]);
});
