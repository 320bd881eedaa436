/**
 * Authentication (issue 2 point 8): with a master key every Files and Batches route, under every
 * prefix, needs it (as `Authorization: Bearer` or the `api-key` header Azure clients send) and
 * answers 401 in the OpenAI envelope otherwise; health needs nothing. Without a master key, no
 * route asks for one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectError, expectNoUpstreamIds, idOf, jsonl, WireClient, type Reply } from '../conformance/wire-client.js';

const MASTER_KEY = 'sk-master-routes-auth';
const UPSTREAM_KEY = 'sk-upstream-routes-auth';
const PREFIXES = ['', '/v1', '/openai/v1'] as const;

const yaml = (fake: FakeUpstream, masterKey: boolean): string => `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
${masterKey ? 'general_settings:\n  master_key: os.environ/MASTER\n' : ''}`;

let fake: FakeUpstream;
let locked: InProcessGateway;
let open: InProcessGateway;
let lockedApi: WireClient;
let openApi: WireClient;
/** A file and a batch on each gateway (each has its own store). */
interface Objects {
  readonly fileId: string;
  readonly batchId: string;
}
let lockedObjects: Objects;
let openObjects: Objects;

const seed = async (api: WireClient, key?: string): Promise<Objects> => {
  const auth = key === undefined ? {} : { key };
  const fileId = idOf(await api.upload('/v1/files', { ...auth, content: jsonl('gpt-4o-mini', 1) }));
  const batchId = idOf(await api.call('POST', '/v1/batches', { ...auth, json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } }));
  return { fileId, batchId };
};

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY, autoProgress: false });
  locked = await startGateway({ yaml: yaml(fake, true), env: { UPSTREAM_KEY, MASTER: MASTER_KEY } });
  open = await startGateway({ yaml: yaml(fake, false), env: { UPSTREAM_KEY } });
  lockedApi = new WireClient(locked.url);
  openApi = new WireClient(open.url);
  lockedObjects = await seed(lockedApi, MASTER_KEY);
  openObjects = await seed(openApi);
});

afterAll(async () => {
  await locked?.close();
  await open?.close();
  await fake?.close();
});

type Credentials = { readonly key?: string; readonly headers?: Record<string, string> };

/** Every Files and Batches route, as a request that would succeed with the right key. */
type Send = (api: WireClient, prefix: string, auth: Credentials, objects: Objects) => Promise<Reply>;

/**
 * Every Files and Batches route, as a request that succeeds with the right key. Delete and cancel
 * name unknown ids (answered 404) so the objects stay usable for every other row.
 */
const ROUTES: ReadonlyArray<{ name: string; send: Send }> = [
  { name: 'POST /files', send: (api, p, auth) => api.upload(`${p}/files`, { ...auth, content: jsonl('gpt-4o-mini', 1) }) },
  { name: 'GET /files', send: (api, p, auth) => api.call('GET', `${p}/files`, auth) },
  { name: 'GET /files/{id}', send: (api, p, auth, o) => api.call('GET', `${p}/files/${o.fileId}`, auth) },
  { name: 'GET /files/{id}/content', send: (api, p, auth, o) => api.call('GET', `${p}/files/${o.fileId}/content`, auth) },
  { name: 'DELETE /files/{id}', send: (api, p, auth) => api.call('DELETE', `${p}/files/file-unknown`, auth) },
  { name: 'POST /batches', send: (api, p, auth, o) => api.call('POST', `${p}/batches`, { ...auth, json: { input_file_id: o.fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } }) },
  { name: 'GET /batches', send: (api, p, auth) => api.call('GET', `${p}/batches`, auth) },
  { name: 'GET /batches/{id}', send: (api, p, auth, o) => api.call('GET', `${p}/batches/${o.batchId}`, auth) },
  { name: 'POST /batches/{id}/cancel', send: (api, p, auth) => api.call('POST', `${p}/batches/batch_unknown/cancel`, auth) },
];
const answersNotFound = (name: string): boolean => name === 'DELETE /files/{id}' || name === 'POST /batches/{id}/cancel';

const MATRIX = PREFIXES.flatMap((prefix) => ROUTES.map((route) => ({ prefix, ...route })));

describe('with a master key', () => {
  it.each(MATRIX)('$prefix $name answers 401 without a key, or with a wrong one', async ({ prefix, send }) => {
    const before = fake.requests.length;
    for (const auth of [{}, { key: 'sk-wrong' }, { headers: { 'api-key': 'sk-wrong' } }, { headers: { authorization: MASTER_KEY.slice(0, -1) } }]) {
      const reply = await send(lockedApi, prefix, auth, lockedObjects);
      expectError(reply, 401, { message: /\S/, type: 'authentication_error', param: null, code: 'invalid_api_key' });
    }
    expect(fake.requests.length, 'an unauthenticated request reached the upstream').toBe(before);
  });

  it.each(MATRIX)('$prefix $name accepts the key as Bearer and as api-key', async ({ prefix, name, send }) => {
    for (const auth of [{ key: MASTER_KEY }, { headers: { 'api-key': MASTER_KEY } }]) {
      const reply = await send(lockedApi, prefix, auth, lockedObjects);
      expect(reply.status, `${JSON.stringify(auth)}: ${reply.text}`).toBe(answersNotFound(name) ? 404 : 200);
    }
  });

  it('health needs no key', async () => {
    expect((await lockedApi.call('GET', '/health/liveliness')).status).toBe(200);
    const ready = await lockedApi.call('GET', '/health/readiness');
    expect(ready.status).toBe(200);
    expect(bodyOf(ready)).toMatchObject({ status: 'healthy' });
  });
});

describe('without a master key', () => {
  it.each(MATRIX)('$prefix $name needs no key', async ({ prefix, name, send }) => {
    const reply = await send(openApi, prefix, {}, openObjects);
    expect(reply.status, reply.text).toBe(answersNotFound(name) ? 404 : 200);
  });

  it('a key sent anyway is ignored', async () => {
    expect((await openApi.call('GET', '/v1/files', { key: 'sk-anything' })).status).toBe(200);
  });
});

describe('raw upstream ids', () => {
  it('never appear in any answer of this suite', () => {
    expectNoUpstreamIds([...lockedApi.transcript, ...openApi.transcript], [fake]);
  });
});
