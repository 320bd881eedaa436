/** The provider registry and the pure parts of adapter construction (Azure URL styles). */
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { AZURE_DEFAULT_API_VERSION, resolveAzureEndpoint } from '../../src/providers/azure/endpoint.js';
import { createProviderRegistry, PROVIDER_KINDS, type ClosableProviderRegistry } from '../../src/providers/registry.js';
import { deploymentOf } from './support.js';

describe('createProviderRegistry', () => {
  let registry: ClosableProviderRegistry;
  afterEach(() => registry?.close());

  it('lists the kinds it supports', () => {
    registry = createProviderRegistry({ timeoutMs: 1000 });
    expect(registry.kinds).toEqual(PROVIDER_KINDS);
    expect(PROVIDER_KINDS).toEqual(expect.arrayContaining(['openai', 'azure', 'hosted_vllm', 'ollama', 'bedrock']));
  });

  it('builds one adapter per deployment and keeps it', () => {
    registry = createProviderRegistry({ timeoutMs: 1000 });
    const openai = deploymentOf('d1', 'openai', { api_key: 'k' });
    const azure = deploymentOf('d2', 'azure', { api_base: 'https://r.openai.azure.com', api_key: 'k' });
    const first = registry.adapterFor(openai);
    expect(registry.adapterFor(openai)).toBe(first);
    expect(first.deployment).toBe(openai);
    expect(registry.adapterFor(azure)).not.toBe(first);
    expect(first.capabilities).toEqual({
      fileStaging: 'files-api',
      lineFormat: 'openai',
      batchExecution: 'native',
      retrieveFile: true,
      deleteFile: true,
      listFiles: true,
      cancelBatch: true,
      limits: { minLines: null, maxLines: null, maxBytes: null },
    });
    const line = { custom_id: 'a', method: 'POST' as const, url: '/v1/chat/completions', body: { model: 'm' } };
    expect(first.encodeInputLine(line, 1)).toBe(line);
  });

  it('rebuilds the adapter when the deployment under an id changes (config reload)', () => {
    registry = createProviderRegistry({ timeoutMs: 1000 });
    const before = registry.adapterFor(deploymentOf('d1', 'openai', { api_key: 'k1' }));
    const after = registry.adapterFor(deploymentOf('d1', 'openai', { api_key: 'k2' }));
    expect(after).not.toBe(before);
  });

  it('refuses a provider this build does not support, naming what it does', () => {
    registry = createProviderRegistry({ timeoutMs: 1000 });
    const call = () => registry.adapterFor(deploymentOf('vx', 'mystery', {}));
    expect(call).toThrow(GatewayError);
    expect(call).toThrow("provider 'mystery' is not supported by this build (deployment 'vx'); supported: openai, azure");
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ code: 'unsupported_operation', status: 400 });
    }
  });

  it('does not mistake Object.prototype keys for providers', () => {
    registry = createProviderRegistry({ timeoutMs: 1000 });
    expect(() => registry.adapterFor(deploymentOf('p', 'constructor', {}))).toThrow(GatewayError);
  });

  it('needs an api_base for Azure, and says so at start-up naming the deployment', () => {
    registry = createProviderRegistry({ timeoutMs: 1000 });
    const az = deploymentOf('az', 'azure', { api_key: 'k' });
    expect(() => registry.adapterFor(az)).toThrow('litellm_params.api_base is required for azure');
    const ok = deploymentOf('oa', 'openai', { api_key: 'k' });
    const problems = registry.problems([az, ok, deploymentOf('mx', 'mystery', {})]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^deployment 'az' \(model_name '.*', azure\/.*\): litellm_params.api_base is required for azure: the resource endpoint/);
    expect(problems[1]).toContain("provider 'mystery' is not supported by this build");
  });
});

describe('resolveAzureEndpoint', () => {
  it.each([
    ['https://r.openai.azure.com', null, 'classic', 'https://r.openai.azure.com/openai', { 'api-version': AZURE_DEFAULT_API_VERSION }],
    ['https://r.openai.azure.com/', '2024-10-21', 'classic', 'https://r.openai.azure.com/openai', { 'api-version': '2024-10-21' }],
    ['https://r.openai.azure.com/openai', '2024-10-21', 'classic', 'https://r.openai.azure.com/openai', { 'api-version': '2024-10-21' }],
    ['https://r.openai.azure.com', 'v1', 'v1', 'https://r.openai.azure.com/openai/v1', {}],
    ['https://r.openai.azure.com', 'preview', 'v1', 'https://r.openai.azure.com/openai/v1', { 'api-version': 'preview' }],
    ['https://r.openai.azure.com/openai/v1/', null, 'v1', 'https://r.openai.azure.com/openai/v1', {}],
    ['https://r.openai.azure.com/openai/v1', '2025-04-01-preview', 'v1', 'https://r.openai.azure.com/openai/v1', {}],
    ['https://r.openai.azure.com/openai/v1', 'preview', 'v1', 'https://r.openai.azure.com/openai/v1', { 'api-version': 'preview' }],
  ] as const)('%s with api_version %s → %s', (apiBase, version, style, base, query) => {
    expect(resolveAzureEndpoint(apiBase, version)).toEqual({ style, base, query });
  });
});
