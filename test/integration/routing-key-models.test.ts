/**
 * Plain uploads routed by provider or by their lines only ever reach deployments the key may use
 * (issue 7 point 9): a key limited to `model-a` got 200 or 403 at random when it named the
 * provider, because provider routing picked any deployment of that provider. Now the same request
 * always gets the same answer, a batch upload prefers the deployment its lines name, and a key
 * that may use no deployment gets a 403 naming the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { Api, MASTER_KEY, jsonl, type ErrorReply } from './keys-support.js';

const KEY_A = 'sk-routing-a-0123456789';
const KEY_B = 'sk-routing-b-0123456789';
const TRIES = 8;

let fakeA: FakeUpstream;
let fakeB: FakeUpstream;
let gw: InProcessGateway;
let api: Api;
/** May use model-a only. */
let keyA: string;
/** May use model-c only, which no deployment serves. */
let keyC: string;

beforeAll(async () => {
  fakeA = await startFakeUpstream({ flavor: 'openai', apiKey: KEY_A, autoProgress: false });
  fakeB = await startFakeUpstream({ flavor: 'openai', apiKey: KEY_B, autoProgress: false });
  // model-b first: it is the default deployment, which a model-a key may not use.
  gw = await startGateway({
    yaml: `model_list:
  - model_name: model-b
    litellm_params:
      model: openai/gpt-4o
      api_base: ${fakeB.baseUrl}
      api_key: os.environ/KEY_B
    model_info:
      id: deployment-b
  - model_name: model-a
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fakeA.baseUrl}
      api_key: os.environ/KEY_A
    model_info:
      id: deployment-a
general_settings:
  master_key: os.environ/MASTER
`,
    env: { KEY_A, KEY_B, MASTER: MASTER_KEY },
  });
  api = new Api(gw.url);
  keyA = (await api.generateKey({ models: ['model-a'] })).key;
  keyC = (await api.generateKey({ models: ['model-c'] })).key;
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([fakeA?.close(), fakeB?.close()]);
});

interface UploadReply {
  readonly status: number;
  readonly body: { readonly id?: string } & Partial<ErrorReply>;
}

const upload = async (
  key: string,
  content: string,
  options: { purpose?: string; headers?: Record<string, string> } = {},
): Promise<UploadReply> => {
  const form = new FormData();
  form.append('purpose', options.purpose ?? 'batch');
  form.append('file', new Blob([content], { type: 'application/jsonl' }), 'input.jsonl');
  const res = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...options.headers }, body: form });
  return { status: res.status, body: (await res.json()) as UploadReply['body'] };
};

const PROVIDER = { 'custom-llm-provider': 'openai' };

/** Runs `TRIES` identical uploads and says how many landed on each fake. */
const uploadMany = async (run: () => Promise<UploadReply>): Promise<{ statuses: number[]; a: number; b: number }> => {
  const before = { a: fakeA.files.size, b: fakeB.files.size };
  const statuses: number[] = [];
  for (let i = 0; i < TRIES; i++) {
    const reply = await run();
    statuses.push(reply.status);
    if (reply.status !== 200) throw new Error(`upload ${i + 1} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return { statuses, a: fakeA.files.size - before.a, b: fakeB.files.size - before.b };
};

describe('a key limited to model-a', () => {
  it('with custom-llm-provider: openai, eight identical batch uploads all land on the model-a deployment', async () => {
    const result = await uploadMany(() => upload(keyA, jsonl(['model-a', 'model-a']), { headers: PROVIDER }));
    expect(result).toEqual({ statuses: Array(TRIES).fill(200), a: TRIES, b: 0 });
  });

  it('with custom-llm-provider: openai, eight uploads that are not batch files (no lines to go by) too', async () => {
    const result = await uploadMany(() => upload(keyA, 'just some text\n', { purpose: 'user_data', headers: PROVIDER }));
    expect(result).toEqual({ statuses: Array(TRIES).fill(200), a: TRIES, b: 0 });
  });

  it('with lines naming model-a and no provider header, never the default (model-b) deployment', async () => {
    const result = await uploadMany(() => upload(keyA, jsonl(['model-a'])));
    expect(result).toEqual({ statuses: Array(TRIES).fill(200), a: TRIES, b: 0 });
  });

  it.each([
    ['no provider', {}],
    ['custom-llm-provider: openai', PROVIDER],
  ])('with a model hint naming model-b and %s, a 403 naming the model, never a quiet re-route', async (_what, headers) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('model', 'model-b');
    form.append('file', new Blob([jsonl(['model-a'])]), 'input.jsonl');
    const before = { a: fakeA.files.size, b: fakeB.files.size };
    const res = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${keyA}`, ...headers }, body: form });
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as ErrorReply;
    expect(error).toMatchObject({ type: 'permission_error', code: 'model_access_denied' });
    expect(error.message).toContain("'model-b'");
    expect({ a: fakeA.files.size, b: fakeB.files.size }).toEqual(before);
  });
});

describe('a key that may use every group', () => {
  it('with custom-llm-provider: openai, goes where the lines point', async () => {
    expect(await uploadMany(() => upload(MASTER_KEY, jsonl(['model-a']), { headers: PROVIDER }))).toMatchObject({ a: TRIES, b: 0 });
    expect(await uploadMany(() => upload(MASTER_KEY, jsonl(['model-b']), { headers: PROVIDER }))).toMatchObject({ a: 0, b: TRIES });
    // Lines may name a deployment by its upstream model too.
    expect(await uploadMany(() => upload(MASTER_KEY, jsonl(['gpt-4o-mini']), { headers: PROVIDER }))).toMatchObject({ a: TRIES, b: 0 });
  });

  it('with no hint and no lines to go by, keeps the default deployment', async () => {
    expect(await uploadMany(() => upload(MASTER_KEY, 'text\n', { purpose: 'user_data' }))).toMatchObject({ a: 0, b: TRIES });
  });
});

describe('a key limited to model-c, which no deployment serves', () => {
  const expectDenied = (reply: UploadReply, mentions: string): void => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(403);
    expect(Object.keys(reply.body)).toEqual(['error']);
    expect(reply.body.error).toMatchObject({ type: 'permission_error', code: 'model_access_denied' });
    expect(reply.body.error?.message).toContain(mentions);
  };

  it('gets a 403 naming the provider, and nothing reaches an upstream', async () => {
    const before = { a: fakeA.files.size, b: fakeB.files.size };
    const reply = await upload(keyC, jsonl(['model-c']), { headers: PROVIDER });
    expectDenied(reply, "provider 'openai'");
    expect(reply.body.error?.param).toBe('custom_llm_provider');
    expectDenied(await upload(keyC, 'text\n', { purpose: 'user_data', headers: PROVIDER }), "provider 'openai'");
    expectDenied(await upload(keyC, jsonl(['model-c'])), 'any configured deployment');
    expect({ a: fakeA.files.size, b: fakeB.files.size }).toEqual(before);
  });

  it('a provider with no deployment at all is a 400 no_deployment naming it', async () => {
    const reply = await upload(keyC, jsonl(['model-c']), { headers: { 'custom-llm-provider': 'azure' } });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'no_deployment', param: 'custom_llm_provider' });
    expect(reply.body.error?.message).toContain("provider 'azure'");
  });
});
