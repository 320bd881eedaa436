/**
 * `model_list` → deployments: one entry per upstream endpoint, grouped by `model_name`.
 */
import type { Deployment } from '../domain/deployment.js';
import { deriveDeploymentId } from './deployment-id.js';
import { Diagnostics, indexPath, isMapping, keyPath, type Mapping } from './diagnostics.js';
import { resolveEnvRefs, type Env } from './env.js';
import {
  anyString,
  deploymentId,
  httpUrl,
  nonEmptyString,
  positiveInteger,
  positiveNumber,
  readField,
  requireField,
  type Field,
} from './fields.js';
import { LITELLM_PARAMS, MODEL_ENTRY, MODEL_INFO } from './keys.js';
import { parseProviderModel } from './provider.js';
import { checkKeys, suggestKey } from './typos.js';
import { z } from 'zod';

export const NO_DEPLOYMENTS_IN_CONFIG = 'no deployments: model_list is missing or empty';

export interface DeploymentOptions {
  /** Provider kinds the product has adapters for; any other stops start-up, naming the nearest. */
  readonly knownProviders?: readonly string[] | undefined;
}

/** `litellm_params` the loader itself reads (routing, identity); the rest pass through unchecked. */
const CHECKED_PARAMS: Readonly<Record<string, Field<string>>> = {
  api_key: anyString,
  api_base: httpUrl,
  api_version: nonEmptyString,
  organization: nonEmptyString,
  vertex_project: nonEmptyString,
  vertex_location: nonEmptyString,
  aws_region_name: nonEmptyString,
};

export function readDeployments(
  modelList: unknown,
  env: Env,
  diag: Diagnostics,
  options: DeploymentOptions,
): Deployment[] {
  if (modelList === undefined || modelList === null || (Array.isArray(modelList) && modelList.length === 0)) {
    diag.problem(NO_DEPLOYMENTS_IN_CONFIG);
    return [];
  }
  if (!Array.isArray(modelList)) {
    diag.problem('model_list must be a list of deployments ({model_name, litellm_params, model_info})');
    return [];
  }
  const read: Read[] = [];
  modelList.forEach((entry: unknown, index) => {
    const path = indexPath('model_list', index);
    const deployment = readDeployment(entry, path, env, diag, options);
    if (deployment !== undefined) read.push({ ...deployment, path });
  });
  const ids = withSharedUpstreamsApart(read);
  rejectDuplicateIds(ids, diag);
  return ids.map(({ deployment }) => deployment);
}

interface Read {
  readonly deployment: Deployment;
  readonly path: string;
  /** The id with the model group in it, when the id was derived (no model_info.id). */
  readonly groupedId: string | null;
}

/**
 * A derived id leaves the model group out, so one upstream listed under two groups would get one
 * id: those deployments (only those) take the id that includes their group.
 */
function withSharedUpstreamsApart(read: readonly Read[]): Read[] {
  const groupsById = new Map<string, Set<string>>();
  for (const r of read) {
    if (r.groupedId === null) continue;
    const groups = groupsById.get(r.deployment.id) ?? new Set<string>();
    groups.add(r.deployment.modelGroup);
    groupsById.set(r.deployment.id, groups);
  }
  return read.map((r) =>
    r.groupedId !== null && (groupsById.get(r.deployment.id)?.size ?? 0) > 1 ? { ...r, deployment: { ...r.deployment, id: r.groupedId } } : r,
  );
}

/** Ids must be unique: two deployments sharing one would share every stored object's routing. */
function rejectDuplicateIds(read: readonly Read[], diag: Diagnostics): void {
  const firstPathById = new Map<string, string>();
  for (const { deployment, path } of read) {
    const first = firstPathById.get(deployment.id);
    if (first === undefined) {
      firstPathById.set(deployment.id, path);
      continue;
    }
    diag.problem(
      `${path} has the same deployment id '${deployment.id}' as ${first}; ` +
        `set a distinct model_info.id on each`,
    );
  }
}

/**
 * A required sub-key. When the typo check already suggested it (`litelm_params` for
 * `litellm_params`), the "missing" message would only repeat that problem, so it is skipped.
 */
function required<T>(
  mapping: Mapping,
  key: string,
  path: string,
  field: Field<T>,
  suggested: ReadonlySet<string>,
  diag: Diagnostics,
): T | undefined {
  const value = mapping[key];
  if ((value === undefined || value === null) && suggested.has(key)) return undefined;
  return requireField(value, keyPath(path, key), field, diag);
}

function readDeployment(
  raw: unknown,
  path: string,
  env: Env,
  diag: Diagnostics,
  options: DeploymentOptions,
): Omit<Read, 'path'> | undefined {
  if (!isMapping(raw)) {
    diag.problem(`${path} must be a mapping with model_name and litellm_params`);
    return undefined;
  }
  const suggested = checkKeys(raw, path, MODEL_ENTRY, diag);
  const entry = resolveEnvRefs(raw, path, env, diag) as Mapping;

  const modelGroup = required(entry, 'model_name', path, nonEmptyString, suggested, diag);
  const params = readParams(entry.litellm_params, path, suggested, diag);
  const info = readInfo(entry.model_info, path, diag);
  if (params === undefined) return undefined;

  const paramsPath = keyPath(path, 'litellm_params');
  const model = required(params.mapping, 'model', paramsPath, nonEmptyString, params.suggested, diag);
  const customProvider = readField(
    params.mapping.custom_llm_provider,
    keyPath(paramsPath, 'custom_llm_provider'),
    nonEmptyString,
    diag,
  );
  for (const [key, field] of Object.entries(CHECKED_PARAMS)) {
    readField(params.mapping[key], keyPath(paramsPath, key), field, diag);
  }
  const explicitId = readField(info.id, keyPath(keyPath(path, 'model_info'), 'id'), deploymentId, diag);
  const weight = readWeight(params.mapping, info, path, diag);
  checkExecution(params.mapping, info, path, diag);
  if (modelGroup === undefined || model === undefined) return undefined;

  const { provider, upstreamModel } = parseProviderModel(model, customProvider);
  if (provider === '' || upstreamModel === '') {
    diag.problem(`${keyPath(paramsPath, 'model')} must be '<provider>/<model>' with both parts non-empty`);
    return undefined;
  }
  if (provider === 'hosted_vllm' && typeof params.mapping['api_base'] !== 'string') {
    // A self-hosted server has no default address; without one every batch would fail at its first line.
    diag.problem(`${keyPath(paramsPath, 'api_base')} is required for hosted_vllm (model_name '${modelGroup}'): the URL of the vLLM server, e.g. http://localhost:8000/v1`);
    return undefined;
  }
  if (options.knownProviders !== undefined && !options.knownProviders.includes(provider)) {
    // A typo (`azzure/…`) would otherwise start and fail at the deployment's first request.
    const near = suggestKey(provider, options.knownProviders);
    diag.problem(
      `${keyPath(paramsPath, 'model')}: provider '${provider}' (model_name '${modelGroup}') is not supported by batchgate ` +
        `(supported: ${options.knownProviders.join(', ')})${near === undefined ? '' : `; did you mean '${near}/${upstreamModel}'?`}`,
    );
    return undefined;
  }
  const identity = { provider, upstreamModel, params: params.mapping };
  const id = explicitId ?? deriveDeploymentId(identity);
  const groupedId = explicitId === undefined ? deriveDeploymentId({ ...identity, modelGroup }) : null;
  return { deployment: { id, modelGroup, provider, upstreamModel, params: params.mapping, info, weight }, groupedId };
}

function readParams(
  value: unknown,
  path: string,
  suggested: ReadonlySet<string>,
  diag: Diagnostics,
): { mapping: Mapping; suggested: ReadonlySet<string> } | undefined {
  const paramsPath = keyPath(path, 'litellm_params');
  if ((value === undefined || value === null) && suggested.has('litellm_params')) return undefined;
  if (!isMapping(value)) {
    diag.problem(`${paramsPath} must be a mapping with at least 'model'`);
    return undefined;
  }
  return { mapping: value, suggested: checkKeys(value, paramsPath, LITELLM_PARAMS, diag) };
}

function readInfo(value: unknown, path: string, diag: Diagnostics): Mapping {
  const infoPath = keyPath(path, 'model_info');
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) {
    diag.problem(`${infoPath} must be a mapping`);
    return {};
  }
  checkKeys(value, infoPath, MODEL_INFO, diag);
  return value;
}

/** `model_info.batch_execution`: who runs the deployment's batches (domain/executor/execution-mode.ts). */
const BATCH_EXECUTION_MODES = ['gateway', 'native'] as const;
const batchExecution: Field<(typeof BATCH_EXECUTION_MODES)[number]> = {
  schema: z.enum(BATCH_EXECUTION_MODES),
  expected: "'gateway' (batchgate runs the lines itself) or 'native' (the provider's batch API)",
};

/**
 * A limit LiteLLM reads from `litellm_params` and `model_info` (`rpm`, `tpm`,
 * `max_parallel_requests`). The value read is written back into the mapping (resolved, not yet
 * frozen), so a limit that came from `os.environ/` as text is a number to every reader, as it
 * would be when written in the YAML.
 */
function readLimit(mapping: Mapping, key: string, path: string, field: Field<number>, diag: Diagnostics): number | undefined {
  const value = readField(mapping[key], keyPath(path, key), field, diag);
  if (value !== undefined) mapping[key] = value;
  return value;
}

/** The keys of gateway-executed batches (rpm is read with the weight). */
function checkExecution(params: Mapping, info: Mapping, path: string, diag: Diagnostics): void {
  const paramsPath = keyPath(path, 'litellm_params');
  const infoPath = keyPath(path, 'model_info');
  const mode = readField(info.batch_execution, keyPath(infoPath, 'batch_execution'), batchExecution, diag);
  const mock = readField(params.mock_response, keyPath(paramsPath, 'mock_response'), anyString, diag);
  if (mode === 'native' && mock !== undefined) {
    diag.warn(
      `${keyPath(infoPath, 'batch_execution')}: a deployment with litellm_params.mock_response is always ` +
        `executed by the gateway (its answers are the mock's); 'native' has no effect`,
    );
  }
  readLimit(params, 'max_parallel_requests', paramsPath, positiveInteger, diag);
  readLimit(params, 'tpm', paramsPath, positiveNumber, diag);
  readLimit(info, 'tpm', infoPath, positiveNumber, diag);
}

/** Share of placements: `weight`, else the deployment's `rpm` (as LiteLLM's shuffle), else 1. */
function readWeight(params: Mapping, info: Mapping, path: string, diag: Diagnostics): number {
  const paramsPath = keyPath(path, 'litellm_params');
  const weight = readField(params.weight, keyPath(paramsPath, 'weight'), positiveNumber, diag);
  const rpm = readLimit(params, 'rpm', paramsPath, positiveNumber, diag);
  const infoRpm = readLimit(info, 'rpm', keyPath(path, 'model_info'), positiveNumber, diag);
  return weight ?? rpm ?? infoRpm ?? 1;
}
