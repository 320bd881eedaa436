import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { problemsOf, writeConfig } from './helpers.js';

const models = `model_list:
  - model_name: gpt-4o-mini-batch
    litellm_params: { model: azure/mini-batch, api_base: "https://eu.example.com", api_key: k }
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: k }
`;

describe('router_settings.model_group_alias', () => {
  it('reads both LiteLLM spellings into alias → group', async () => {
    const path = writeConfig(`${models}router_settings:\n  model_group_alias:\n    mini: gpt-4o-mini-batch\n    big: { model: gpt-4o, hidden: true }\n`);
    const config = await loadConfig({ configPath: path, env: {} });
    expect(config.modelGroupAliases).toEqual({ mini: 'gpt-4o-mini-batch', big: 'gpt-4o' });
  });

  it('defaults to no aliases', async () => {
    expect((await loadConfig({ configPath: writeConfig(models), env: {} })).modelGroupAliases).toEqual({});
  });

  it('reports an alias to an unknown group and an alias that shadows a group', async () => {
    const path = writeConfig(`${models}router_settings:\n  model_group_alias:\n    mini: no-such-group\n    gpt-4o: gpt-4o-mini-batch\n`);
    expect(await problemsOf(loadConfig({ configPath: path, env: {} }))).toEqual([
      "router_settings.model_group_alias.mini: 'no-such-group' is not a model group in model_list",
      "router_settings.model_group_alias.gpt-4o: 'gpt-4o' is already a model group",
    ]);
  });

  it('reports a malformed alias map', async () => {
    const path = writeConfig(`${models}router_settings:\n  model_group_alias: [mini]\n`);
    const problems = await problemsOf(loadConfig({ configPath: path, env: {} }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^router_settings\.model_group_alias must be a mapping of alias to model group/);
  });
});
