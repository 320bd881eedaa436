/**
 * Settings LiteLLM reads from outside a deployment that our adapters read from the deployment:
 * `litellm_settings.gcs_bucket_name` is the bucket of every `vertex_ai` deployment that names none
 * of its own (LiteLLM users hit "GCS bucket_name is required" for want of one global setting). The
 * environment fallbacks (`GCS_BUCKET_NAME`, `AWS_S3_BUCKET_NAME`, …) are read by the adapters.
 */
import type { Deployment } from '../domain/deployment.js';
import { keyPath, type Diagnostics, type Mapping } from './diagnostics.js';
import { nonEmptyString, readField } from './fields.js';

export function withProviderDefaults(deployments: readonly Deployment[], root: Mapping, diag: Diagnostics): Deployment[] {
  const litellm = root['litellm_settings'];
  const raw = typeof litellm === 'object' && litellm !== null ? (litellm as Mapping)['gcs_bucket_name'] : undefined;
  const bucket = readField(raw, keyPath('litellm_settings', 'gcs_bucket_name'), nonEmptyString, diag);
  if (bucket === undefined) return [...deployments];
  return deployments.map((d) =>
    d.provider === 'vertex_ai' && d.params['gcs_bucket_name'] === undefined && d.params['bucket_name'] === undefined
      ? { ...d, params: { ...d.params, gcs_bucket_name: bucket } }
      : d,
  );
}
