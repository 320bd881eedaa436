/**
 * `router_settings.model_group_alias`: a client may name a model group by its alias in
 * `target_model_names`, in its lines' `body.model`, in a batch's `model` and in the list filter;
 * the gateway stores and places by the group itself.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import {
  createBatch,
  ENV,
  GROUP,
  jsonl,
  managedYaml,
  newClient,
  startFakes,
  UPSTREAM,
  uploadManaged,
  type Fakes,
  type FilteredBatchList,
} from './managed-support.js';

const ALIAS = 'mini-batch';

describe('model group aliases', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({
      yaml: managedYaml(fakes, { routerSettings: `  model_group_alias:\n    ${ALIAS}: ${GROUP}\n    hidden-mini: { model: ${GROUP}, hidden: true }\n` }),
      env: ENV,
    });
    client = newClient(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('accepts an alias in target_model_names and in body.model, rewriting every line per deployment', async () => {
    const content = `${jsonl(2, { model: ALIAS }).trimEnd()}\n${jsonl(1, { model: 'hidden-mini' }).replace('req-0', 'req-9')}`;
    const file = await uploadManaged(client, content, ALIAS);
    const record = await gw.gateway.store.files.get(file.id);
    expect(record?.modelGroups).toEqual([GROUP]);
    const copies = await gw.gateway.store.files.copies(file.id);
    expect(copies).toHaveLength(3);
    for (const copy of copies) {
      const fake = copy.deploymentId === UPSTREAM.eu.id ? fakes.eu : copy.deploymentId === UPSTREAM.oa.id ? fakes.oa : fakes.us;
      const expected = fake === fakes.eu ? UPSTREAM.eu.model : fake === fakes.oa ? UPSTREAM.oa.model : UPSTREAM.us.model;
      expect(fake.fileModels(copy.upstreamRef)).toEqual([expected]);
    }
  });

  it('accepts the alias as the batch model and in the list filter', async () => {
    const file = await uploadManaged(client, jsonl(2), GROUP);
    const batch = await createBatch(client, file.id, ALIAS);
    const stored = await gw.gateway.store.batches.get(batch.id);
    expect(stored?.modelGroup).toBe(GROUP);
    const filter: FilteredBatchList = { limit: 100, target_model_names: ALIAS };
    expect((await client.batches.list(filter)).data.map((b) => b.id)).toContain(batch.id);
  });

  it('still refuses a line naming a model that is neither the group nor one of its aliases', async () => {
    await expect(uploadManaged(client, jsonl(1, { model: 'gpt-4o-batch' }), ALIAS)).rejects.toMatchObject({
      status: 400,
      error: { code: 'model_mismatch' },
    });
  });
});
