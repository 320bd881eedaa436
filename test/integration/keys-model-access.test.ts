/**
 * Model access of virtual keys on the batch routes (LiteLLM VERIA-39 and #32580 closed): the
 * upload's target groups, every line's body.model at upload and again at batch create, the model
 * a plain upload is routed by, and what `/model_group/info` shows. Refusals are 403 in the OpenAI
 * envelope naming the model, and nothing reaches the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHEAP,
  MASTER_KEY,
  PRICEY,
  jsonl,
  startSuite,
  type Api,
  type ErrorReply,
  type GeneratedKey,
  type Suite,
} from './keys-support.js';

describe('model access of virtual keys', () => {
  let suite: Suite;
  let api: Api;
  /** May use the cheap group only. */
  let cheapKey: GeneratedKey;
  /** Same team as cheapKey, may use both groups. */
  let teammate: GeneratedKey;

  const upstreamCounts = () => ({ files: suite.fake.files.size, batches: suite.fake.batches.size });

  const expectForbidden = (res: { status: number; body: unknown }, model: string): string => {
    expect(res.status).toBe(403);
    const { error } = res.body as ErrorReply;
    expect(error).toMatchObject({ type: 'permission_error', code: 'model_access_denied' });
    expect(error.message).toContain(`'${model}'`);
    return error.message;
  };

  beforeAll(async () => {
    suite = await startSuite();
    api = suite.api;
    await api.newTeam({ team_id: 'team-m', models: [CHEAP, PRICEY] });
    cheapKey = await api.generateKey({ team_id: 'team-m', models: [CHEAP] });
    teammate = await api.generateKey({ team_id: 'team-m', models: [CHEAP, PRICEY] });
  });

  afterAll(async () => {
    await suite?.close();
  });

  it('shows a key only its groups in /model_group/info, /v1/models and /v1/model/info', async () => {
    const groups = await api.call<{ data: Array<{ model_group: string }> }>('GET', '/model_group/info', cheapKey.key);
    expect(groups.body.data.map((g) => g.model_group)).toEqual([CHEAP]);
    expect((await api.call<{ data: unknown[] }>('GET', `/model_group/info?model_group=${PRICEY}`, cheapKey.key)).body.data).toEqual([]);
    const models = await api.call<{ data: Array<{ id: string }> }>('GET', '/v1/models', cheapKey.key);
    expect(models.body.data.map((m) => m.id)).toEqual([CHEAP]);
    const info = await api.call<{ data: Array<{ model_name: string }> }>('GET', '/v1/model/info', cheapKey.key);
    expect(info.body.data.map((m) => m.model_name)).toEqual([CHEAP]);
    const all = await api.call<{ data: Array<{ model_group: string }> }>('GET', '/model_group/info', MASTER_KEY);
    expect(all.body.data.map((g) => g.model_group).sort()).toEqual([CHEAP, PRICEY].sort());
  });

  it('refuses target_model_names naming a group the key may not use', async () => {
    const before = upstreamCounts();
    expectForbidden(await api.upload(cheapKey.key, jsonl([PRICEY]), { target_model_names: PRICEY }), PRICEY);
    expectForbidden(await api.upload(cheapKey.key, jsonl([CHEAP]), { target_model_names: `${CHEAP},${PRICEY}` }), PRICEY);
    expect(upstreamCounts()).toEqual(before);
  });

  it('refuses a forbidden body.model in the middle of an otherwise allowed plain upload', async () => {
    const before = upstreamCounts();
    const content = jsonl([CHEAP, CHEAP, PRICEY, CHEAP]);
    const message = expectForbidden(await api.upload(cheapKey.key, content, { model: CHEAP }), PRICEY);
    expect(message).toContain('line 3');
    expect(upstreamCounts()).toEqual(before);
    expect((await api.call<{ data: unknown[] }>('GET', '/v1/files', cheapKey.key)).body.data).toEqual([]);
    // The same file without the bad line is fine.
    expect((await api.upload(cheapKey.key, jsonl([CHEAP, CHEAP, CHEAP]), { model: CHEAP })).status).toBe(200);
  });

  it('refuses a forbidden body.model in a managed upload as a 403, not as a mismatch', async () => {
    const before = upstreamCounts();
    expectForbidden(await api.upload(cheapKey.key, jsonl([CHEAP, PRICEY, CHEAP]), { target_model_names: CHEAP }), PRICEY);
    expect(upstreamCounts()).toEqual(before);
  });

  it('refuses a plain upload routed to another group’s deployment (lines would be rewritten to it)', async () => {
    const before = upstreamCounts();
    expectForbidden(await api.upload(cheapKey.key, jsonl([CHEAP]), { model: PRICEY }), PRICEY);
    expect(upstreamCounts()).toEqual(before);
  });

  it('refuses at create a teammate’s file whose middle line names a model the key may not use', async () => {
    const fileId = await api.uploadOk(teammate.key, jsonl([CHEAP, CHEAP, PRICEY, CHEAP]), { model: CHEAP });
    const before = upstreamCounts();
    const message = expectForbidden(await api.createBatch(cheapKey.key, fileId), PRICEY);
    expect(message).toContain('body.model');
    expect(upstreamCounts()).toEqual(before);
    // The teammate, who may use both groups, can run it.
    expect((await api.createBatch(teammate.key, fileId)).status).toBe(200);
  });

  it('refuses at create a teammate’s managed file for a group the key may not use', async () => {
    const fileId = await api.uploadOk(teammate.key, jsonl([PRICEY, PRICEY]), { target_model_names: PRICEY });
    const before = upstreamCounts();
    expectForbidden(await api.createBatch(cheapKey.key, fileId), PRICEY);
    expectForbidden(await api.createBatch(cheapKey.key, fileId, { model: PRICEY }), PRICEY);
    expect(upstreamCounts()).toEqual(before);
  });

  it('re-checks at create: a key narrowed after its upload cannot run the file any more', async () => {
    const key = await api.generateKey({ models: [CHEAP, PRICEY] });
    const fileId = await api.uploadOk(key.key, jsonl([CHEAP, PRICEY]), { model: CHEAP });
    await api.call('POST', '/key/update', MASTER_KEY, { key: key.key, models: [CHEAP] });
    const before = upstreamCounts();
    expectForbidden(await api.createBatch(key.key, fileId), PRICEY);
    expect(upstreamCounts()).toEqual(before);
  });

  it('answers a key that names the master key’s file exactly as an unknown file (it cannot see it)', async () => {
    const fileId = await api.uploadOk(MASTER_KEY, jsonl([CHEAP, PRICEY, CHEAP]), { model: CHEAP });
    const foreign = await api.createBatch<ErrorReply>(cheapKey.key, fileId);
    const unknown = await api.createBatch<ErrorReply>(cheapKey.key, 'file-doesnotexist000000000000');
    expect(foreign.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(foreign.body.error.message.replace(fileId, 'ID')).toBe(unknown.body.error.message.replace('file-doesnotexist000000000000', 'ID'));
    // The master key may run it.
    expect((await api.createBatch(MASTER_KEY, fileId)).status).toBe(200);
  });

  it('lets a key run its own allowed batch, and retrieve and cancel it without model checks on ids', async () => {
    const fileId = await api.uploadOk(cheapKey.key, jsonl([CHEAP, CHEAP]), { target_model_names: CHEAP });
    const created = await api.createBatch(cheapKey.key, fileId);
    expect(created.status).toBe(200);
    expect((await api.call('GET', `/v1/batches/${created.body.id}`, cheapKey.key)).status).toBe(200);
    expect((await api.call('POST', `/v1/batches/${created.body.id}/cancel`, cheapKey.key)).status).toBe(200);
  });
});
