/**
 * Placement (issue 3, "What must work" 3 and 8): LiteLLM's simple-shuffle weighted by
 * `litellm_params.weight` (else `rpm`), and cooldown after `router_settings.allowed_fails`
 * failures for `cooldown_time` seconds. Randomness and time are injected, so every run draws the
 * same numbers and no test waits.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { DeploymentHealth } from '../../src/domain/deployments/deployment-health.js';
import { placementOrder, weightedShuffle } from '../../src/domain/deployments/placement.js';
import { startGateway, tempDir, type InProcessGateway } from '../helpers/gateway.js';
import {
  ENV,
  ManualClock,
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

const deployment = (id: string, weight: number): Deployment => ({
  id,
  modelGroup: 'g',
  provider: 'openai',
  upstreamModel: id,
  params: {},
  info: {},
  weight,
});

describe('weighted shuffle', () => {
  it('draws each deployment first in proportion to its weight', () => {
    const items = [deployment('a', 1), deployment('b', 3), deployment('c', 6)];
    const random = seededRandom(1);
    const firsts = new Map<string, number>();
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const id = weightedShuffle(items, random)[0]?.id ?? '';
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    expect((firsts.get('a') ?? 0) / N).toBeCloseTo(0.1, 1);
    expect((firsts.get('b') ?? 0) / N).toBeCloseTo(0.3, 1);
    expect((firsts.get('c') ?? 0) / N).toBeCloseTo(0.6, 1);
  });

  it('returns every deployment exactly once, whatever the draws', () => {
    const items = [deployment('a', 1), deployment('b', 2), deployment('c', 3)];
    for (const draw of [0, 0.25, 0.5, 0.999999]) {
      expect(weightedShuffle(items, () => draw).map((d) => d.id).sort()).toEqual(['a', 'b', 'c']);
    }
  });

  it('puts deployments cooling down last, healthy ones first', () => {
    const clock = new ManualClock();
    const health = new DeploymentHealth(clock, 1, 30);
    health.recordFailure('c', 'boom');
    const items = [deployment('a', 1), deployment('b', 1), deployment('c', 1_000_000)];
    const order = placementOrder(items, health, seededRandom(3));
    expect(order.map((d) => d.id).at(-1)).toBe('c');
    expect(order).toHaveLength(3);
  });
});

describe('deployment health', () => {
  it('cools a deployment down after allowed_fails failures in a row, for cooldown_time seconds', () => {
    const clock = new ManualClock();
    const health = new DeploymentHealth(clock, 3, 45);
    health.recordFailure('d', 'one');
    health.recordFailure('d', 'two');
    expect(health.isCoolingDown('d')).toBe(false);
    health.recordFailure('d', 'three');
    expect(health.isCoolingDown('d')).toBe(true);
    expect(health.stateOf('d')).toEqual({ deploymentId: 'd', consecutiveFailures: 3, coolingDownUntilMs: clock.ms + 45_000, lastError: 'three' });
    clock.advance(44_999);
    expect(health.isCoolingDown('d')).toBe(true);
    clock.advance(1);
    expect(health.isCoolingDown('d')).toBe(false);
  });

  it('forgets failures after a success', () => {
    const health = new DeploymentHealth(new ManualClock(), 2, 10);
    health.recordFailure('d', 'one');
    health.recordSuccess('d');
    health.recordFailure('d', 'two');
    expect(health.isCoolingDown('d')).toBe(false);
    expect(health.stateOf('d').consecutiveFailures).toBe(1);
  });
});

describe('placement weights from the config', () => {
  it('reads litellm_params.weight, else rpm, else 1', async () => {
    const dir = await tempDir();
    try {
      const configPath = join(dir.path, 'config.yaml');
      await writeFile(
        configPath,
        `model_list:
  - model_name: g
    litellm_params: { model: openai/a, api_key: k, weight: 4, rpm: 100 }
    model_info: { id: with-weight }
  - model_name: g
    litellm_params: { model: openai/b, api_key: k, rpm: 250 }
    model_info: { id: with-rpm }
  - model_name: g
    litellm_params: { model: openai/c, api_key: k }
    model_info: { id: plain }
`,
      );
      const config = await loadConfig({ configPath, env: {}, overrides: { dataDir: dir.path } });
      expect(config.deployments.map((d) => [d.id, d.weight])).toEqual([
        ['with-weight', 4],
        ['with-rpm', 250],
        ['plain', 1],
      ]);
    } finally {
      await dir.remove();
    }
  });
});

describe('placement through the gateway', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await startFakes();
    // Weights 9 : 1 between the two Azure accounts; the OpenAI account does not serve the group.
    gw = await startGateway({ yaml: managedYaml(fakes, { azureOnly: true, weights: { eu: 9, us: 1 } }), env: ENV, random: seededRandom(2024) });
    client = newClient(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  it('follows litellm_params.weight', async () => {
    const file = await uploadManaged(client, jsonl(1));
    const N = 80;
    for (let i = 0; i < N; i++) await createBatch(client, file.id);
    const eu = batchCreates(fakes.eu).length;
    const us = batchCreates(fakes.us).length;
    expect(eu + us).toBe(N);
    // Expected 72 : 8. Unweighted it would be about 40 : 40.
    expect(eu).toBeGreaterThanOrEqual(64);
    expect(us).toBeGreaterThanOrEqual(2);
  });
});

describe('cooldown at batch create', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;
  const clock = new ManualClock();

  beforeAll(async () => {
    fakes = await startFakes();
    // The EU account is always drawn first while it is healthy (weight 1000 : 1, constant draw).
    gw = await startGateway({
      yaml: managedYaml(fakes, { azureOnly: true, weights: { eu: 1000, us: 1 }, routerSettings: '  allowed_fails: 2\n  cooldown_time: 30\n' }),
      env: ENV,
      random: () => 0.5,
      clock,
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

  const placeOne = async (fileId: string) => {
    const before = snapshot(fakes.all);
    await createBatch(client, fileId);
    return placedOn(fakes.all, before).fake;
  };

  it('skips a deployment for cooldown_time after allowed_fails failures, then tries it again', async () => {
    const file = await uploadManaged(client, jsonl(1));
    const euTries = (): number => batchCreates(fakes.eu).length;
    fakes.eu.failNext('createBatch', { status: 500, times: 3 });

    // Two failures (allowed_fails: 2): each create still succeeds, on the US account.
    expect(await placeOne(file.id)).toBe(fakes.us);
    expect(await placeOne(file.id)).toBe(fakes.us);
    expect(euTries()).toBe(2);

    // Cooling down: EU is not even tried, though it is by far the heaviest.
    for (let i = 0; i < 5; i++) expect(await placeOne(file.id)).toBe(fakes.us);
    clock.advance(29_000);
    expect(await placeOne(file.id)).toBe(fakes.us);
    expect(euTries()).toBe(2);

    // Cooldown over: EU is tried first again; it fails once more and cools down again at once.
    clock.advance(1_001);
    expect(await placeOne(file.id)).toBe(fakes.us);
    expect(euTries()).toBe(3);
    expect(await placeOne(file.id)).toBe(fakes.us);
    expect(euTries()).toBe(3);

    // Next time round it answers again: placement goes back to it and its failures are forgotten.
    clock.advance(30_001);
    expect(await placeOne(file.id)).toBe(fakes.eu);
    expect(await placeOne(file.id)).toBe(fakes.eu);
    const eu = gw.gateway.directory.all.find((d) => d.id === UPSTREAM.eu.id);
    expect(gw.gateway.health.stateOf(eu?.id ?? '').consecutiveFailures).toBe(0);
  });

  it('uses a cooling-down deployment as a last resort rather than failing', async () => {
    const file = await uploadManaged(client, jsonl(1));
    fakes.eu.failNext('createBatch', { status: 503, times: 2 });
    await placeOne(file.id);
    await placeOne(file.id);
    expect(gw.gateway.health.isCoolingDown(UPSTREAM.eu.id)).toBe(true);
    await fakes.us.down();
    // The only healthy holder is down: the one cooling down is still tried, and answers.
    expect(await placeOne(file.id)).toBe(fakes.eu);
  });

  it('leaves a deployment cooling down out of a new upload', async () => {
    fakes.eu.failNext('createBatch', { status: 500, times: 2 });
    const warm = await uploadManaged(client, jsonl(1));
    await placeOne(warm.id);
    await placeOne(warm.id);
    expect(gw.gateway.health.isCoolingDown(UPSTREAM.eu.id)).toBe(true);
    const euUploads = uploads(fakes.eu).length;
    const file = await uploadManaged(client, jsonl(1));
    expect(uploads(fakes.eu).length).toBe(euUploads);
    expect((await gw.gateway.store.files.copies(file.id)).map((c) => c.deploymentId)).not.toContain(UPSTREAM.eu.id);
    clock.advance(31_000);
  });
});
