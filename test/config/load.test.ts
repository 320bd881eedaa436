import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { configError, problemsOf, tempPath, writeConfig } from './helpers.js';

const REALISTIC = `
# A LiteLLM proxy config, as users run it today.
model_list:
  - model_name: gpt-4o-mini-batch
    litellm_params:
      model: azure/gpt-4o-mini-batch
      api_base: https://eu-resource.openai.azure.com
      api_key: os.environ/AZURE_KEY_EU
      api_version: "2024-10-21"
      rpm: 300
      tpm: 100000
      some_future_litellm_param: { nested: [1, 2] }
    model_info:
      id: azure-eu
      mode: batch
      supports_vision: true
  - model_name: gpt-4o-mini-batch
    litellm_params:
      model: azure/gpt-4o-mini-batch
      api_base: os.environ/AZURE_BASE_US
      api_key: os.environ/AZURE_KEY_US
      api_version: "2024-10-21"
      weight: 2
      headers:
        x-team: os.environ/TEAM_NAME
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_KEY
      input_cost_per_token_batches: 0.00000125
files_settings:
  - custom_llm_provider: azure
    api_key: os.environ/NOT_SET_AND_NOT_USED
general_settings:
  master_key: os.environ/PROXY_MASTER_KEY
  database_url: os.environ/PG_URL
  alerting: ["slack"]
  proxy_batch_polling_interval: 3600
  max_batch_file_size_mb: 100
  max_batch_file_records: 10000
litellm_settings:
  enable_loadbalancing_on_batch_endpoints: true
  drop_params: true
  callbacks: ["langfuse"]
  langfuse_secret: os.environ/LANGFUSE_SECRET_NOT_SET
router_settings:
  routing_strategy: simple-shuffle
  allowed_fails: 5
  cooldown_time: 30
  timeout: 120
  redis_password: os.environ/REDIS_PASSWORD_NOT_SET
`;

const REALISTIC_ENV = {
  AZURE_KEY_EU: 'azure-eu-secret',
  AZURE_KEY_US: 'azure-us-secret',
  AZURE_BASE_US: 'https://us-resource.openai.azure.com',
  TEAM_NAME: 'research',
  OPENAI_KEY: 'sk-openai-secret',
  PROXY_MASTER_KEY: 'sk-master-1234',
  PG_URL: 'postgresql://bg:pg-secret@db:5432/batchgate',
};

const MINIMAL = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-literal
`;

describe('loadConfig with a realistic LiteLLM config', () => {
  it('reads deployments, settings and env references', async () => {
    const config = await loadConfig({ configPath: writeConfig(REALISTIC), env: REALISTIC_ENV });

    expect(config.deployments).toHaveLength(3);
    const [eu, us, openai] = config.deployments;
    expect(eu).toMatchObject({
      id: 'azure-eu',
      modelGroup: 'gpt-4o-mini-batch',
      provider: 'azure',
      upstreamModel: 'gpt-4o-mini-batch',
      weight: 300,
      info: { id: 'azure-eu', mode: 'batch', supports_vision: true },
    });
    // Unknown LiteLLM params pass through untouched; references are resolved.
    expect(eu?.params).toEqual({
      model: 'azure/gpt-4o-mini-batch',
      api_base: 'https://eu-resource.openai.azure.com',
      api_key: 'azure-eu-secret',
      api_version: '2024-10-21',
      rpm: 300,
      tpm: 100000,
      some_future_litellm_param: { nested: [1, 2] },
    });
    expect(us).toMatchObject({ provider: 'azure', weight: 2, info: {} });
    expect(us?.id).toMatch(/^dep-[0-9a-f]{16}$/);
    expect(us?.params).toMatchObject({
      api_base: 'https://us-resource.openai.azure.com',
      api_key: 'azure-us-secret',
      headers: { 'x-team': 'research' },
    });
    expect(openai).toMatchObject({ modelGroup: 'gpt-4o', provider: 'openai', upstreamModel: 'gpt-4o', weight: 1 });
    expect(openai?.params.api_key).toBe('sk-openai-secret');

    expect(config.masterKey).toBe('sk-master-1234');
    expect(config.databaseUrl).toBe('postgresql://bg:pg-secret@db:5432/batchgate');
    expect(config.limits).toEqual({ maxUploadBytes: 100 * 1024 * 1024, maxBatchLines: 10_000 });
    expect(config.loadBalancingOnBatchEndpoints).toBe(true);
    expect(config.routing).toEqual({ allowedFails: 5, cooldownSeconds: 30 });
    expect(config.upstreamTimeoutMs).toBe(120_000);
    // Unset variables referenced only by sections batchgate ignores do not stop it (those are named).
    expect(config.warnings.filter((w) => !w.includes('batchgate ignores'))).toEqual([]);
  });

  it('names the missing variable and where it is used, without leaking resolved secrets', async () => {
    const { AZURE_KEY_US: _unset, ...env } = REALISTIC_ENV;
    const error = await configError(loadConfig({ configPath: writeConfig(REALISTIC), env }));
    expect(error.problems).toEqual(['model_list[1].litellm_params.api_key: environment variable AZURE_KEY_US is not set']);
    for (const secret of Object.values(env)) expect(error.message).not.toContain(secret);
  });

  it('reports every problem at once, one per line', async () => {
    const path = writeConfig(`
model_list:
  - litellm_params: { model: openai/gpt-4o }
  - model_name: g
    litellm_params: { model: azure/x, weight: 0, api_key: os.environ/MISSING_KEY, api_base: not-a-url }
  - model_name: g2
    litelm_params: { model: openai/gpt-4o }
  - just a string
general_settings:
  max_batch_file_size_mb: -5
  max_batch_file_records: 1.5
  database_url: mysql://x
router_settings:
  allowed_fails: many
  timeout: 0
litellm_settings:
  enable_loadbalancing_on_batch_endpoints: maybe
`);
    const error = await configError(loadConfig({ configPath: path, env: { PORT: 'eighty' } }));
    expect(error.problems).toEqual([
      'model_list[0].model_name must be a non-empty string',
      'model_list[1].litellm_params.api_key: environment variable MISSING_KEY is not set',
      'model_list[1].litellm_params.api_base must be an http:// or https:// URL',
      'model_list[1].litellm_params.weight must be a positive number',
      "model_list[2]: unknown key 'litelm_params' — did you mean 'litellm_params'?",
      'model_list[3] must be a mapping with model_name and litellm_params',
      'general_settings.database_url must be a postgres:// or postgresql:// URL',
      'general_settings.max_batch_file_size_mb must be a positive number',
      'general_settings.max_batch_file_records must be a positive integer',
      'litellm_settings.enable_loadbalancing_on_batch_endpoints must be true or false',
      'router_settings.timeout must be a positive number',
      'router_settings.allowed_fails must be an integer ≥ 0',
      'environment variable PORT must be an integer between 0 and 65535',
    ]);
    expect(error.message.split('\n')).toEqual([
      `invalid configuration in ${path} (13 problems):`,
      ...error.problems.map((p) => `  - ${p}`),
    ]);
  });
});

describe('loadConfig defaults and overrides', () => {
  it('applies the documented defaults', async () => {
    const config = await loadConfig({ configPath: writeConfig(MINIMAL), env: {} });
    expect(config).toMatchObject({
      masterKey: null,
      databaseUrl: null,
      dataDir: resolve(process.cwd(), '.batchgate'),
      server: { host: '0.0.0.0', port: 4000 },
      limits: { maxUploadBytes: 209_715_200, maxBatchLines: 50_000 },
      loadBalancingOnBatchEndpoints: false,
      routing: { allowedFails: 3, cooldownSeconds: 60 },
      upstreamTimeoutMs: 600_000,
      warnings: [],
    });
  });

  it('takes host, port and data dir from the environment, and flags over the environment', async () => {
    const env = { HOST: '127.0.0.1', PORT: '8080', BATCHGATE_DATA_DIR: 'relative/data' };
    const fromEnv = await loadConfig({ configPath: writeConfig(MINIMAL), env });
    expect(fromEnv.server).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(fromEnv.dataDir).toBe(resolve(process.cwd(), 'relative/data'));

    const fromFlags = await loadConfig({
      configPath: writeConfig(MINIMAL),
      env,
      overrides: { host: '::', port: 0, dataDir: '/var/lib/batchgate' },
    });
    expect(fromFlags.server).toEqual({ host: '::', port: 0 });
    expect(fromFlags.dataDir).toBe('/var/lib/batchgate');
  });

  it('rejects an invalid --port', async () => {
    expect(await problemsOf(loadConfig({ configPath: writeConfig(MINIMAL), env: {}, overrides: { port: 70_000 } })))
      .toEqual(['--port must be an integer between 0 and 65535']);
  });

  it('accepts numbers and booleans that come from the environment or YAML 1.1 words', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`${MINIMAL}
general_settings:
  max_batch_file_size_mb: os.environ/MAX_MB
litellm_settings:
  enable_loadbalancing_on_batch_endpoints: yes
  request_timeout: 30
`),
      env: { MAX_MB: '0.5' },
    });
    expect(config.limits.maxUploadBytes).toBe(524_288);
    expect(config.loadBalancingOnBatchEndpoints).toBe(true);
    // litellm_settings.request_timeout is LiteLLM's fallback when router_settings.timeout is unset.
    expect(config.upstreamTimeoutMs).toBe(30_000);
  });
});

describe('master key and database URL', () => {
  it('prefers general_settings.master_key, then BATCHGATE_MASTER_KEY, then LITELLM_MASTER_KEY', async () => {
    const withKey = writeConfig(`${MINIMAL}\ngeneral_settings:\n  master_key: sk-from-config\n`);
    const env = { BATCHGATE_MASTER_KEY: 'sk-batchgate', LITELLM_MASTER_KEY: 'sk-litellm' };
    expect((await loadConfig({ configPath: withKey, env })).masterKey).toBe('sk-from-config');
    expect((await loadConfig({ configPath: writeConfig(MINIMAL), env })).masterKey).toBe('sk-batchgate');
    expect((await loadConfig({ configPath: writeConfig(MINIMAL), env: { LITELLM_MASTER_KEY: 'sk-litellm' } })).masterKey)
      .toBe('sk-litellm');
    expect((await loadConfig({ configPath: writeConfig(MINIMAL), env: {} })).masterKey).toBeNull();
  });

  it('warns, without printing it, about a master key that does not start with sk-', async () => {
    const config = await loadConfig({ configPath: writeConfig(MINIMAL), env: { LITELLM_MASTER_KEY: 'hunter2' } });
    expect(config.masterKey).toBe('hunter2');
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain("does not start with 'sk-'");
    expect(config.warnings[0]).toContain('LITELLM_MASTER_KEY');
    expect(config.warnings[0]).not.toContain('hunter2');
  });

  it('takes the database URL from DATABASE_URL when the config has none', async () => {
    const env = { DATABASE_URL: 'postgres://u:p@h/db' };
    expect((await loadConfig({ configPath: writeConfig(MINIMAL), env })).databaseUrl).toBe('postgres://u:p@h/db');
    const withUrl = writeConfig(`${MINIMAL}\ngeneral_settings:\n  database_url: postgresql://cfg/db\n`);
    expect((await loadConfig({ configPath: withUrl, env })).databaseUrl).toBe('postgresql://cfg/db');
    expect(await problemsOf(loadConfig({ configPath: writeConfig(MINIMAL), env: { DATABASE_URL: 'sqlite:x' } })))
      .toEqual(['environment variable DATABASE_URL must be a postgres:// or postgresql:// URL']);
  });
});

describe('environment_variables (LiteLLM sets them before reading the rest)', () => {
  it('feeds os.environ/ references and overrides the process environment', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`
environment_variables:
  AZURE_API_BASE: https://from-config.openai.azure.com
  AZURE_API_KEY: os.environ/VAULT_KEY
model_list:
  - model_name: m
    litellm_params: { model: azure/m, api_base: os.environ/AZURE_API_BASE, api_key: os.environ/AZURE_API_KEY }
`),
      env: { AZURE_API_BASE: 'https://from-process.example', VAULT_KEY: 'vault-secret' },
    });
    expect(config.deployments[0]?.params).toMatchObject({
      api_base: 'https://from-config.openai.azure.com',
      api_key: 'vault-secret',
    });
  });
});

describe('without a config file', () => {
  it('serves one default OpenAI deployment when OPENAI_API_KEY is set', async () => {
    const config = await loadConfig({ env: { OPENAI_API_KEY: 'sk-env' } });
    expect(config.deployments).toEqual([
      {
        id: 'openai-default',
        modelGroup: 'openai',
        provider: 'openai',
        upstreamModel: '*',
        params: { api_key: 'sk-env' },
        info: {},
        weight: 1,
      },
    ]);
  });

  it('passes the OpenAI base URL and organization from the environment', async () => {
    const withBase = await loadConfig({
      env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://localhost:9999/v1', OPENAI_ORGANIZATION: 'org-1' },
    });
    expect(withBase.deployments[0]?.params).toEqual({
      api_key: 'sk-env',
      api_base: 'http://localhost:9999/v1',
      organization: 'org-1',
    });
    const legacy = await loadConfig({ env: { OPENAI_API_KEY: 'sk-env', OPENAI_API_BASE: 'http://legacy/v1' } });
    expect(legacy.deployments[0]?.params).toEqual({ api_key: 'sk-env', api_base: 'http://legacy/v1' });
  });

  it('fails with a clear problem when there is no key either', async () => {
    expect(await problemsOf(loadConfig({ env: {} }))).toEqual([
      'no deployments: pass --config <file> or set OPENAI_API_KEY',
    ]);
  });

  it('never reads process.env', async () => {
    const names = ['OPENAI_API_KEY', 'BATCHGATE_TEST_ONLY_KEY', 'PORT'] as const;
    const saved = names.map((name) => process.env[name]);
    process.env.OPENAI_API_KEY = 'sk-from-process-env';
    process.env.BATCHGATE_TEST_ONLY_KEY = 'from-process-env';
    process.env.PORT = '1234';
    try {
      expect(await problemsOf(loadConfig({ env: {} }))).toEqual([
        'no deployments: pass --config <file> or set OPENAI_API_KEY',
      ]);
      const path = writeConfig(
        'model_list: [{model_name: g, litellm_params: {model: openai/x, api_key: os.environ/BATCHGATE_TEST_ONLY_KEY}}]',
      );
      expect(await problemsOf(loadConfig({ configPath: path, env: {} }))).toEqual([
        'model_list[0].litellm_params.api_key: environment variable BATCHGATE_TEST_ONLY_KEY is not set',
      ]);
      expect((await loadConfig({ configPath: writeConfig(MINIMAL), env: {} })).server.port).toBe(4000);
    } finally {
      names.forEach((name, i) => {
        const value = saved[i];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
    }
  });

  it('treats a config with an empty or missing model_list as having no deployments', async () => {
    const expected = ['no deployments: model_list is missing or empty'];
    expect(await problemsOf(loadConfig({ configPath: writeConfig('model_list: []\n'), env: {} }))).toEqual(expected);
    expect(await problemsOf(loadConfig({ configPath: writeConfig('general_settings: {}\n'), env: {} }))).toEqual(
      expected,
    );
    // An OPENAI_API_KEY does not stand in for deployments the config forgot.
    expect(await problemsOf(loadConfig({ configPath: writeConfig(''), env: { OPENAI_API_KEY: 'sk' } }))).toEqual(
      expected,
    );
  });
});

describe('the config file itself', () => {
  it('names the path when the file is missing', async () => {
    const path = tempPath('does-not-exist.yaml');
    const error = await configError(loadConfig({ configPath: path, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([`cannot read config file ${path}: file not found`]);
  });

  it('names the path and position of invalid YAML without quoting the line', async () => {
    const path = writeConfig('model_list:\n  - model_name: "gpt\n    litellm_params: { api_key: sk-literal-secret\n');
    const error = await configError(loadConfig({ configPath: path, env: {} }));
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem).toMatch(new RegExp(`^${path}: invalid YAML: .* at line \\d+`));
    expect(error.message).not.toContain('sk-literal-secret');
  });

  it('rejects a document that is not a mapping', async () => {
    expect(await problemsOf(loadConfig({ configPath: writeConfig('- a\n- b\n'), env: {} }))).toEqual([
      'top level must be a mapping of sections (model_list, general_settings, …)',
    ]);
  });

  it('accepts duplicate keys like PyYAML (last one wins) with a warning', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`${MINIMAL}router_settings:\n  timeout: 10\n  timeout: 20\n`),
      env: {},
    });
    expect(config.upstreamTimeoutMs).toBe(20_000);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/Map keys must be unique at line \d+.*last value wins/);
  });

  it('supports anchors and << merge keys for shared credentials', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`
x-azure: &azure
  api_base: https://r.openai.azure.com
  api_key: os.environ/AZ
  api_version: "2024-10-21"
model_list:
  - model_name: a
    litellm_params: { <<: *azure, model: azure/a }
  - model_name: b
    litellm_params: { <<: *azure, model: azure/b, api_version: "2025-01-01" }
`),
      env: { AZ: 'az-secret' },
    });
    expect(config.deployments.map((d) => d.params)).toEqual([
      { api_base: 'https://r.openai.azure.com', api_key: 'az-secret', api_version: '2024-10-21', model: 'azure/a' },
      { api_base: 'https://r.openai.azure.com', api_key: 'az-secret', api_version: '2025-01-01', model: 'azure/b' },
    ]);
  });
});

describe('the returned config', () => {
  it('is deeply frozen', async () => {
    const config = await loadConfig({ configPath: writeConfig(REALISTIC), env: REALISTIC_ENV });
    const us = config.deployments[1];
    for (const part of [config, config.deployments, us, us?.params, us?.params.headers, us?.info, config.server,
      config.limits, config.routing, config.warnings]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (us?.params.headers as Record<string, string>)['x-team'] = 'other';
    }).toThrow(TypeError);
  });
});

describe('general_settings.database_schema', () => {
  const yaml = (general: string): string => `model_list:\n  - model_name: m\n    litellm_params: { model: openai/gpt-4o, api_key: k }\ngeneral_settings:\n${general}`;
  it('defaults to batchgate, so the tables never land in a shared public schema', async () => {
    const config = await loadConfig({ configPath: writeConfig(yaml('  database_url: postgres://u@db/app\n')), env: {} });
    expect(config.databaseSchema).toBe('batchgate');
  });
  it('leaves a search_path chosen in the URL alone, and takes an explicit name or BATCHGATE_DATABASE_SCHEMA', async () => {
    const inUrl = await loadConfig({ configPath: writeConfig(yaml('  database_url: "postgres://u@db/app?options=-c%20search_path%3Dmine"\n')), env: {} });
    expect(inUrl.databaseSchema).toBeNull();
    const explicit = await loadConfig({ configPath: writeConfig(yaml('  database_url: postgres://u@db/app\n  database_schema: gateway_b\n')), env: {} });
    expect(explicit.databaseSchema).toBe('gateway_b');
    const fromEnv = await loadConfig({ configPath: writeConfig(yaml('  database_url: postgres://u@db/app\n')), env: { BATCHGATE_DATABASE_SCHEMA: 'from_env' } });
    expect(fromEnv.databaseSchema).toBe('from_env');
  });
  it('refuses a name it could not create safely', async () => {
    const problems = await problemsOf(loadConfig({ configPath: writeConfig(yaml('  database_schema: "Bad-Name; drop"\n')), env: {} }));
    expect(problems.join('\n')).toContain('general_settings.database_schema');
  });
});
