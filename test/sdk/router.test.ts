/**
 * `createRouter({model_list})`: placement over two deployments of one group as the gateway places
 * (weighted, healthy first), ids `<deploymentId>:<upstreamId>` handed out and taken back (as the
 * string or as `{deploymentId, upstreamId}`), failover of a replayable upload, and no failover of
 * a stream (it cannot be read twice).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, SdkError, type Router } from '../../src/sdk/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { FAST, jsonl, requestLine } from './support.js';

const KEY = 'sk-router-0123456789';

/** A deterministic random in [0, 1). */
const lcg = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

let east: FakeUpstream;
let west: FakeUpstream;
let other: FakeUpstream;
const routers: Router[] = [];

const modelList = () => [
  { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o-mini', api_key: KEY, api_base: east.baseUrl, weight: 3 }, model_info: { id: 'east' } },
  // An id that extends another with ':' still parses to the right deployment.
  { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o-mini', api_key: KEY, api_base: west.baseUrl, weight: 1 }, model_info: { id: 'east:2' } },
  { model_name: 'other', litellm_params: { model: 'openai/gpt-4.1', api_key: KEY, api_base: other.baseUrl } },
];

const router = (options: Partial<Parameters<typeof createRouter>[0]> = {}): Router => {
  const r = createRouter({ model_list: modelList(), random: lcg(7), ...options });
  routers.push(r);
  return r;
};

beforeAll(async () => {
  const start = () => startFakeUpstream({ flavor: 'openai', apiKey: KEY });
  [east, west, other] = await Promise.all([start(), start(), start()]);
});
afterAll(async () => {
  await Promise.all(routers.map((r) => r.close()));
  await Promise.all([east, west, other].map((f) => f?.close()));
});

describe('createRouter', () => {
  it('places files by weight, and ids name their deployment', async () => {
    const r = router();
    expect(r.deployments.map((d) => d.id)).toEqual(['east', 'east:2', expect.stringMatching(/^dep-/)]);
    const placed: string[] = [];
    for (let i = 0; i < 40; i++) {
      const file = await r.createFile({ model: 'gpt', file: [requestLine(`w${i}`, 'gpt')] });
      placed.push(r.parseId(file.id).deploymentId);
    }
    const onEast = placed.filter((d) => d === 'east').length;
    const onWest = placed.filter((d) => d === 'east:2').length;
    expect(onEast + onWest).toBe(40);
    expect(onEast).toBeGreaterThan(onWest);
    expect(onWest).toBeGreaterThan(0);
    // 'other' has its own group: a placement in 'gpt' never lands there, and its lines name the upstream model.
    expect(other.files.size).toBe(0);
    const [anyEastFile] = [...east.files.keys()];
    expect(east.fileModels(anyEastFile ?? '')).toEqual(['gpt-4o-mini']);
  });

  it('runs the seed flow with router ids, taken back as strings or objects', async () => {
    const r = router();
    const file = await r.createFile({ model: 'gpt', file: Buffer.from(jsonl([requestLine('a', 'gpt'), requestLine('b', 'gpt')])), filename: 'in.jsonl' });
    const { deploymentId, upstreamId } = r.parseId(file.id);
    expect(file.id).toBe(`${deploymentId}:${upstreamId}`);
    const fake = deploymentId === 'east' ? east : west;
    expect(fake.files.has(upstreamId)).toBe(true);

    const batch = await r.createBatch({ input_file_id: { deploymentId, upstreamId }, endpoint: '/v1/chat/completions' });
    expect(batch.id.startsWith(`${deploymentId}:`)).toBe(true);
    expect(batch.input_file_id).toBe(file.id);
    expect(fake.batches.has(r.parseId(batch.id).upstreamId)).toBe(true);

    const done = await r.waitForBatch(batch.id, FAST);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
    expect(done.output_file_id?.startsWith(`${deploymentId}:`)).toBe(true);
    const lines = (await (await r.fileContent(done.output_file_id ?? '')).text()).trim().split('\n');
    expect(lines).toHaveLength(2);

    expect((await r.retrieveFile(file.id)).id).toBe(file.id);
    const listed = await r.listBatches({ model: 'gpt', limit: 1000 });
    expect(listed.data.map((b) => b.id)).toContain(batch.id);
    const files = await r.listFiles({ limit: 1000 });
    expect(files.data.map((f) => f.id)).toContain(file.id);

    expect(() => r.parseId('nowhere:file-1')).toThrow(SdkError);
    await expect(r.retrieveBatch('nowhere:batch_1')).rejects.toMatchObject({ code: 'not_found' });
    await expect(r.createFile({ file: [requestLine('x')] })).rejects.toMatchObject({ code: 'missing_required_parameter', param: 'model' });
  });

  it('moves a replayable upload to the next deployment, and cools the failing one down', async () => {
    // random 0 always draws the first (heaviest) deployment: east.
    const r = router({ random: () => 0, allowed_fails: 1, cooldown_time: 60 });
    east.failNext('uploadFile', { status: 503 });
    const file = await r.createFile({ model: 'gpt', file: [requestLine('f1', 'gpt')] });
    expect(r.parseId(file.id).deploymentId).toBe('east:2');
    expect(r.health('east')).toMatchObject({ consecutiveFailures: 1, coolingDownUntilMs: expect.any(Number) });
    // While east cools down, west is placed first even though the draw favours east.
    const next = await r.createFile({ model: 'gpt', file: [requestLine('f2', 'gpt')] });
    expect(r.parseId(next.id).deploymentId).toBe('east:2');
  });

  it('does not move a stream upload (it cannot be read again): the error says why it failed', async () => {
    const r = router({ random: () => 0 });
    east.failNext('uploadFile', { status: 503 });
    const err = await r.createFile({ model: 'gpt', file: Readable.from([Buffer.from(jsonl([requestLine('s', 'gpt')]))]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SdkError);
    expect(err).toMatchObject({ status: 503, retryable: true, deploymentId: 'east' });
  });
});
