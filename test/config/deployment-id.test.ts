import { describe, expect, it } from 'vitest';
import { loadConfig, type LoadConfigOptions } from '../../src/config/load.js';
import { problemsOf, writeConfig } from './helpers.js';

interface Entry {
  readonly name?: string;
  readonly params: Record<string, unknown>;
  readonly info?: Record<string, unknown>;
}

/** YAML accepts JSON, which keeps these fixtures compact. */
function configOf(entries: readonly Entry[]): string {
  return JSON.stringify({
    model_list: entries.map((e) => ({
      model_name: e.name ?? 'group',
      litellm_params: e.params,
      ...(e.info === undefined ? {} : { model_info: e.info }),
    })),
  });
}

async function load(entries: readonly Entry[], options: LoadConfigOptions = {}) {
  return loadConfig({ configPath: writeConfig(configOf(entries)), env: {} }, options);
}

async function idOf(params: Record<string, unknown>, name = 'group'): Promise<string | undefined> {
  return (await load([{ name, params }])).deployments[0]?.id;
}

const AZURE = { model: 'azure/gpt-4o-mini-batch', api_base: 'https://eu.openai.azure.com', api_key: 'k1' };

describe('deployment ids', () => {
  it('derives a stable id that survives key rotation, API version bumps and reordering', async () => {
    const id = await idOf(AZURE);
    expect(id).toMatch(/^dep-[0-9a-f]{16}$/);
    expect(await idOf(AZURE)).toBe(id);
    expect(await idOf({ ...AZURE, api_key: 'k2-rotated' })).toBe(id);
    expect(await idOf({ ...AZURE, api_version: '2025-01-01' })).toBe(id);
    expect(await idOf({ ...AZURE, api_base: 'https://EU.openai.azure.com/' })).toBe(id);
    expect(await idOf({ ...AZURE, rpm: 10, timeout: 5 })).toBe(id);

    const other = { ...AZURE, api_base: 'https://us.openai.azure.com' };
    const both = await load([{ params: other }, { params: AZURE }]);
    expect(both.deployments[1]?.id).toBe(id);
  });

  it('changes the id when where the objects live changes', async () => {
    const id = await idOf(AZURE);
    expect(await idOf({ ...AZURE, api_base: 'https://us.openai.azure.com' })).not.toBe(id);
    expect(await idOf({ ...AZURE, model: 'azure/gpt-4o' })).not.toBe(id);
    expect(await idOf({ ...AZURE, organization: 'org-2' })).not.toBe(id);
    expect(await idOf({ ...AZURE, model: 'openai/gpt-4o-mini-batch' })).not.toBe(
      await idOf({ ...AZURE, model: 'azure/gpt-4o-mini-batch' }),
    );
  });

  it('keeps the id when the model group is renamed, and tells apart one upstream serving two groups', async () => {
    const id = await idOf(AZURE);
    expect(await idOf(AZURE, 'renamed-group')).toBe(id);
    const shared = await load([
      { name: 'eu', params: AZURE },
      { name: 'eu-alias', params: { ...AZURE, api_key: 'k2' } },
      { name: 'us', params: { ...AZURE, api_base: 'https://us.openai.azure.com' } },
    ]);
    const [eu, alias, us] = shared.deployments.map((d) => d.id);
    expect(new Set([eu, alias, us]).size).toBe(3);
    expect(eu).not.toBe(id);
    // The deployment on its own upstream keeps the group-free id.
    expect(us).toBe(await idOf({ ...AZURE, api_base: 'https://us.openai.azure.com' }, 'anything'));
  });

  it('uses model_info.id when present (an integer id becomes a string, as in LiteLLM)', async () => {
    const config = await load([
      { params: AZURE, info: { id: 'eu-batch' } },
      { params: { ...AZURE, api_base: 'https://us.openai.azure.com' }, info: { id: 42 } },
    ]);
    expect(config.deployments.map((d) => d.id)).toEqual(['eu-batch', '42']);
  });

  it('rejects two deployments with the same id and says how to fix it', async () => {
    const explicit = await problemsOf(
      load([
        { params: AZURE, info: { id: 'same' } },
        { params: { ...AZURE, api_base: 'https://us.openai.azure.com' }, info: { id: 'same' } },
      ]),
    );
    expect(explicit).toEqual([
      "model_list[1] has the same deployment id 'same' as model_list[0]; set a distinct model_info.id on each",
    ]);
    // Same endpoint and model with only another key: the derived ids collide.
    const derived = await problemsOf(load([{ params: AZURE }, { params: { ...AZURE, api_key: 'k2' } }]));
    expect(derived).toHaveLength(1);
    expect(derived[0]).toMatch(
      /^model_list\[1\] has the same deployment id 'dep-[0-9a-f]{16}' as model_list\[0\]; set a distinct model_info.id on each$/,
    );
    expect(await problemsOf(load([{ params: AZURE, info: { id: '' } }]))).toEqual([
      'model_list[0].model_info.id must be a non-empty string',
    ]);
  });
});

describe('provider parsing', () => {
  it.each([
    ['azure/gpt-4o-mini-batch', undefined, 'azure', 'gpt-4o-mini-batch'],
    ['openai/gpt-4o', undefined, 'openai', 'gpt-4o'],
    ['gpt-4o', undefined, 'openai', 'gpt-4o'],
    ['hosted_vllm/meta-llama/Llama-3.1-8B', undefined, 'hosted_vllm', 'meta-llama/Llama-3.1-8B'],
    ['meta-llama/Llama-3.1-8B', 'openai', 'openai', 'meta-llama/Llama-3.1-8B'],
    ['openai/gpt-4o', 'openai', 'openai', 'gpt-4o'],
    ['azure/gpt-4o', 'azure_ai', 'azure_ai', 'azure/gpt-4o'],
  ])('%s with custom_llm_provider %s → %s + %s', async (model, custom, provider, upstreamModel) => {
    // A self-hosted server has no default address, so a hosted_vllm deployment names one.
    const base = provider === 'hosted_vllm' ? { api_base: 'http://vllm:8000/v1' } : {};
    const params = custom === undefined ? { model, ...base } : { model, custom_llm_provider: custom, ...base };
    const [deployment] = (await load([{ params }])).deployments;
    expect(deployment).toMatchObject({ provider, upstreamModel });
  });

  it('stops start-up on an unknown provider, naming the nearest known one', async () => {
    const problems = await problemsOf(
      load([{ name: 'local', params: { model: 'azzure/x' } }, { params: { model: 'mystery/m1' } }, { params: { model: 'azure/x' } }], {
        knownProviders: ['openai', 'azure'],
      }),
    );
    expect(problems).toEqual([
      "model_list[0].litellm_params.model: provider 'azzure' (model_name 'local') is not supported by batchgate (supported: openai, azure); did you mean 'azure/x'?",
      "model_list[1].litellm_params.model: provider 'mystery' (model_name 'group') is not supported by batchgate (supported: openai, azure)",
    ]);
    // Without the list of kinds (library use), the loader leaves the check to start-up.
    expect((await load([{ params: { model: 'mystery/m1' } }])).warnings).toEqual([]);
  });

  it('rejects a model with an empty provider or model part', async () => {
    expect(await problemsOf(load([{ params: { model: 'azure/' } }, { params: { model: '/gpt-4o' } }]))).toEqual([
      "model_list[0].litellm_params.model must be '<provider>/<model>' with both parts non-empty",
      "model_list[1].litellm_params.model must be '<provider>/<model>' with both parts non-empty",
    ]);
  });
});

describe('weights', () => {
  it('uses weight, else litellm_params.rpm, else model_info.rpm, else 1', async () => {
    const config = await load([
      { params: { model: 'a/1', weight: 3, rpm: 100 } },
      { params: { model: 'a/2', rpm: 100 }, info: { rpm: 7 } },
      { params: { model: 'a/3' }, info: { rpm: 7 } },
      { params: { model: 'a/4' } },
    ]);
    expect(config.deployments.map((d) => d.weight)).toEqual([3, 100, 7, 1]);
  });

  it('rejects a weight that is not a positive number', async () => {
    expect(await problemsOf(load([{ params: { model: 'a/1', weight: -1 } }, { params: { model: 'a/2', rpm: 'x' } }])))
      .toEqual([
        'model_list[0].litellm_params.weight must be a positive number',
        'model_list[1].litellm_params.rpm must be a positive number',
      ]);
  });
});
