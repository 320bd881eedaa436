/**
 * LiteLLM settings are honoured or named (issue 8 point 8): a key LiteLLM gives meaning to and
 * batchgate ignores gets one start-up warning naming it; a key batchgate reads, a descriptive one
 * and a value asking for what batchgate does anyway get none. Also the settings this feature reads
 * itself: `/metrics` switches and the log level.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseLogLevel } from '../../src/config/log-level.js';
import { problemsOf, writeConfig } from './helpers.js';

const IGNORES = /batchgate ignores/;

const LITELLM_STYLE = `
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-a
      tpm: 1000                 # shown in /model_group/info: no warning
      temperature: 0.2
      headers: { x-team: research }
    model_info:
      id: a
      max_tokens: 4096          # describes the model: no warning
      supports_vision: true     # idem
      blocked: true
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-b
      temperature: 0
files_settings:
  - custom_llm_provider: openai
    api_key: os.environ/NOT_SET_AND_NOT_NEEDED
general_settings:
  master_key: sk-master
  alerting: ["slack"]
  alert_types: []               # empty: nothing asked, nothing to warn about
litellm_settings:
  success_callback: ["langfuse", "prometheus"]
  failure_callback: ["sentry"]
  callbacks: prometheus
  cache: true
  cache_params: { type: redis }
  fallbacks: [{ gpt-4o: [gpt-4o-mini] }]
  json_logs: true               # batchgate always logs JSON
  set_verbose: true
router_settings:
  routing_strategy: latency-based-routing
  redis_host: redis.internal
  redis_port: 6379
  allowed_fails: 2
`;

describe('LiteLLM settings batchgate ignores', () => {
  it('get one warning each, naming the key', async () => {
    const config = await loadConfig({ configPath: writeConfig(LITELLM_STYLE), env: {} });
    const ignored = config.warnings.filter((w) => IGNORES.test(w));
    expect(ignored).toEqual([
      'files_settings is a LiteLLM setting that batchgate ignores',
      'model_list[].litellm_params.temperature is a LiteLLM setting that batchgate ignores (set for gpt-4o-mini, gpt-4o)',
      'model_list[].litellm_params.headers is a LiteLLM setting that batchgate ignores (set for gpt-4o-mini)',
      'model_list[].model_info.blocked is a LiteLLM setting that batchgate ignores (set for gpt-4o-mini)',
      'general_settings.alerting is a LiteLLM setting that batchgate ignores',
      'litellm_settings.cache is a LiteLLM setting that batchgate ignores',
      'litellm_settings.cache_params is a LiteLLM setting that batchgate ignores',
      'litellm_settings.fallbacks is a LiteLLM setting that batchgate ignores',
      'litellm_settings.set_verbose is a LiteLLM setting that batchgate ignores (use --log-level debug, --detailed_debug or LITELLM_LOG=DEBUG)',
      "litellm_settings.success_callback: 'langfuse' — LiteLLM callbacks that batchgate ignores (only 'prometheus' is honoured: it turns on GET /metrics)",
      "litellm_settings.failure_callback: 'sentry' — LiteLLM callbacks that batchgate ignores (only 'prometheus' is honoured: it turns on GET /metrics)",
      'router_settings.routing_strategy is a LiteLLM setting that batchgate ignores',
      'router_settings.redis_host is a LiteLLM setting that batchgate ignores',
      'router_settings.redis_port is a LiteLLM setting that batchgate ignores',
    ]);
    // Nothing else was warned about, and each key is named once.
    expect(config.warnings).toEqual(ignored);
    expect(new Set(ignored).size).toBe(ignored.length);
    // 'prometheus' in the callback lists is honoured, not ignored.
    expect(config.metrics).toEqual({ enabled: true, public: false });
  });

  it('a config of keys batchgate reads, descriptive keys and default-equivalent values warns about nothing', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-a, rpm: 10, weight: 2, input_cost_per_token_batches: 0.0000001 }
    model_info: { id: a, mode: batch, max_input_tokens: 128000, supports_function_calling: true, description: d }
general_settings: { master_key: sk-master, max_batch_file_size_mb: 10 }
litellm_settings: { enable_loadbalancing_on_batch_endpoints: true, callbacks: [prometheus], json_logs: true, set_verbose: false }
router_settings: { routing_strategy: simple-shuffle, timeout: 30, allowed_fails: 1 }
`),
      env: {},
    });
    expect(config.warnings).toEqual([]);
  });

  it('keys LiteLLM does not document stay silent (typos of ours still stop start-up)', async () => {
    const config = await loadConfig({
      configPath: writeConfig(`
model_list:
  - model_name: g
    litellm_params: { model: openai/x, api_key: sk-a, some_future_param: 1 }
litellm_settings: { langfuse_secret: x }
`),
      env: {},
    });
    expect(config.warnings).toEqual([]);
    expect(await problemsOf(loadConfig({ configPath: writeConfig('general_settings: { metrcs: true }\nmodel_list: [{model_name: g, litellm_params: {model: openai/x}}]'), env: {} }))).toEqual([
      "general_settings: unknown key 'metrcs' — did you mean 'metrics'?",
    ]);
  });
});

const MODEL = 'model_list: [{model_name: g, litellm_params: {model: openai/x, api_key: sk-a}}]\n';

describe('metrics settings', () => {
  const metricsOf = async (yaml: string) => (await loadConfig({ configPath: writeConfig(MODEL + yaml), env: {} })).metrics;

  it('are off by default, and behind the master key when on', async () => {
    expect(await metricsOf('')).toEqual({ enabled: false, public: false });
    expect(await metricsOf('litellm_settings: { callbacks: ["prometheus"] }')).toEqual({ enabled: true, public: false });
    expect(await metricsOf('litellm_settings: { success_callback: ["prometheus"] }')).toEqual({ enabled: true, public: false });
    expect(await metricsOf('general_settings: { metrics: true }')).toEqual({ enabled: true, public: false });
  });

  it("batchgate's keys win over LiteLLM's", async () => {
    expect(await metricsOf('general_settings: { metrics: false }\nlitellm_settings: { callbacks: [prometheus] }')).toMatchObject({ enabled: false });
    expect(await metricsOf('general_settings: { metrics: true, metrics_public: true }')).toEqual({ enabled: true, public: true });
    expect(await metricsOf('general_settings: { metrics: true }\nlitellm_settings: { require_auth_for_metrics_endpoint: false }')).toEqual({ enabled: true, public: true });
    expect(await metricsOf('general_settings: { metrics: true, metrics_public: false }\nlitellm_settings: { require_auth_for_metrics_endpoint: false }')).toEqual({ enabled: true, public: false });
  });

  it('a wrong type is a problem naming the key', async () => {
    expect(await problemsOf(loadConfig({ configPath: writeConfig(`${MODEL}general_settings: { metrics: maybe }`), env: {} }))).toEqual([
      'general_settings.metrics must be true or false',
    ]);
  });
});

describe('log level', () => {
  const levelOf = async (overrides: { logLevel?: string; detailedDebug?: boolean }, env: Record<string, string> = {}) =>
    (await loadConfig({ configPath: writeConfig(MODEL), env, overrides })).logLevel;

  it('understands pino and Python names', () => {
    expect(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'warn', 'trace', ' Info '].map(parseLogLevel)).toEqual([
      'debug', 'info', 'warn', 'error', 'fatal', 'warn', 'trace', 'info',
    ]);
    expect(parseLogLevel('verbose')).toBeUndefined();
  });

  it('--log-level wins over --detailed_debug, which wins over LITELLM_LOG; info by default', async () => {
    expect(await levelOf({})).toBe('info');
    expect(await levelOf({}, { LITELLM_LOG: 'WARNING' })).toBe('warn');
    expect(await levelOf({ detailedDebug: true }, { LITELLM_LOG: 'ERROR' })).toBe('debug');
    expect(await levelOf({ logLevel: 'error', detailedDebug: true }, { LITELLM_LOG: 'DEBUG' })).toBe('error');
  });

  it('a bad flag stops start-up; a bad LITELLM_LOG only warns', async () => {
    expect(await problemsOf(loadConfig({ configPath: writeConfig(MODEL), env: {}, overrides: { logLevel: 'loud' } }))).toEqual([
      '--log-level must be one of fatal, error, warn, info, debug, trace (or DEBUG, INFO, WARNING, ERROR, CRITICAL)',
    ]);
    const config = await loadConfig({ configPath: writeConfig(MODEL), env: { LITELLM_LOG: 'loud' } });
    expect(config.logLevel).toBe('info');
    expect(config.warnings).toEqual([
      'environment variable LITELLM_LOG must be one of fatal, error, warn, info, debug, trace (or DEBUG, INFO, WARNING, ERROR, CRITICAL); logging at info',
    ]);
  });
});
