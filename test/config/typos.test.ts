import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { editDistance } from '../../src/config/typos.js';
import { problemsOf, writeConfig } from './helpers.js';

describe('editDistance (Damerau–Levenshtein, optimal string alignment)', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit', () => {
    expect(editDistance('litellm_params', 'litellm_params')).toBe(0);
    expect(editDistance('litelm_params', 'litellm_params')).toBe(1);
    expect(editDistance('api_bsae', 'api_base')).toBe(1);
    expect(editDistance('rpm', 'tpm')).toBe(1);
    expect(editDistance('model_lst', 'model_list')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('database_type', 'database_url')).toBeGreaterThan(2);
  });
});

describe('typos in config keys', () => {
  it('reports near-misses of the keys batchgate reads, at every level', async () => {
    const path = writeConfig(`
model_list:
  - model_name: g
    litellm_params:
      model: azure/x
      api_bsae: https://x.openai.azure.com
      API_KEY: literal
    model_info:
      bas_model: azure/gpt-4o
  - modle_name: g
    litelm_params: { model: openai/gpt-4o }
general_settings:
  master_kye: sk-1
  max_batch_file_record: 10
litellm_settings:
  enable_loadbalancing_on_batch_endpoint: true
router_settings:
  cooldown_tme: 5
  alowed_fails: 2
`);
    expect(await problemsOf(loadConfig({ configPath: path, env: {} }))).toEqual([
      "model_list[0].litellm_params: unknown key 'api_bsae' — did you mean 'api_base'?",
      "model_list[0].litellm_params: unknown key 'API_KEY' — did you mean 'api_key'?",
      "model_list[0].model_info: unknown key 'bas_model' — did you mean 'base_model'?",
      // The misspelt required keys are not reported a second time as missing.
      "model_list[1]: unknown key 'modle_name' — did you mean 'model_name'?",
      "model_list[1]: unknown key 'litelm_params' — did you mean 'litellm_params'?",
      "general_settings: unknown key 'master_kye' — did you mean 'master_key'?",
      "general_settings: unknown key 'max_batch_file_record' — did you mean 'max_batch_file_records'?",
      "litellm_settings: unknown key 'enable_loadbalancing_on_batch_endpoint' — did you mean 'enable_loadbalancing_on_batch_endpoints'?",
      "router_settings: unknown key 'cooldown_tme' — did you mean 'cooldown_time'?",
      "router_settings: unknown key 'alowed_fails' — did you mean 'allowed_fails'?",
    ]);
  });

  it('reports misspelt top-level sections', async () => {
    const path = writeConfig(`
model_lst:
  - model_name: g
    litellm_params: { model: openai/gpt-4o }
general_setings:
  master_key: sk-1
Router_Settings: {}
`);
    expect(await problemsOf(loadConfig({ configPath: path, env: {} }))).toEqual([
      "top level: unknown key 'model_lst' — did you mean 'model_list'?",
      "top level: unknown key 'general_setings' — did you mean 'general_settings'?",
      "top level: unknown key 'Router_Settings' — did you mean 'router_settings'?",
      'no deployments: model_list is missing or empty',
    ]);
  });

  it('does not call a key a typo of one of ours that is already there', async () => {
    // 'mode' next to a real 'model' is something else; without it, it is a typo.
    const withModel = writeConfig('model_list: [{model_name: g, litellm_params: {model: openai/x, mode: chat}}]');
    expect((await loadConfig({ configPath: withModel, env: {} })).deployments).toHaveLength(1);
    const withoutModel = writeConfig('model_list: [{model_name: g, litellm_params: {mode: openai/x}}]');
    expect(await problemsOf(loadConfig({ configPath: withoutModel, env: {} }))).toEqual([
      "model_list[0].litellm_params: unknown key 'mode' — did you mean 'model'?",
    ]);
  });

  it('accepts LiteLLM keys close to ours and unknown keys far from ours', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`
model_list:
  - model_name: g
    litellm_params:
      model: openai/gpt-4o
      mode: chat            # next to a real 'model', not a typo of it
      tpm: 1000
      itpm: 10
      region_name: eu
      stream_timeout: 30
      vertex_ai_project: p
      s3_access_key_id: k
      my_own_flag: true
    model_info:
      tpm: 1000
      max_tokens: 100
      supports_vision: true
      supports_batch_api_custom: true
      description: x
general_settings:
  database_type: dynamo_db
  database_args: {}
  max_request_size_mb: 10
litellm_settings:
  num_retries: 2
  request_timeout: 10
router_settings:
  allowed_fails_policy: {}
  retry_after: 1
  stream_timeout: 5
credential_list: []
mcp_servers: {}
`),
      env: {},
    });
    expect(config.deployments).toHaveLength(1);
    // No typo is reported; the LiteLLM settings batchgate ignores are named (test/config/ignored-keys.test.ts).
    expect(config.warnings.filter((w) => !w.includes('batchgate ignores'))).toEqual([]);
  });
});
