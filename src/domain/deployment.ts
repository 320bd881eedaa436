/**
 * A deployment is one upstream endpoint from `model_list`: a model group name, a provider, the
 * upstream model (or Azure deployment) name and that deployment's own settings. Its `id` is
 * stable across restarts (`model_info.id`, else derived from its identity), because every stored
 * object routes back to it by that id.
 */
export interface Deployment {
  readonly id: string;
  /** `model_name`: the group clients address; several deployments may share one. */
  readonly modelGroup: string;
  /** Provider kind, the prefix of `litellm_params.model` (`openai`, `azure`, …). */
  readonly provider: string;
  /** The upstream model or deployment name: `litellm_params.model` without its provider prefix. */
  readonly upstreamModel: string;
  /** `litellm_params` with `os.environ/` references resolved; read only by the provider adapter. */
  readonly params: Readonly<Record<string, unknown>>;
  /** `model_info` as configured. */
  readonly info: Readonly<Record<string, unknown>>;
  /** Relative share of placements (`litellm_params.weight`, else `rpm`, else 1). */
  readonly weight: number;
}
