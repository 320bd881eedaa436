/**
 * Stickiness comes from the store, not from the process: batches and files created by one gateway
 * process are retrieved, read and cancelled by the next one (same data dir) on the deployment that
 * holds them, even when the new configuration would now place new work elsewhere. One of the
 * deployments has no `model_info.id`, so its id must be derived the same way after the restart.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import {
  ENV,
  GROUP,
  OTHER_GROUP,
  createBatch,
  jsonl,
  managedYaml,
  newClient,
  placedOn,
  snapshot,
  startFakes,
  uploadManaged,
  type Fakes,
} from '../integration/managed-support.js';

/** A weight so large the other deployments of the group are (practically) never drawn first. */
const HEAVY = 1_000_000_000;

describe('a gateway restarted on the same data dir', () => {
  let fakes: Fakes;
  let dir: TempDir;
  let gateway: SpawnedGateway | undefined;
  const dataDir = (): string => join(dir.path, 'data');

  const start = async (heavy: 'eu' | 'us'): Promise<OpenAI> => {
    const configPath = join(dir.path, `config-${heavy}.yaml`);
    await writeFile(configPath, managedYaml(fakes, { weights: { [heavy]: HEAVY } }));
    gateway = await spawnGateway({ configPath, dataDir: dataDir(), env: ENV });
    return newClient(gateway.url);
  };

  beforeAll(async () => {
    fakes = await startFakes();
    dir = await tempDir();
  });

  afterAll(async () => {
    await gateway?.stop();
    await fakes?.close();
    await dir?.remove();
  });

  const requestsFor = (fake: FakeUpstream, upstreamId: string, from: number) =>
    fake.requests.slice(from).filter((r) => r.path.includes(upstreamId));

  it('retrieves, reads and cancels through the deployment recorded in the store', async () => {
    // First process: the US account (no explicit id) is heavy, so batches land there.
    let client = await start('us');
    const file = await uploadManaged(client, jsonl(3), GROUP);
    let before = snapshot(fakes.all);
    const running = await createBatch(client, file.id);
    const runningOn = placedOn(fakes.all, before);
    before = snapshot(fakes.all);
    const toCancel = await createBatch(client, file.id);
    const toCancelOn = placedOn(fakes.all, before);
    expect(runningOn.fake).toBe(fakes.us);
    expect(toCancelOn.fake).toBe(fakes.us);
    const otherFile = await uploadManaged(client, jsonl(2, { model: OTHER_GROUP }), OTHER_GROUP);
    before = snapshot(fakes.all);
    const other = await createBatch(client, otherFile.id);
    const otherOn = placedOn(fakes.all, before);
    expect(otherOn.fake).toBe(fakes.oa);
    expect((await client.batches.retrieve(running.id)).status).toBe('in_progress');

    expect(await gateway?.stop()).toBe(0);
    gateway = undefined;

    // Second process: same data dir, but now the EU account is the heavy one.
    const mark = new Map(fakes.all.map((f) => [f, f.requests.length]));
    const since = (f: FakeUpstream): number => mark.get(f) ?? 0;
    client = await start('eu');

    let current = await client.batches.retrieve(running.id);
    for (let i = 0; i < 5 && current.status !== 'completed'; i++) current = await client.batches.retrieve(running.id);
    expect(current).toMatchObject({ id: running.id, status: 'completed', input_file_id: file.id });
    expect(requestsFor(fakes.us, runningOn.upstreamId, since(fakes.us)).length).toBeGreaterThanOrEqual(2);

    const outputId = current.output_file_id ?? '';
    expect(outputId).toMatch(/^file-/);
    const output = (await (await client.files.content(outputId)).text()).trim().split('\n');
    expect(output).toHaveLength(3);
    const upstreamOutput = fakes.us.batches.get(runningOn.upstreamId)?.outputFileId ?? '';
    expect(requestsFor(fakes.us, upstreamOutput, since(fakes.us)).some((r) => r.path.endsWith('/content'))).toBe(true);

    // The input file's content is still served from its copies.
    const input = (await (await client.files.content(file.id)).text()).trim().split('\n');
    expect(input).toHaveLength(3);

    const cancelled = await client.batches.cancel(toCancel.id);
    expect(cancelled).toMatchObject({ id: toCancel.id, status: 'cancelling' });
    expect(fakes.us.batches.get(toCancelOn.upstreamId)?.status).toBe('cancelling');

    expect((await client.batches.retrieve(other.id)).id).toBe(other.id);
    expect(requestsFor(fakes.oa, otherOn.upstreamId, since(fakes.oa)).length).toBe(1);

    // Nothing of the old batches went anywhere else after the restart.
    for (const fake of [fakes.eu, fakes.oa]) {
      expect(fake.requests.slice(since(fake)).filter((r) => r.path.includes('/batches/'))).toEqual(
        fake === fakes.oa ? requestsFor(fakes.oa, otherOn.upstreamId, since(fakes.oa)) : [],
      );
    }

    // New work follows the new configuration while the old work stayed where it was.
    before = snapshot(fakes.all);
    await createBatch(client, file.id);
    expect(placedOn(fakes.all, before).fake).toBe(fakes.eu);
  });
});
