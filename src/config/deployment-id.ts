/**
 * Stable deployment ids. Every stored file and batch routes back to its deployment by this id, so
 * it must survive restarts, reordering of `model_list` and key rotation. LiteLLM hashes all of
 * `litellm_params` (api_key included), which orphans every stored object when a key is rotated;
 * we hash only what says where the upstream objects live: the provider, the upstream model and the
 * endpoint params below — not the model group's name, so a group can be renamed.
 */
import { createHash } from 'node:crypto';
import type { Mapping } from './diagnostics.js';

/**
 * Non-secret `litellm_params` that select the upstream account or endpoint. Deliberately left
 * out: secrets (rotation), `api_version` (bumping Azure's API version reaches the same resource
 * and must not orphan its batches), timeouts, retries and pricing (behaviour, not location).
 */
export const IDENTITY_PARAMS = [
  'api_base',
  'organization',
  'vertex_project',
  'vertex_location',
  'aws_region_name',
] as const;

export interface DeploymentIdentity {
  /**
   * Left out of the id unless given: renaming a model group must not orphan its batches. It is
   * given only to tell apart one upstream that serves several groups (`readDeployments`).
   */
  readonly modelGroup?: string | undefined;
  readonly provider: string;
  readonly upstreamModel: string;
  readonly params: Mapping;
}

/** `https://X.openai.azure.com/` and `https://x.openai.azure.com` are one endpoint. */
function normaliseBase(value: string): string {
  try {
    const url = new URL(value);
    // Credentials in a URL are secrets and must not take part (rotation); the rest is the address.
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  } catch {
    return value.replace(/\/+$/, '');
  }
}

function identityValue(key: string, value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return key === 'api_base' ? normaliseBase(value) : value;
}

export function deriveDeploymentId(identity: DeploymentIdentity): string {
  const canonical = JSON.stringify([
    ...(identity.modelGroup === undefined ? [] : [identity.modelGroup]),
    identity.provider,
    identity.upstreamModel,
    ...IDENTITY_PARAMS.map((key) => identityValue(key, identity.params[key])),
  ]);
  return `dep-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}
