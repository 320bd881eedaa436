/**
 * Capability limits are checked before a file is placed: a deployment whose upstream would refuse
 * the batch (Bedrock's minimum records per job, Vertex's maximum requests or bytes) gets no copy,
 * so batches land where they can run. When a model group has no deployment left, the upload is
 * refused with a 400 that names the limits, before any byte goes upstream.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { Deployment } from '../deployment.js';
import type { CapabilityLimits, ProviderRegistry } from '../ports/provider-adapter.js';

export interface FileSize {
  readonly lines: number;
  readonly bytes: number;
}

/** Why the file does not fit the limits, or null when it does. */
export function limitBreach(limits: CapabilityLimits, size: FileSize): string | null {
  if (limits.minLines !== null && size.lines < limits.minLines) {
    return `at least ${limits.minLines} requests per batch (the file has ${size.lines})`;
  }
  if (limits.maxLines !== null && size.lines > limits.maxLines) {
    return `at most ${limits.maxLines} requests per batch (the file has ${size.lines})`;
  }
  if (limits.maxBytes !== null && size.bytes > limits.maxBytes) {
    return `at most ${limits.maxBytes} bytes per input file (the file has ${size.bytes})`;
  }
  return null;
}

/** The deployments the file fits, or a typed 400 naming each one's limit when none is left. */
export function deploymentsThatFit(
  registry: ProviderRegistry,
  deployments: readonly Deployment[],
  size: FileSize | null,
  what: string,
): Deployment[] {
  if (size === null || deployments.length === 0) return [...deployments];
  const breaches = deployments.map((d) => ({ d, breach: limitBreach(registry.adapterFor(d).capabilities.limits, size) }));
  const fit = breaches.filter((b) => b.breach === null).map((b) => b.d);
  if (fit.length > 0) return fit;
  const reasons = breaches.map((b) => `'${b.d.id}' (${b.d.provider}) takes ${b.breach ?? ''}`).join('; ');
  throw new GatewayError('outside_deployment_limits', `The file does not fit any deployment of ${what}: ${reasons}. Nothing was stored.`, {
    param: 'file',
  });
}
