/**
 * What happens when deployments fail, at upload and at batch create (issue 3, "What must work"
 * 1 and 3). Upload policy (documented in src/domain/files/upload-file.ts): a deployment that
 * fails is left out of the mapping and the upload succeeds on the rest, unless a target group gets
 * no copy at all; then the upload fails and every copy already written is deleted upstream.
 * Create: a retryable failure (down, 5xx, 429) moves on to the next deployment holding the file;
 * a 400 is the client's problem and comes back as it is.
 */
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/deployment.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import {
  ENV,
  GROUP,
  OTHER_GROUP,
  UPSTREAM,
  batchCreates,
  createBatch,
  jsonl,
  managedYaml,
  newClient,
  placedOn,
  seededRandom,
  snapshot,
  startFakes,
  uploadManaged,
  uploads,
  type Fakes,
} from './managed-support.js';

const deploymentOf = (gw: InProcessGateway, upstreamModel: string): Deployment => {
  const found = gw.gateway.directory.all.find((d) => d.upstreamModel === upstreamModel);
  if (found === undefined) throw new Error(`no deployment for ${upstreamModel}`);
  return found;
};

const copiesOf = async (gw: InProcessGateway, fileId: string): Promise<string[]> =>
  (await gw.gateway.store.files.copies(fileId)).map((c) => c.deploymentId).sort();

describe('a deployment down at upload', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({ yaml: managedYaml(fakes, { routerSettings: '  allowed_fails: 100\n' }), env: ENV, random: seededRandom(7) });
    client = newClient(gw.url);
  });
  afterEach(async () => {
    for (const fake of fakes.all) await fake.up();
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('succeeds on the others, leaves the down one out of the mapping, and never places a batch there', async () => {
    const us = deploymentOf(gw, UPSTREAM.us.model);
    await fakes.us.down();
    const file = await uploadManaged(client, jsonl(3));
    expect(await copiesOf(gw, file.id)).toEqual([UPSTREAM.eu.id, UPSTREAM.oa.id].sort());
    expect(fakes.us.files.size).toBe(0);
    expect(fakes.eu.files.size).toBe(1);
    expect(fakes.oa.files.size).toBe(1);
    // The failure counts against the deployment's health.
    expect(gw.gateway.health.stateOf(us.id).consecutiveFailures).toBe(1);
    expect(gw.gateway.health.stateOf(us.id).lastError).toMatch(/.+/);

    // Back up, the US account is healthy again, but it does not hold the file: no batch goes there.
    await fakes.us.up();
    for (let i = 0; i < 12; i++) {
      const before = snapshot(fakes.all);
      await createBatch(client, file.id);
      expect(placedOn(fakes.all, before).fake).not.toBe(fakes.us);
    }
    expect(batchCreates(fakes.us)).toEqual([]);
    expect(batchCreates(fakes.eu).length + batchCreates(fakes.oa).length).toBe(12);
    // Both remaining holders were used (seeded draws): placement really spreads over them.
    expect(batchCreates(fakes.eu).length).toBeGreaterThan(0);
    expect(batchCreates(fakes.oa).length).toBeGreaterThan(0);
  });

  it('treats an upstream 5xx on one copy like an outage: the rest is kept', async () => {
    fakes.oa.failNext('uploadFile', { status: 500 });
    const before = fakes.oa.files.size;
    const file = await uploadManaged(client, jsonl(2));
    expect(await copiesOf(gw, file.id)).toEqual([UPSTREAM.eu.id, deploymentOf(gw, UPSTREAM.us.model).id].sort());
    expect(fakes.oa.files.size).toBe(before);
  });
});

describe('every deployment of a target group down at upload', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    // Here the batch group is served by the two Azure accounts only; the OpenAI account serves the other group.
    gw = await startGateway({ yaml: managedYaml(fakes, { azureOnly: true }), env: ENV });
    client = newClient(gw.url);
  });
  afterEach(async () => {
    for (const fake of fakes.all) await fake.up();
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('fails cleanly and deletes upstream the copies already written for the other group', async () => {
    await fakes.eu.down();
    await fakes.us.down();
    const error = await uploadManaged(client, jsonl(2), [GROUP, OTHER_GROUP]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ status: 503, type: 'server_error', code: 'deployments_unavailable' });
    expect((error as Error).message).toContain(GROUP);

    // The OpenAI copy was written, then deleted again: nothing is left upstream or in the store.
    expect(uploads(fakes.oa)).toHaveLength(1);
    expect(fakes.oa.requests.filter((r) => r.method === 'DELETE' && r.path.startsWith('/v1/files/'))).toHaveLength(1);
    expect(fakes.oa.files.size).toBe(0);
    expect((await client.files.list()).data).toEqual([]);
  });

  it('fails with the upstream error when the only target group has no deployment up, storing nothing', async () => {
    await fakes.eu.down();
    fakes.us.failNext('uploadFile', { status: 503 });
    const error = await uploadManaged(client, jsonl(2), GROUP).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ status: 502, type: 'server_error' });
    expect(fakes.us.files.size).toBe(0);
    expect(fakes.eu.files.size).toBe(0);
    expect((await client.files.list()).data).toEqual([]);
  });

  it('keeps a group that got at least one copy, and rolls back nothing in that case', async () => {
    await fakes.eu.down();
    const file = await uploadManaged(client, jsonl(2), [GROUP, OTHER_GROUP]);
    expect(await copiesOf(gw, file.id)).toEqual([deploymentOf(gw, UPSTREAM.us.model).id, UPSTREAM.oaOther.id].sort());
    expect(fakes.us.files.size).toBe(1);
    expect(fakes.oa.files.size).toBe(1);
  });
});

describe('placement at batch create when a deployment fails', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    // With these weights and a constant draw the order is always eu, then oa, then us (whatever
    // order the store lists the copies in), so each test knows where placement goes first.
    gw = await startGateway({
      yaml: managedYaml(fakes, { weights: { eu: 1000, oa: 10, us: 1 }, routerSettings: '  allowed_fails: 100\n' }),
      env: ENV,
      random: () => 0.5,
    });
    client = newClient(gw.url);
  });
  afterEach(async () => {
    for (const fake of fakes.all) await fake.up();
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  const placeAfter = async (fileId: string, setup: () => Promise<void> | void): Promise<FakeUpstream> => {
    const before = snapshot(fakes.all);
    await setup();
    const batch = await createBatch(client, fileId);
    expect(batch.id).toMatch(/^batch_/);
    expect(batch.input_file_id).toBe(fileId);
    return placedOn(fakes.all, before).fake;
  };

  it('goes to the first deployment in placement order when all are well', async () => {
    const file = await uploadManaged(client, jsonl(2));
    expect(await placeAfter(file.id, () => undefined)).toBe(fakes.eu);
  });

  it('moves on when the first deployment is down', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const eu = deploymentOf(gw, UPSTREAM.eu.model);
    expect(await placeAfter(file.id, () => fakes.eu.down())).toBe(fakes.oa);
    expect(gw.gateway.health.stateOf(eu.id).consecutiveFailures).toBe(1);
  });

  it.each([500, 502, 503, 429])('moves on when the first deployment answers %i', async (status) => {
    const file = await uploadManaged(client, jsonl(2));
    const euCreates = batchCreates(fakes.eu).length;
    expect(await placeAfter(file.id, () => fakes.eu.failNext('createBatch', { status }))).toBe(fakes.oa);
    expect(batchCreates(fakes.eu).length).toBe(euCreates + 1); // it was tried
  });

  it('moves on twice, to the last deployment holding the file', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const placed = await placeAfter(file.id, async () => {
      fakes.eu.failNext('createBatch', { status: 500 });
      await fakes.oa.down();
    });
    expect(placed).toBe(fakes.us);
  });

  it('answers with the last upstream error when every holder fails, recording no batch', async () => {
    const file = await uploadManaged(client, jsonl(2));
    for (const fake of fakes.all) fake.failNext('createBatch', { status: 503 });
    const before = (await client.batches.list({ limit: 100 })).data.length;
    await expect(createBatch(client, file.id)).rejects.toMatchObject({ status: 502, type: 'server_error' });
    expect((await client.batches.list({ limit: 100 })).data.length).toBe(before);
  });

  it('moves on when the first deployment no longer holds its copy of the input (expired or deleted there)', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const eu = deploymentOf(gw, UPSTREAM.eu.model);
    const failuresBefore = gw.gateway.health.stateOf(eu.id).consecutiveFailures;
    const placed = await placeAfter(file.id, () =>
      fakes.eu.failNext('createBatch', {
        status: 400,
        body: { error: { message: 'Cannot find file file-gone, or project proj_1 does not have access to it.', type: 'invalid_request_error', param: 'file_id', code: null } },
      }),
    );
    expect(placed).toBe(fakes.oa);
    // A missing copy says nothing about the deployment's health.
    expect(gw.gateway.health.stateOf(eu.id).consecutiveFailures).toBe(failuresBefore);
  });

  it('does not retry a 400 elsewhere: the client gets it back with its message', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const counts = fakes.all.map((f) => batchCreates(f).length);
    fakes.eu.failNext('createBatch', {
      status: 400,
      body: { error: { message: 'The input file failed validation: quota exceeded for this deployment.', type: 'invalid_request_error', param: 'input_file_id', code: 'token_limit_exceeded' } },
    });
    const res = await fetch(`${gw.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ENV.MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: 'The input file failed validation: quota exceeded for this deployment.',
        type: 'invalid_request_error',
        param: 'input_file_id',
        code: 'token_limit_exceeded',
      },
    });
    expect(fakes.all.map((f) => batchCreates(f).length)).toEqual(counts.map((n, i) => (i === 0 ? n + 1 : n)));
  });
});

describe('placement after a timeout at batch create', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({
      yaml: managedYaml(fakes, { weights: { eu: 1000, oa: 10, us: 1 }, routerSettings: '  allowed_fails: 100\n  timeout: 1\n' }),
      env: ENV,
      random: () => 0.5,
    });
    client = newClient(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('stops with 504 instead of creating the batch a second time elsewhere', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const counts = fakes.all.map((f) => batchCreates(f).length);
    fakes.eu.hangNext('createBatch');
    await expect(createBatch(client, file.id)).rejects.toMatchObject({ status: 504 });
    // eu was asked (and may have created it); nobody else was.
    expect(fakes.all.map((f) => batchCreates(f).length)).toEqual(counts.map((n, i) => (i === 0 ? n + 1 : n)));
  });
});
