/**
 * Model discovery and deployment health (issue 3, "What must work" 7 and 8): `/model_group/info`,
 * `/v1/model/info` and `/v1/models` in LiteLLM's and OpenAI's shapes, limited to the caller's
 * groups and free of secrets; admin-only `GET /health` checking each deployment with a cheap
 * files listing, never a chat call (LiteLLM #5279), and reporting a down deployment unhealthy.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { ENV, GROUP, MASTER_KEY, OTHER_GROUP, UPSTREAM, managedYaml, newClient, startFakes, type Fakes } from './managed-support.js';

interface GroupInfo {
  model_group: string;
  providers: string[];
  mode: string;
  supports_batch: boolean;
  tpm: number | null;
  rpm: number | null;
  [field: string]: unknown;
}

interface Endpoint {
  model: string;
  model_group: string;
  model_id: string;
  provider: string;
  api_base: string | null;
  cooling_down: boolean;
  error?: string;
}

interface HealthBody {
  healthy_endpoints: Endpoint[];
  unhealthy_endpoints: Endpoint[];
  healthy_count: number;
  unhealthy_count: number;
}

describe('model discovery and health', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;
  let restrictedKey: string;
  let usId: string;

  const get = async (path: string, key = MASTER_KEY): Promise<{ status: number; body: unknown; text: string }> => {
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as unknown, text };
  };

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({ yaml: managedYaml(fakes), env: ENV });
    client = newClient(gw.url);
    usId = gw.gateway.directory.all.find((d) => d.upstreamModel === UPSTREAM.us.model)?.id ?? '';
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: [OTHER_GROUP] }),
    });
    expect(res.status).toBe(200);
    restrictedKey = ((await res.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('GET /model_group/info lists each group with its providers and mode in LiteLLM’s shape', async () => {
    const { status, body } = await get('/model_group/info');
    expect(status).toBe(200);
    const data = (body as { data: GroupInfo[] }).data;
    expect(data.map((g) => g.model_group).sort()).toEqual([GROUP, OTHER_GROUP].sort());
    const batch = data.find((g) => g.model_group === GROUP);
    expect(batch).toMatchObject({ model_group: GROUP, mode: 'batch', supports_batch: true });
    expect(batch?.providers.sort()).toEqual(['azure', 'openai']);
    const chat = data.find((g) => g.model_group === OTHER_GROUP);
    expect(chat).toMatchObject({ providers: ['openai'], mode: 'chat', supports_batch: false });
    // The fields LiteLLM clients read are all present (null when unknown).
    for (const field of [
      'max_input_tokens',
      'max_output_tokens',
      'input_cost_per_token',
      'output_cost_per_token',
      'tpm',
      'rpm',
      'supports_function_calling',
      'supports_parallel_function_calling',
      'supports_vision',
      'supported_openai_params',
    ]) {
      expect(batch).toHaveProperty(field);
    }

    const one = await get(`/model_group/info?model_group=${GROUP}`);
    expect((one.body as { data: GroupInfo[] }).data.map((g) => g.model_group)).toEqual([GROUP]);
  });

  it('GET /v1/model/info lists each deployment, without secrets', async () => {
    const { status, body, text } = await get('/v1/model/info');
    expect(status).toBe(200);
    const data = (body as { data: Array<{ model_name: string; litellm_params: { model: string }; model_info: { id: string; mode: string } }> }).data;
    expect(data.map((d) => [d.model_name, d.litellm_params.model, d.model_info.id, d.model_info.mode])).toEqual([
      [GROUP, `azure/${UPSTREAM.eu.model}`, UPSTREAM.eu.id, 'batch'],
      [GROUP, `azure/${UPSTREAM.us.model}`, usId, 'batch'],
      [GROUP, `openai/${UPSTREAM.oa.model}`, UPSTREAM.oa.id, 'batch'],
      [OTHER_GROUP, `openai/${UPSTREAM.oaOther.model}`, UPSTREAM.oaOther.id, 'chat'],
    ]);
    for (const secret of [UPSTREAM.eu.key, UPSTREAM.us.key, UPSTREAM.oa.key, MASTER_KEY]) expect(text).not.toContain(secret);
    expect(text).not.toContain('api_key');
    expect((await get('/model/info')).body).toEqual(body);
  });

  it('GET /v1/models lists the groups as OpenAI models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual([GROUP, OTHER_GROUP].sort());
    for (const m of models.data) expect(m).toMatchObject({ object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
    expect((await get('/models')).body).toMatchObject({ object: 'list' });
  });

  it('shows a restricted key only the groups it may use', async () => {
    const info = await get('/model_group/info', restrictedKey);
    expect((info.body as { data: GroupInfo[] }).data.map((g) => g.model_group)).toEqual([OTHER_GROUP]);
    const deployments = await get('/v1/model/info', restrictedKey);
    expect((deployments.body as { data: Array<{ model_name: string }> }).data.map((d) => d.model_name)).toEqual([OTHER_GROUP]);
    const models = await newClient(gw.url, restrictedKey).models.list();
    expect(models.data.map((m) => m.id)).toEqual([OTHER_GROUP]);
  });

  describe('GET /health', () => {
    const mark = new Map<FakeUpstream, number>();
    const since = (fake: FakeUpstream) => fake.requests.slice(mark.get(fake) ?? 0);
    const markAll = () => {
      for (const fake of fakes.all) mark.set(fake, fake.requests.length);
    };

    it('is for the master key only', async () => {
      markAll();
      const res = await get('/health', restrictedKey);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: { type: 'permission_error' } });
      for (const fake of fakes.all) expect(since(fake)).toEqual([]);
    });

    it('checks each deployment with a files listing, never a chat call', async () => {
      markAll();
      const { status, body } = await get('/health');
      expect(status).toBe(200);
      const report = body as HealthBody;
      expect(report.unhealthy_endpoints).toEqual([]);
      expect(report.healthy_count).toBe(4);
      expect(report.healthy_endpoints.map((e) => e.model_id).sort()).toEqual([UPSTREAM.eu.id, usId, UPSTREAM.oa.id, UPSTREAM.oaOther.id].sort());
      expect(report.healthy_endpoints.find((e) => e.model_id === UPSTREAM.eu.id)).toMatchObject({
        model: `azure/${UPSTREAM.eu.model}`,
        model_group: GROUP,
        provider: 'azure',
        api_base: fakes.eu.baseUrl,
        cooling_down: false,
      });
      // Azure: one classic files listing per account; OpenAI: one per deployment (two share the account).
      expect(since(fakes.eu).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /openai/files']);
      expect(since(fakes.us).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /openai/files']);
      expect(since(fakes.oa).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/files', 'GET /v1/files']);
      // Each with the deployment's own key.
      expect(since(fakes.eu)[0]?.headers['api-key']).toBe(UPSTREAM.eu.key);
      expect(since(fakes.us)[0]?.headers['api-key']).toBe(UPSTREAM.us.key);
      expect(since(fakes.oa).every((r) => r.headers.authorization === `Bearer ${UPSTREAM.oa.key}`)).toBe(true);
      for (const fake of fakes.all) expect(since(fake).some((r) => /chat|completions|embeddings/.test(r.path))).toBe(false);
    });

    it('reports a down deployment unhealthy, with the reason, and the others healthy', async () => {
      await fakes.us.down();
      try {
        const report = (await get('/health')).body as HealthBody;
        expect(report.unhealthy_count).toBe(1);
        expect(report.unhealthy_endpoints).toEqual([
          expect.objectContaining({ model_id: usId, model_group: GROUP, provider: 'azure', error: expect.stringMatching(/.+/) }),
        ]);
        expect(report.healthy_endpoints.map((e) => e.model_id).sort()).toEqual([UPSTREAM.eu.id, UPSTREAM.oa.id, UPSTREAM.oaOther.id].sort());
        // The message names the deployment, never its key.
        expect(JSON.stringify(report)).not.toContain(UPSTREAM.us.key);
      } finally {
        await fakes.us.up();
      }
      const after = (await get('/health')).body as HealthBody;
      expect(after.unhealthy_count).toBe(0);
    });

    it('reports a deployment whose key is refused unhealthy', async () => {
      fakes.eu.failNext('listFiles', { status: 401 });
      const report = (await get('/health')).body as HealthBody;
      expect(report.unhealthy_endpoints.map((e) => e.model_id)).toEqual([UPSTREAM.eu.id]);
    });
  });
});
