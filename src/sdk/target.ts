/**
 * Where an SDK call goes: a provider with its credentials, or one deployment in LiteLLM
 * `model_list` form. Both become the gateway's own `Deployment`, read by the gateway's own config
 * reader (`config/deployments.ts`: `os.environ/` references, provider prefixes, derived ids), so
 * an entry copied from a gateway `config.yaml` means the same thing here.
 */
import { createHash } from 'node:crypto';
import { readDeployments } from '../config/deployments.js';
import { Diagnostics } from '../config/diagnostics.js';
import type { Deployment } from '../domain/deployment.js';
import { sdkError } from './errors.js';

/** Provider kinds the SDK runs batches on (the upstream runs them: no gateway executor here). */
export const SDK_PROVIDERS = ['openai', 'azure', 'vertex_ai', 'bedrock', 'anthropic', 'gemini'] as const;
export type SdkProvider = (typeof SDK_PROVIDERS)[number];

/** Providers whose batch jobs need a model named up front (their job is created for one model). */
const NEEDS_MODEL: ReadonlySet<string> = new Set(['vertex_ai', 'bedrock', 'anthropic', 'gemini']);

/**
 * `{provider, ...credentials}`: every other key is a `litellm_params` key (`api_key`, `api_base`,
 * `api_version`, `vertex_project`, `vertex_location`, `vertex_credentials`, `gcs_bucket_name`,
 * `aws_region_name`, `s3_bucket_name`, `aws_batch_role_arn`, …), values may be `os.environ/NAME`.
 */
export interface ProviderTarget {
  readonly provider: SdkProvider;
  /**
   * The upstream model (Azure: the deployment name). Required for vertex_ai, bedrock, anthropic
   * and gemini; optional for openai/azure, where it also replaces every line's `body.model`.
   */
  readonly model?: string | undefined;
  /** The deployment id (`model_info.id`); derived from provider, model and endpoint when absent. */
  readonly id?: string | undefined;
  readonly [param: string]: unknown;
}

/** One `model_list` entry, as in the gateway's (and LiteLLM's) `config.yaml`. */
export interface ModelListDeployment {
  readonly model_name: string;
  readonly litellm_params: { readonly model: string; readonly [param: string]: unknown };
  readonly model_info?: Readonly<Record<string, unknown>> | undefined;
}

export type Target = ProviderTarget | ModelListDeployment;

export type Env = Readonly<Record<string, string | undefined>>;

export const isModelListDeployment = (t: Target): t is ModelListDeployment =>
  typeof t === 'object' && t !== null && 'litellm_params' in t;

/** A `ProviderTarget` as the `model_list` entry it stands for. */
export function asModelListEntry(target: ProviderTarget): ModelListDeployment {
  const { provider, model, id, ...params } = target;
  if (typeof provider !== 'string' || !(SDK_PROVIDERS as readonly string[]).includes(provider)) {
    throw sdkError('invalid_request', `provider must be one of ${SDK_PROVIDERS.join(', ')} (got ${JSON.stringify(provider)})`, { param: 'provider' });
  }
  if ((model === undefined || model === '') && NEEDS_MODEL.has(provider)) {
    throw sdkError('missing_required_parameter', `provider '${provider}' needs 'model' (the upstream model its batch jobs run on)`, { param: 'model' });
  }
  const upstream = model === undefined || model === '' ? '*' : model;
  return {
    model_name: upstream,
    litellm_params: { ...params, model: `${provider}/${upstream}` },
    ...(id === undefined ? {} : { model_info: { id } }),
  };
}

/** Reads a whole `model_list` the way the gateway does; any problem is one `invalid_request` error listing all. */
export function readModelList(modelList: readonly ModelListDeployment[], env: Env): Deployment[] {
  const diag = new Diagnostics();
  // The reader writes resolved limits back into the mappings it is given: hand it copies.
  const copy = JSON.parse(JSON.stringify(modelList)) as unknown;
  const deployments = readDeployments(copy, env, diag, { knownProviders: SDK_PROVIDERS });
  if (diag.problems.length > 0) {
    throw sdkError('invalid_request', `invalid deployment: ${diag.problems.join('; ')}`, { param: 'model_list' });
  }
  return deployments;
}

export function toDeployment(target: Target, env: Env): Deployment {
  if (typeof target !== 'object' || target === null) {
    throw sdkError('invalid_request', 'the target must be {provider, ...credentials} or a model_list entry {model_name, litellm_params}');
  }
  const entry = isModelListDeployment(target) ? target : asModelListEntry(target);
  const [deployment] = readModelList([entry], env);
  if (deployment === undefined) throw sdkError('invalid_request', 'the target names no deployment');
  return deployment;
}

/** A cache key for a target object: the same settings give the same Deployment (and adapter, and its token cache). */
export const targetKey = (target: Target): string =>
  createHash('sha256').update(stableJson(target)).digest('hex');

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
