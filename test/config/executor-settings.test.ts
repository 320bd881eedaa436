/**
 * Gateway-executed batches: the `general_settings.executor_*` keys (config/executor-settings.ts)
 * and the per-deployment keys the executor reads (`model_info.batch_execution`,
 * `litellm_params.mock_response`, `max_parallel_requests`, `rpm`, `tpm`).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { problemsOf, writeConfig } from './helpers.js';

const MODEL = 'model_list: [{model_name: g, litellm_params: {model: openai/x, api_key: sk-a}}]\n';
const load = async (yaml: string, env: Record<string, string> = {}) => loadConfig({ configPath: writeConfig(yaml), env });
const problems = (yaml: string, env: Record<string, string> = {}) => problemsOf(loadConfig({ configPath: writeConfig(yaml), env }));

describe('general_settings.executor_*', () => {
  it('has defaults', async () => {
    expect((await load(MODEL)).executor).toEqual({
      concurrency: 4,
      chunkLines: 200,
      leaseMs: 30_000,
      maxRetries: 3,
      retryMaxWaitMs: 60_000,
    });
    expect((await loadConfig({ env: { OPENAI_API_KEY: 'sk-env' } })).executor.maxRetries).toBe(3);
  });

  it('reads every key, fractional seconds and os.environ/ references included', async () => {
    const config = await load(
      `${MODEL}
general_settings:
  executor_concurrency: 16
  executor_chunk_lines: os.environ/CHUNK
  executor_lease_seconds: 1
  executor_max_retries: 0
  executor_retry_max_wait_seconds: 2.5
`,
      { CHUNK: '50' },
    );
    expect(config.executor).toEqual({ concurrency: 16, chunkLines: 50, leaseMs: 1000, maxRetries: 0, retryMaxWaitMs: 2500 });
    expect(config.warnings).toEqual([]);
    expect((await load(`${MODEL}general_settings: { executor_lease_seconds: 0.5 }`)).executor.leaseMs).toBe(500);
  });

  it("defaults the retries to LiteLLM's num_retries, router_settings first", async () => {
    const retries = async (yaml: string) => (await load(MODEL + yaml)).executor.maxRetries;
    expect(await retries('router_settings: { num_retries: 5 }')).toBe(5);
    expect(await retries('litellm_settings: { num_retries: 1 }')).toBe(1);
    expect(await retries('router_settings: { num_retries: 5 }\nlitellm_settings: { num_retries: 1 }')).toBe(5);
    expect(await retries('general_settings: { executor_max_retries: 2 }\nrouter_settings: { num_retries: 5 }')).toBe(2);
    // Read now, so no longer named as ignored.
    expect((await load(`${MODEL}router_settings: { num_retries: 5 }\nlitellm_settings: { num_retries: 1 }`)).warnings).toEqual([]);
  });

  it('names the key of a bad value', async () => {
    expect(
      await problems(`${MODEL}
general_settings:
  executor_concurrency: 0
  executor_chunk_lines: 1.5
  executor_lease_seconds: 0.4
  executor_max_retries: -1
  executor_retry_max_wait_seconds: 0
router_settings: { num_retries: many }
`),
    ).toEqual([
      'general_settings.executor_max_retries must be an integer ≥ 0',
      'router_settings.num_retries must be an integer ≥ 0',
      'general_settings.executor_concurrency must be a positive integer',
      'general_settings.executor_chunk_lines must be a positive integer',
      'general_settings.executor_lease_seconds must be a number of seconds ≥ 0.5',
      'general_settings.executor_retry_max_wait_seconds must be a positive number',
    ]);
  });

  it('reports near-misses of the keys as typos', async () => {
    expect(await problems(`${MODEL}general_settings: { executor_concurency: 2, executor_chunk_line: 3 }`)).toEqual([
      "general_settings: unknown key 'executor_concurency' — did you mean 'executor_concurrency'?",
      "general_settings: unknown key 'executor_chunk_line' — did you mean 'executor_chunk_lines'?",
    ]);
  });
});

describe('per-deployment keys of gateway-executed batches', () => {
  it('stops start-up when a hosted_vllm deployment has no api_base, naming it and the fix', async () => {
    const problems = await problemsOf(load(`
model_list:
  - model_name: llama
    litellm_params: { model: hosted_vllm/meta-llama/Llama-3.1-8B }
`));
    expect(problems).toEqual([expect.stringMatching(/model_list\[0\]\.litellm_params\.api_base is required for hosted_vllm \(model_name 'llama'\).*http:\/\/localhost:8000\/v1/)]);
  });

  it('accepts them, makes limits from the environment numbers, and warns about nothing', async () => {
    const config = await load(
      `
model_list:
  - model_name: llama
    litellm_params: { model: hosted_vllm/meta-llama/Llama-3.1-8B, api_base: "http://vllm:8000/v1", max_parallel_requests: os.environ/PAR, rpm: 600, tpm: os.environ/TPM }
    model_info: { batch_execution: gateway, rpm: 100, tpm: 50000 }
  - model_name: llama
    litellm_params: { model: ollama/llama3.1, api_base: "http://ollama:11434" }
  - model_name: mock
    litellm_params: { model: openai/gpt-4o, mock_response: "Hello!" }
  - model_name: native
    litellm_params: { model: openai/gpt-4o, api_key: sk-a }
    model_info: { batch_execution: native }
`,
      { PAR: '8', TPM: '200000' },
    );
    expect(config.warnings).toEqual([]);
    const [vllm, ollama, mock, native] = config.deployments;
    expect(vllm?.provider).toBe('hosted_vllm');
    expect(vllm?.params).toMatchObject({ max_parallel_requests: 8, rpm: 600, tpm: 200_000 });
    expect(vllm?.info).toEqual({ batch_execution: 'gateway', rpm: 100, tpm: 50_000 });
    expect(vllm?.weight).toBe(600);
    expect(ollama?.provider).toBe('ollama');
    expect(mock?.params.mock_response).toBe('Hello!');
    expect(native?.info.batch_execution).toBe('native');
  });

  it('names the deployment path of a bad value', async () => {
    expect(
      await problems(`
model_list:
  - model_name: g
    litellm_params: { model: openai/x, mock_response: { content: hi }, max_parallel_requests: 2.5, tpm: 0 }
    model_info: { batch_execution: Gateway, rpm: -1, tpm: lots }
  - model_name: g
    litellm_params: { model: openai/y, rpm: 0, max_parallel_requests: 0 }
    model_info: { batch_execution: true }
`),
    ).toEqual([
      'model_list[0].model_info.rpm must be a positive number',
      "model_list[0].model_info.batch_execution must be 'gateway' (batchgate runs the lines itself) or 'native' (the provider's batch API)",
      'model_list[0].litellm_params.mock_response must be a string',
      'model_list[0].litellm_params.max_parallel_requests must be a positive integer',
      'model_list[0].litellm_params.tpm must be a positive number',
      'model_list[0].model_info.tpm must be a positive number',
      'model_list[1].litellm_params.rpm must be a positive number',
      "model_list[1].model_info.batch_execution must be 'gateway' (batchgate runs the lines itself) or 'native' (the provider's batch API)",
      'model_list[1].litellm_params.max_parallel_requests must be a positive integer',
    ]);
  });

  it('reports near-misses as typos, and says native does not apply to a mock', async () => {
    expect(
      await problems(`
model_list:
  - model_name: g
    litellm_params: { model: openai/x, mock_respone: hi, max_parallel_request: 2 }
    model_info: { batch_executon: gateway }
`),
    ).toEqual([
      "model_list[0].litellm_params: unknown key 'mock_respone' — did you mean 'mock_response'?",
      "model_list[0].litellm_params: unknown key 'max_parallel_request' — did you mean 'max_parallel_requests'?",
      "model_list[0].model_info: unknown key 'batch_executon' — did you mean 'batch_execution'?",
    ]);
    const config = await load(`
model_list:
  - model_name: g
    litellm_params: { model: openai/x, mock_response: hi }
    model_info: { batch_execution: native }
`);
    expect(config.warnings).toEqual([
      "model_list[0].model_info.batch_execution: a deployment with litellm_params.mock_response is always executed by the gateway (its answers are the mock's); 'native' has no effect",
    ]);
  });
});
