/**
 * What clients may learn about model groups (`/model_group/info`, `/v1/model/info`, `/v1/models`),
 * in LiteLLM's shapes, limited to the groups the caller may use. Secrets never appear: only
 * non-secret deployment facts are read.
 */
import type { Deployment } from '../deployment.js';
import type { DeploymentDirectory } from '../deployments/deployment-directory.js';
import { mayUseModel } from '../auth/model-access.js';
import type { Principal } from '../principal.js';

const numberOrNull = (...values: unknown[]): number | null => {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return null;
};

const sum = (values: Array<number | null>): number | null =>
  values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);

const costOf = (d: Deployment, field: string): number | null => numberOrNull(d.info[field], d.params[field]);

export interface ModelGroupInfo {
  model_group: string;
  providers: string[];
  mode: string;
  max_input_tokens: number | null;
  max_output_tokens: number | null;
  input_cost_per_token: number | null;
  output_cost_per_token: number | null;
  input_cost_per_token_batches: number | null;
  output_cost_per_token_batches: number | null;
  tpm: number | null;
  rpm: number | null;
  supports_batch: boolean;
  supports_function_calling: boolean;
  supports_parallel_function_calling: boolean;
  supports_vision: boolean;
  supports_web_search: boolean;
  supports_reasoning: boolean;
  supported_openai_params: string[];
  configurable_clientside_auth_params: null;
}

const SUPPORTS = ['function_calling', 'parallel_function_calling', 'vision', 'web_search', 'reasoning'] as const;

export class ModelCatalog {
  constructor(private readonly directory: DeploymentDirectory) {}

  groupsFor(principal: Principal): string[] {
    return this.directory.groupNames().filter((g) => mayUseModel(principal, g));
  }

  groupInfo(principal: Principal, only?: string): ModelGroupInfo[] {
    return this.groupsFor(principal)
      .filter((g) => only === undefined || g === only)
      .map((group) => {
        const ds = this.directory.group(group);
        const first = ds[0];
        const mode = typeof first?.info.mode === 'string' ? first.info.mode : 'chat';
        const supports = (name: (typeof SUPPORTS)[number]) => ds.some((d) => d.info[`supports_${name}`] === true);
        return {
          model_group: group,
          providers: [...new Set(ds.map((d) => d.provider))],
          mode,
          max_input_tokens: first === undefined ? null : numberOrNull(first.info.max_input_tokens, first.info.max_tokens),
          max_output_tokens: first === undefined ? null : numberOrNull(first.info.max_output_tokens),
          input_cost_per_token: first === undefined ? null : costOf(first, 'input_cost_per_token'),
          output_cost_per_token: first === undefined ? null : costOf(first, 'output_cost_per_token'),
          input_cost_per_token_batches: first === undefined ? null : costOf(first, 'input_cost_per_token_batches'),
          output_cost_per_token_batches: first === undefined ? null : costOf(first, 'output_cost_per_token_batches'),
          tpm: sum(ds.map((d) => numberOrNull(d.params.tpm, d.info.tpm))),
          rpm: sum(ds.map((d) => numberOrNull(d.params.rpm, d.info.rpm))),
          supports_batch: mode === 'batch' || ds.some((d) => d.info.supports_batch === true),
          supports_function_calling: supports('function_calling'),
          supports_parallel_function_calling: supports('parallel_function_calling'),
          supports_vision: supports('vision'),
          supports_web_search: supports('web_search'),
          supports_reasoning: supports('reasoning'),
          supported_openai_params: [],
          configurable_clientside_auth_params: null,
        };
      });
  }

  /** `/v1/model/info`: one entry per deployment, without credentials. */
  deploymentInfo(principal: Principal): Array<{ model_name: string; litellm_params: { model: string }; model_info: Record<string, unknown> }> {
    return this.directory.all
      .filter((d) => mayUseModel(principal, d.modelGroup))
      .map((d) => ({
        model_name: d.modelGroup,
        litellm_params: { model: `${d.provider}/${d.upstreamModel}` },
        model_info: { ...d.info, id: d.id, mode: typeof d.info.mode === 'string' ? d.info.mode : 'chat' },
      }));
  }
}
