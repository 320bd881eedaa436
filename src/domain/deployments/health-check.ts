/**
 * `GET /health` for batch deployments: one cheap authenticated call per deployment (the
 * adapter's probe, a files listing) instead of a chat completion, which batch-only Azure
 * deployments reject (LiteLLM #5279). Results also feed placement's cooldown.
 */
import { UpstreamError } from '../../errors/upstream-error.js';
import type { Deployment } from '../deployment.js';
import type { DeploymentDirectory } from './deployment-directory.js';
import type { DeploymentHealth } from './deployment-health.js';
import type { ProviderRegistry } from '../ports/provider-adapter.js';

export interface EndpointHealth {
  model: string;
  model_group: string;
  model_id: string;
  provider: string;
  api_base: string | null;
  cooling_down: boolean;
  error?: string;
}

export interface HealthReport {
  healthy_endpoints: EndpointHealth[];
  unhealthy_endpoints: EndpointHealth[];
  healthy_count: number;
  unhealthy_count: number;
}

const describe = (d: Deployment, health: DeploymentHealth): EndpointHealth => ({
  model: `${d.provider}/${d.upstreamModel}`,
  model_group: d.modelGroup,
  model_id: d.id,
  provider: d.provider,
  api_base: typeof d.params.api_base === 'string' ? d.params.api_base : null,
  cooling_down: health.isCoolingDown(d.id),
});

export async function checkDeployments(
  directory: DeploymentDirectory,
  registry: ProviderRegistry,
  health: DeploymentHealth,
  signal: AbortSignal,
): Promise<HealthReport> {
  const results = await Promise.all(
    directory.all.map(async (d) => {
      try {
        await registry.adapterFor(d).probe({ signal });
        health.recordSuccess(d.id);
        return { ok: true as const, entry: describe(d, health) };
      } catch (err) {
        const message = err instanceof UpstreamError ? err.toGatewayError().message : err instanceof Error ? err.message : String(err);
        if (err instanceof UpstreamError && err.retryable) health.recordFailure(d.id, message);
        return { ok: false as const, entry: { ...describe(d, health), error: message } };
      }
    }),
  );
  const healthy = results.filter((r) => r.ok).map((r) => r.entry);
  const unhealthy = results.filter((r) => !r.ok).map((r) => r.entry);
  return { healthy_endpoints: healthy, unhealthy_endpoints: unhealthy, healthy_count: healthy.length, unhealthy_count: unhealthy.length };
}
