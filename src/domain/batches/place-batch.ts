/**
 * Placement of a batch create: tried on each deployment holding the input in turn, moving on only
 * when the upstream surely created nothing. Shared by the create path; the health of each
 * deployment is kept up to date on the way.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { Deployment } from '../deployment.js';
import { recordControlSuccess } from '../deployments/deployment-health.js';
import type { ProviderAdapter, UpstreamBatch } from '../ports/provider-adapter.js';
import type { ServiceDeps } from '../service-deps.js';

/** Creates the batch on the first deployment of `order` that accepts it. */
export async function placeOnFirstThatAccepts(
  deps: ServiceDeps,
  order: readonly Deployment[],
  inputFor: (d: Deployment) => Parameters<ProviderAdapter['createBatch']>[0],
  signal: AbortSignal,
): Promise<{ deployment: Deployment; upstream: UpstreamBatch }> {
  let lastError: unknown = null;
  for (const deployment of order) {
    const adapter = deps.registry.adapterFor(deployment);
    try {
      const upstream = await adapter.createBatch(inputFor(deployment), { signal });
      recordControlSuccess(deps.health, adapter);
      return { deployment, upstream };
    } catch (err) {
      if (!(err instanceof UpstreamError) || signal.aborted) throw err;
      const next = nextDeploymentAfter(err);
      if (next === 'stop') throw err;
      if (next === 'unhealthy') deps.health.recordFailure(deployment.id, err.message);
      deps.logger.warn({ deploymentId: deployment.id, err: err.message, next }, 'batch creation failed; trying the next deployment');
      lastError = err;
    }
  }
  throw lastError ?? new GatewayError('no_deployment', 'No deployment could take the batch.');
}

/**
 * Whether a failed create may have left a batch upstream: the client left or the deadline passed
 * mid-call, or the last attempt ended without an answer (a timeout, a reset connection).
 */
export const mayHaveCreated = (err: unknown, signal: AbortSignal): boolean =>
  signal.aborted || !(err instanceof UpstreamError) || err.failure !== 'http';

/**
 * Whether a failed create may move on to the next deployment holding the file. Only when the
 * upstream surely created nothing: it refused (429, 5xx, connection refused), or it no longer
 * holds its copy of the input (expired or deleted there). A timeout stops: the upstream may have
 * created the batch anyway, and a second one elsewhere would run (and bill) the work twice.
 */
const nextDeploymentAfter = (err: UpstreamError): 'unhealthy' | 'lacks-file' | 'stop' => {
  if (err.failure === 'timeout') return 'stop';
  if (err.failure === 'connection') return 'unhealthy';
  if (err.status === 429 || (err.status !== null && err.status >= 500)) return 'unhealthy';
  // OpenAI answers an unknown input with 400 "Cannot find file …" (param file_id / input_file_id).
  const aboutInputFile = err.upstreamParam === 'input_file_id' || err.upstreamParam === 'file_id';
  const notFound = /cannot find|not found|no such/i.test(err.upstreamMessage);
  if (err.status === 404 || (err.status === 400 && aboutInputFile && notFound)) return 'lacks-file';
  return 'stop';
};
