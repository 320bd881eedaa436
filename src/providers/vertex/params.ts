/**
 * The Vertex deployment's settings, resolved once from `litellm_params` (LiteLLM's names) and the
 * environment, with every problem reported at once as a `ProviderConfigError`:
 *
 * - project: `vertex_project`, else env `VERTEXAI_PROJECT`, else the key's `project_id`;
 * - location: `vertex_location`, else env `VERTEXAI_LOCATION`, else `us-central1`;
 * - credentials: `vertex_credentials` (key JSON, as a string or an object, or a file path), else
 *   the file env `GOOGLE_APPLICATION_CREDENTIALS` names;
 * - bucket: `gcs_bucket_name` or `bucket_name` (`bucket/prefix` allowed), else env
 *   `GCS_BUCKET_NAME`;
 * - `api_base` (Vertex API, with or without `/v1`), `gcs_api_base` (GCS JSON API).
 */
import type { Deployment } from '../../domain/deployment.js';
import { ProviderConfigError } from '../shared/config-error.js';
import { isRecord } from '../shared/json.js';
import { stringParam, trimTrailingSlashes } from '../shared/params.js';
import { parseServiceAccount, type ServiceAccount } from './credentials.js';

export const DEFAULT_LOCATION = 'us-central1';
export const DEFAULT_GCS_API_BASE = 'https://storage.googleapis.com';

export interface VertexConfig {
  readonly project: string;
  readonly location: string;
  readonly bucket: string;
  /** Empty, or a path ending in `/`, under which every object of ours lives. */
  readonly prefix: string;
  /** Origin (and path) before `/v1/projects/…`. */
  readonly vertexBase: string;
  readonly gcsBase: string;
  readonly credentials: ServiceAccount;
}

type Env = Readonly<Record<string, string | undefined>>;

const envValue = (env: Env, key: string): string | null => {
  const value = env[key];
  return value === undefined || value.trim() === '' ? null : value.trim();
};

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const LOCATION = /^[a-z][a-z0-9-]*$/;

const vertexHost = (location: string): string =>
  location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;

const credentialsOf = (deployment: Deployment, env: Env): ServiceAccount | { problem: string } => {
  const raw = deployment.params['vertex_credentials'];
  if (isRecord(raw) || (typeof raw === 'string' && raw.trim() !== '')) return parseServiceAccount(raw, 'litellm_params.vertex_credentials');
  const path = envValue(env, 'GOOGLE_APPLICATION_CREDENTIALS');
  if (path !== null) return parseServiceAccount(path, 'GOOGLE_APPLICATION_CREDENTIALS');
  return {
    problem:
      'no Google credentials: set litellm_params.vertex_credentials to a service-account key (its JSON, or a path to the JSON file), ' +
      'or set env GOOGLE_APPLICATION_CREDENTIALS to the key file path',
  };
};

export const resolveVertexConfig = (deployment: Deployment, env: Env): VertexConfig => {
  const problems: string[] = [];
  const credentials = credentialsOf(deployment, env);
  if ('problem' in credentials) problems.push(credentials.problem);
  const account = 'problem' in credentials ? null : credentials;

  const project = stringParam(deployment, 'vertex_project') ?? envValue(env, 'VERTEXAI_PROJECT') ?? account?.projectId ?? null;
  if (project === null) {
    problems.push(
      'no Google Cloud project: set litellm_params.vertex_project or env VERTEXAI_PROJECT, or use a service-account key that has a project_id',
    );
  }

  const location = stringParam(deployment, 'vertex_location') ?? envValue(env, 'VERTEXAI_LOCATION') ?? DEFAULT_LOCATION;
  if (!LOCATION.test(location)) problems.push(`vertex_location '${location}' is not a Google Cloud location (e.g. us-central1, europe-west4, global)`);

  const rawBucket = stringParam(deployment, 'gcs_bucket_name') ?? stringParam(deployment, 'bucket_name') ?? envValue(env, 'GCS_BUCKET_NAME');
  let bucket = '';
  let prefix = '';
  if (rawBucket === null) {
    problems.push(
      'no GCS bucket for batch input and output files: set litellm_params.gcs_bucket_name (or bucket_name) on the deployment, ' +
        'litellm_settings.gcs_bucket_name, or env GCS_BUCKET_NAME; a bucket/prefix value is allowed',
    );
  } else {
    const path = rawBucket.replace(/^gs:\/\//, '');
    const slash = path.indexOf('/');
    bucket = slash < 0 ? path : path.slice(0, slash);
    const rest = slash < 0 ? '' : path.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    prefix = rest === '' ? '' : `${rest}/`;
    if (!BUCKET_NAME.test(bucket)) problems.push(`gcs_bucket_name '${bucket}' is not a valid GCS bucket name (lowercase letters, digits, '-', '_', '.')`);
  }

  if (problems.length > 0 || account === null || project === null) throw new ProviderConfigError(problems);
  const apiBase = stringParam(deployment, 'api_base');
  return Object.freeze({
    project,
    location,
    bucket,
    prefix,
    vertexBase: apiBase === null ? vertexHost(location) : trimTrailingSlashes(apiBase).replace(/\/v1$/, ''),
    gcsBase: trimTrailingSlashes(stringParam(deployment, 'gcs_api_base') ?? DEFAULT_GCS_API_BASE),
    credentials: account,
  });
};
