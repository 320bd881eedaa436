/**
 * `litellm_params.model` → (provider, upstream model), the way LiteLLM's `get_llm_provider` does it
 * for the cases a proxy config uses.
 */
export interface ProviderModel {
  readonly provider: string;
  readonly upstreamModel: string;
}

/** LiteLLM's default when the model has no `<provider>/` prefix. */
export const DEFAULT_PROVIDER = 'openai';

/**
 * Without `custom_llm_provider`, the provider is everything before the first `/`
 * (`hosted_vllm/meta-llama/Llama-3` → `hosted_vllm`, `meta-llama/Llama-3`). With it, the provider is
 * given and only a matching prefix is stripped: `{model: meta-llama/Llama-3, custom_llm_provider:
 * openai}` sends `meta-llama/Llama-3` upstream, as LiteLLM does.
 */
export function parseProviderModel(model: string, customProvider: string | undefined): ProviderModel {
  if (customProvider !== undefined) {
    const prefix = `${customProvider}/`;
    return {
      provider: customProvider,
      upstreamModel: model.startsWith(prefix) ? model.slice(prefix.length) : model,
    };
  }
  const slash = model.indexOf('/');
  if (slash === -1) return { provider: DEFAULT_PROVIDER, upstreamModel: model };
  return { provider: model.slice(0, slash), upstreamModel: model.slice(slash + 1) };
}
