/**
 * LiteLLM's managed-files seed flow (`reference/litellm-behaviour.md` §2), end to end: the gateway
 * runs as its own process, the official `openai` client talks to it, and one model group is
 * served by two fake Azure accounts (different keys, different deployment names) and one fake
 * OpenAI account. Upload with `target_model_names`, create, retrieve until completed, content,
 * list with the filter, cancel. Every fake must get its own copy with its own model name, under
 * its own key, and the client must only ever see gateway ids.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import {
  AZURE_API_VERSION,
  ENV,
  GROUP,
  OTHER_GROUP,
  UPSTREAM,
  createBatch,
  jsonl,
  managedYaml,
  newClient,
  placedOn,
  snapshot,
  startFakes,
  uploadManaged,
  uploads,
  type Fakes,
  type FilteredBatchList,
} from '../integration/managed-support.js';

interface OutputLine {
  custom_id: string;
  response: { status_code: number; body: { model: string } } | null;
}

const parseLines = <T>(text: string): T[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);

describe('managed files and batches across two Azure accounts and one OpenAI account (gateway process)', () => {
  let fakes: Fakes;
  let dir: TempDir;
  let gateway: SpawnedGateway;
  let client: OpenAI;

  /** Every id a fake has ever handed out: the client must never see one of them. */
  const upstreamIds = (): Set<string> => new Set(fakes.all.flatMap((f) => [...f.files.keys(), ...f.batches.keys()]));
  const expectGatewayId = (id: string | null | undefined, prefix: 'file-' | 'batch_'): void => {
    expect(id).toMatch(new RegExp(`^${prefix}[0-9A-Za-z]{24}$`));
    expect(upstreamIds().has(id ?? '')).toBe(false);
  };
  /** The fake's own requests for one upstream object (retrieve, cancel, content…). */
  const touching = (fake: FakeUpstream, upstreamId: string) => fake.requests.filter((r) => r.path.includes(upstreamId));

  beforeAll(async () => {
    fakes = await startFakes();
    dir = await tempDir();
    const configPath = join(dir.path, 'config.yaml');
    await writeFile(configPath, managedYaml(fakes));
    gateway = await spawnGateway({ configPath, dataDir: join(dir.path, 'data'), env: ENV });
    client = newClient(gateway.url);
  });

  afterAll(async () => {
    await gateway?.stop();
    await fakes?.close();
    await dir?.remove();
  });

  it('runs the seed flow: one gateway file fanned out and rewritten per deployment, sticky batches, gateway ids only', async () => {
    const content = jsonl(4);
    const file = await uploadManaged(client, content, GROUP);
    expectGatewayId(file.id, 'file-');
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', bytes: Buffer.byteLength(content) });

    // Each deployment got exactly one copy, with every line naming that deployment's own model.
    const copyOn = (fake: FakeUpstream) => {
      expect(fake.files.size).toBe(1);
      const [copy] = [...fake.files.values()];
      if (copy === undefined) throw new Error('no copy');
      return copy;
    };
    const euCopy = copyOn(fakes.eu);
    const usCopy = copyOn(fakes.us);
    const oaCopy = copyOn(fakes.oa);
    expect(fakes.eu.fileModels(euCopy.id)).toEqual([UPSTREAM.eu.model]);
    expect(fakes.us.fileModels(usCopy.id)).toEqual([UPSTREAM.us.model]);
    expect(fakes.oa.fileModels(oaCopy.id)).toEqual([UPSTREAM.oa.model]);
    for (const copy of [euCopy, usCopy, oaCopy]) {
      expect(copy.lineCount).toBe(4);
      expect(copy.invalidLines).toEqual([]);
      expect(copy.purpose).toBe('batch');
    }

    // One gateway file in the listing, whatever the number of copies behind it.
    const listed = await client.files.list();
    expect(listed.data.map((f) => f.id)).toEqual([file.id]);
    expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: Buffer.byteLength(content) });

    // The content is read back from one of the copies: same requests, that deployment's model.
    const back = parseLines<{ custom_id: string; body: { model: string; messages: unknown } }>(await (await client.files.content(file.id)).text());
    expect(back.map((l) => l.custom_id)).toEqual(['req-0', 'req-1', 'req-2', 'req-3']);
    expect(back[2]?.body.messages).toEqual([{ role: 'user', content: 'hello 2' }]);
    expect([UPSTREAM.eu.model, UPSTREAM.us.model, UPSTREAM.oa.model]).toContain(back[0]?.body.model);

    // Create: placed on one deployment that holds the file, with that deployment's copy as input.
    const before = snapshot(fakes.all);
    const batch = await createBatch(client, file.id);
    expectGatewayId(batch.id, 'batch_');
    expect(batch).toMatchObject({ object: 'batch', input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const { fake: holder, upstreamId } = placedOn(fakes.all, before);
    const upstreamBatch = holder.batches.get(upstreamId);
    expect(upstreamBatch?.inputFileId).toBe([...holder.files.keys()][0]);
    const expectedModel = holder === fakes.eu ? UPSTREAM.eu.model : holder === fakes.us ? UPSTREAM.us.model : UPSTREAM.oa.model;
    expect(upstreamBatch?.model).toBe(expectedModel);

    // Retrieve repeatedly until completed: every retrieve reaches the holder only.
    let current = batch;
    for (let i = 0; i < 10 && current.status !== 'completed'; i++) current = await client.batches.retrieve(batch.id);
    expect(current.status).toBe('completed');
    expect(current.id).toBe(batch.id);
    expect(current.input_file_id).toBe(file.id);
    expect(current.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    expect(touching(holder, upstreamId).filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(3);
    for (const other of fakes.all.filter((f) => f !== holder)) {
      expect(other.requests.filter((r) => r.path.includes('/batches')).length).toBe(0);
    }

    // The output file is a gateway file, pinned to the holder, with the holder's results.
    expectGatewayId(current.output_file_id, 'file-');
    expect(current.error_file_id).toBeNull();
    const outputId = current.output_file_id ?? '';
    const outputMeta = await client.files.retrieve(outputId);
    expect(outputMeta).toMatchObject({ id: outputId, object: 'file', purpose: 'batch_output' });
    const output = parseLines<OutputLine>(await (await client.files.content(outputId)).text());
    expect(output.map((l) => l.custom_id).sort()).toEqual(['req-0', 'req-1', 'req-2', 'req-3']);
    expect(output.every((l) => l.response?.status_code === 200 && l.response.body.model === expectedModel)).toBe(true);
    const upstreamOutput = holder.batches.get(upstreamId)?.outputFileId ?? '';
    expect(touching(holder, upstreamOutput).some((r) => r.path.endsWith('/content'))).toBe(true);

    // A second group's batch, to give the listing filter something to leave out.
    const otherFile = await uploadManaged(client, jsonl(2, { model: OTHER_GROUP }), OTHER_GROUP);
    const otherBatch = await createBatch(client, otherFile.id);
    expect(fakes.oa.batches.size).toBe(holder === fakes.oa ? 2 : 1);

    const listGroup: FilteredBatchList = { limit: 100, target_model_names: GROUP };
    const listOther: FilteredBatchList = { limit: 100, target_model_names: OTHER_GROUP };
    const all = (await client.batches.list({ limit: 100 })).data.map((b) => b.id);
    expect(all).toEqual(expect.arrayContaining([batch.id, otherBatch.id]));
    expect((await client.batches.list(listGroup)).data.map((b) => b.id)).toEqual([batch.id]);
    expect((await client.batches.list(listOther)).data.map((b) => b.id)).toEqual([otherBatch.id]);
    // Listings come from the store: no upstream was asked to list its batches.
    for (const fake of fakes.all) expect(fake.requests.some((r) => r.method === 'GET' && /\/batches$/.test(r.path))).toBe(false);

    // Cancel reaches the deployment holding that batch, and only it.
    const beforeCancel = snapshot(fakes.all);
    const toCancel = await createBatch(client, file.id);
    const placed = placedOn(fakes.all, beforeCancel);
    const cancelled = await client.batches.cancel(toCancel.id);
    expect(cancelled).toMatchObject({ id: toCancel.id, status: 'cancelling', input_file_id: file.id });
    expect(placed.fake.batches.get(placed.upstreamId)?.status).toBe('cancelling');
    const cancels = fakes.all.map((f) => f.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel')).length);
    expect(cancels).toEqual(fakes.all.map((f) => (f === placed.fake ? 1 : 0)));
    expect((await client.batches.retrieve(toCancel.id)).status).toBe('cancelled');

    // Each upstream only ever saw its own credentials (and Azure its api-version).
    for (const r of fakes.eu.requests) {
      expect(r.headers['api-key']).toBe(UPSTREAM.eu.key);
      expect(r.query['api-version']).toBe(AZURE_API_VERSION);
    }
    for (const r of fakes.us.requests) {
      expect(r.headers['api-key']).toBe(UPSTREAM.us.key);
      expect(r.query['api-version']).toBe(AZURE_API_VERSION);
    }
    for (const r of fakes.oa.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${UPSTREAM.oa.key}`);
      expect(r.headers['api-key']).toBeUndefined();
    }
    for (const fake of fakes.all) expect(uploads(fake).length).toBeGreaterThanOrEqual(1);
  });

  it('fans out to several groups from a list (target_model_names[] as the SDK sends it); create must name one of them', async () => {
    const filesBefore = new Map(fakes.all.map((f) => [f, new Set(f.files.keys())]));
    const file = await uploadManaged(client, jsonl(3), [GROUP, OTHER_GROUP]);
    expectGatewayId(file.id, 'file-');
    const newCopies = (fake: FakeUpstream) => [...fake.files.keys()].filter((id) => !(filesBefore.get(fake)?.has(id) ?? false));
    // Four deployments, four copies: the OpenAI account holds two, one per model.
    expect(newCopies(fakes.eu).map((id) => fakes.eu.fileModels(id))).toEqual([[UPSTREAM.eu.model]]);
    expect(newCopies(fakes.us).map((id) => fakes.us.fileModels(id))).toEqual([[UPSTREAM.us.model]]);
    expect(newCopies(fakes.oa).map((id) => fakes.oa.fileModels(id)).sort()).toEqual([[UPSTREAM.oaOther.model], [UPSTREAM.oa.model]]);

    // Two groups: `model` must say which one the batch runs for.
    await expect(createBatch(client, file.id)).rejects.toMatchObject({ status: 400, param: 'model' });
    await expect(createBatch(client, file.id, 'gpt-4o')).rejects.toMatchObject({ status: 400, code: 'model_mismatch', param: 'model' });

    const before = snapshot(fakes.all);
    const batch = await createBatch(client, file.id, OTHER_GROUP);
    const { fake, upstreamId } = placedOn(fakes.all, before);
    expect(fake).toBe(fakes.oa);
    expect(fake.batches.get(upstreamId)?.model).toBe(UPSTREAM.oaOther.model);
    expect(batch.input_file_id).toBe(file.id);
  });
});
