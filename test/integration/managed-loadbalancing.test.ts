/**
 * `litellm_settings.enable_loadbalancing_on_batch_endpoints: true` (issue 3, "What must work" 6):
 * a plain upload, without `target_model_names`, whose lines name a model group becomes a managed
 * upload to that group: a copy on every deployment of the group, each rewritten to that
 * deployment's model, and batches placed across them. Without the flag the same upload goes to
 * one deployment as it is.
 */
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import {
  ENV,
  GROUP,
  OTHER_GROUP,
  UPSTREAM,
  createBatch,
  jsonl,
  line,
  managedYaml,
  newClient,
  placedOn,
  seededRandom,
  snapshot,
  startFakes,
  type Fakes,
} from './managed-support.js';

const plainUpload = async (client: OpenAI, content: string, headers: Record<string, string> = {}): Promise<OpenAI.FileObject> =>
  client.files.create({ file: await toFile(Buffer.from(content), 'requests.jsonl'), purpose: 'batch' }, { headers });

/** Models of the copies each fake received since `before`. */
const freshModels = (fakes: Fakes, before: ReadonlyMap<FakeUpstream, ReadonlySet<string>>) =>
  fakes.all.map((fake) =>
    [...fake.files.keys()]
      .filter((id) => !(before.get(fake)?.has(id) ?? false))
      .map((id) => fake.fileModels(id))
      .sort(),
  );
const filesNow = (fakes: Fakes) => new Map(fakes.all.map((f) => [f, new Set(f.files.keys())]));

describe('enable_loadbalancing_on_batch_endpoints: true', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({
      yaml: managedYaml(fakes, { litellmSettings: '  enable_loadbalancing_on_batch_endpoints: true\n' }),
      env: ENV,
      random: seededRandom(11),
    });
    client = newClient(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('turns a plain upload whose lines name a group into a managed upload to every deployment of it', async () => {
    const before = filesNow(fakes);
    const file = await plainUpload(client, jsonl(3));
    expect(file.id).toMatch(/^file-/);
    // eu, us, oa: one copy each, each rewritten to its own model.
    expect(freshModels(fakes, before)).toEqual([[[UPSTREAM.eu.model]], [[UPSTREAM.us.model]], [[UPSTREAM.oa.model]]]);
    const record = await gw.gateway.store.files.get(file.id);
    expect(record?.modelGroups).toEqual([GROUP]);
    expect((await gw.gateway.store.files.copies(file.id)).length).toBe(3);

    // Batches are placed across the holders like any managed file's, with no `model` needed.
    const placed = new Set<FakeUpstream>();
    for (let i = 0; i < 9; i++) {
      const snap = snapshot(fakes.all);
      const batch = await createBatch(client, file.id);
      expect(batch.input_file_id).toBe(file.id);
      placed.add(placedOn(fakes.all, snap).fake);
    }
    expect(placed.size).toBeGreaterThan(1);
    await expect(createBatch(client, file.id, OTHER_GROUP)).rejects.toMatchObject({ status: 400, code: 'model_mismatch' });
  });

  it('fans out to the group the lines name, only that one', async () => {
    const before = filesNow(fakes);
    const file = await plainUpload(client, jsonl(2, { model: OTHER_GROUP }));
    expect(freshModels(fakes, before)).toEqual([[], [], [[UPSTREAM.oaOther.model]]]);
    expect((await gw.gateway.store.files.get(file.id))?.modelGroups).toEqual([OTHER_GROUP]);
  });

  it('leaves an upload alone when its lines name a model that is no group', async () => {
    const before = filesNow(fakes);
    const file = await plainUpload(client, `${line(0, { model: 'gpt-something-else' })}\n`);
    // The default deployment (the first configured) gets it unchanged.
    expect(freshModels(fakes, before)).toEqual([[['gpt-something-else']], [], []]);
    expect((await gw.gateway.store.files.get(file.id))?.modelGroups).toEqual([]);
  });

  it('leaves an upload alone when the client names a provider', async () => {
    const before = filesNow(fakes);
    await plainUpload(client, jsonl(1), { 'custom-llm-provider': 'openai' });
    const fresh = freshModels(fakes, before);
    expect(fresh.slice(0, 2)).toEqual([[], []]);
    expect(fresh[2]).toEqual([[GROUP]]);
  });
});

describe('enable_loadbalancing_on_batch_endpoints unset', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({ yaml: managedYaml(fakes), env: ENV });
    client = newClient(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('sends a plain upload to the default deployment only, as it was written', async () => {
    const before = filesNow(fakes);
    const file = await plainUpload(client, jsonl(2));
    expect(freshModels(fakes, before)).toEqual([[[GROUP]], [], []]);
    expect((await gw.gateway.store.files.get(file.id))?.modelGroups).toEqual([]);
  });
});
