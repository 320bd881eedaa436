/**
 * `GET /deployments`, the console's deployments page data (issue 13, point 6): each deployment's
 * group, provider, health and cooldown as DeploymentHealth tracks them, and its batches in flight;
 * the master key only, and no credential in the answer.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/deployment.js';
import { DeploymentDirectory } from '../../src/domain/deployments/deployment-directory.js';
import { DeploymentHealth } from '../../src/domain/deployments/deployment-health.js';
import { ADMIN_PRINCIPAL, type Principal } from '../../src/domain/principal.js';
import { installErrorHandling } from '../../src/http/error-handler.js';
import { deploymentRoutes, type DeploymentStatus } from '../../src/http/routes/deployments.js';

const deployment = (id: string, group: string, provider: string, extra: Partial<Deployment> = {}): Deployment => ({
  id,
  modelGroup: group,
  provider,
  upstreamModel: 'gpt-4o-mini',
  params: { api_key: 'sk-upstream-secret' },
  info: {},
  weight: 1,
  ...extra,
});

const VIRTUAL: Principal = { isAdmin: false, keyHash: 'h', userId: null, teamId: null, models: null };

let now = 1_000_000;
let app: FastifyInstance;
const health = new DeploymentHealth({ now: () => now }, 2, 60);

beforeAll(async () => {
  const directory = new DeploymentDirectory([
    deployment('dep-a', 'gpt', 'openai'),
    deployment('dep-b', 'gpt', 'azure'),
    deployment('dep-c', 'local', 'hosted_vllm'),
  ]);
  app = Fastify();
  installErrorHandling(app);
  app.decorateRequest('principal', null as unknown as Principal);
  // Stands in for the authenticated scope: the master key is "admin", anything else a virtual key.
  app.addHook('onRequest', async (request) => {
    request.principal = request.headers.authorization === 'Bearer master' ? ADMIN_PRINCIPAL : VIRTUAL;
  });
  deploymentRoutes(app, {
    directory,
    health,
    countBatches: async () => [
      { deploymentId: 'dep-a', status: 'in_progress', count: 2 },
      { deploymentId: 'dep-a', status: 'validating', count: 1 },
      { deploymentId: 'dep-a', status: 'completed', count: 5 },
      { deploymentId: 'dep-c', status: 'finalizing', count: 1 },
      // A deployment no longer configured is not listed.
      { deploymentId: 'dep-gone', status: 'in_progress', count: 3 },
    ],
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

const read = async (key: string) => app.inject({ method: 'GET', url: '/deployments', headers: { authorization: `Bearer ${key}` } });

describe('GET /deployments', () => {
  it('lists every deployment with its group, provider, execution and batches in flight', async () => {
    const res = await read('master');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { object: string; data: DeploymentStatus[] };
    expect(body.object).toBe('list');
    expect(body.data.map((d) => [d.id, d.model_group, d.provider, d.batch_execution, d.batches_in_flight])).toEqual([
      ['dep-a', 'gpt', 'openai', 'native', 3],
      ['dep-b', 'gpt', 'azure', 'native', 0],
      ['dep-c', 'local', 'hosted_vllm', 'gateway', 1],
    ]);
    expect(body.data[0]!.batches_by_status).toEqual({ in_progress: 2, validating: 1, completed: 5 });
    expect(res.body).not.toContain('sk-upstream-secret');
  });

  it('says failing after a failure, cooling down past allowed_fails, healthy again after a success', async () => {
    health.recordFailure('dep-b', 'upstream 503');
    let dep = ((await read('master')).json() as { data: DeploymentStatus[] }).data.find((d) => d.id === 'dep-b')!;
    expect(dep).toMatchObject({ health: 'failing', consecutive_failures: 1, cooldown_until: null, last_error: 'upstream 503' });
    health.recordFailure('dep-b', 'upstream 503');
    dep = ((await read('master')).json() as { data: DeploymentStatus[] }).data.find((d) => d.id === 'dep-b')!;
    expect(dep).toMatchObject({ health: 'cooling_down', consecutive_failures: 2, cooldown_until: new Date(now + 60_000).toISOString() });
    health.recordSuccess('dep-b');
    dep = ((await read('master')).json() as { data: DeploymentStatus[] }).data.find((d) => d.id === 'dep-b')!;
    expect(dep).toMatchObject({ health: 'healthy', consecutive_failures: 0, cooldown_until: null, last_error: null });
  });

  it('refuses a virtual key with the API 403 envelope', async () => {
    const res = await read('sk-virtual');
    expect(res.statusCode).toBe(403);
    expect((res.json() as { error: { message: string } }).error.message).toContain('master key');
  });
});
