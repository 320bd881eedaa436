/**
 * The only module that lists provider kinds. It builds each deployment's adapter once and keeps
 * it (adapters are stateless beyond their connection pools), and it owns the shared undici Agent
 * that pools connections per upstream origin.
 */
import { Agent } from 'undici';
import type { Deployment } from '../domain/deployment.js';
import type { Clock } from '../domain/ports/clock.js';
import type { ProviderAdapter, ProviderRegistry } from '../domain/ports/provider-adapter.js';
import { GatewayError } from '../errors/gateway-error.js';
import { createAnthropicAdapter } from './anthropic/adapter.js';
import { createAzureAdapter } from './azure/adapter.js';
import { createBedrockAdapter } from './bedrock/adapter.js';
import { createGeminiAdapter } from './gemini/adapter.js';
import { createVertexAdapter } from './vertex/adapter.js';
import { createHostedVllmAdapter, createOllamaAdapter, createOpenAIAdapter } from './openai/adapter.js';
import { withMockResponse } from './mock/mock-response.js';
import type { UpstreamCallObserver } from './shared/call-report.js';
import { ProviderConfigError } from './shared/config-error.js';
import type { AdapterDeps } from './shared/deps.js';

type AdapterFactory = (deployment: Deployment, deps: AdapterDeps) => ProviderAdapter;

const FACTORIES = {
  openai: createOpenAIAdapter,
  azure: createAzureAdapter,
  hosted_vllm: createHostedVllmAdapter,
  ollama: createOllamaAdapter,
  bedrock: createBedrockAdapter,
  vertex_ai: (deployment: Deployment, deps: AdapterDeps) => createVertexAdapter(deployment, deps),
  anthropic: createAnthropicAdapter,
  gemini: (deployment: Deployment, deps: AdapterDeps) => createGeminiAdapter(deployment, deps),
} as const satisfies Record<string, AdapterFactory>;

export type ProviderKind = keyof typeof FACTORIES;

/** Provider kinds this build supports, in a stable order. */
export const PROVIDER_KINDS: readonly ProviderKind[] = Object.freeze(['openai', 'azure', 'hosted_vllm', 'ollama', 'bedrock', 'vertex_ai', 'anthropic', 'gemini']);

const isProviderKind = (kind: string): kind is ProviderKind => Object.hasOwn(FACTORIES, kind);

export interface ProviderRegistryDeps {
  /** Timeout of one upstream call, in milliseconds. */
  readonly timeoutMs: number;
  /** Told about every upstream call of every adapter (metrics). */
  readonly observer?: UpstreamCallObserver | undefined;
  readonly clock?: Clock | undefined;
  /** The environment credential chains read; `process.env` when absent. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface ClosableProviderRegistry extends ProviderRegistry {
  /**
   * Builds every deployment's adapter once and returns what stops one from working (an unknown
   * provider, a missing bucket or role), each naming the deployment: compose refuses to start
   * on any, so a broken deployment is found at start-up rather than at its first request.
   */
  problems(deployments: readonly Deployment[]): string[];
  /** Closes every pooled upstream connection; call once on shutdown. */
  close(): Promise<void>;
}

export const createProviderRegistry = (deps: ProviderRegistryDeps): ClosableProviderRegistry => {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  const adapters = new Map<string, ProviderAdapter>();

  const adapterFor = (deployment: Deployment): ProviderAdapter => {
    const cached = adapters.get(deployment.id);
    // A new Deployment object under the same id means the config was reloaded: rebuild.
    if (cached !== undefined && cached.deployment === deployment) return cached;
    if (!isProviderKind(deployment.provider)) {
      throw new GatewayError(
        'unsupported_operation',
        `provider '${deployment.provider}' is not supported by this build (deployment '${deployment.id}'); supported: ${PROVIDER_KINDS.join(', ')}`,
      );
    }
    const built = FACTORIES[deployment.provider](deployment, { timeoutMs: deps.timeoutMs, dispatcher, observer: deps.observer, clock: deps.clock, env: deps.env });
    const mock = deployment.params['mock_response'];
    const adapter = typeof mock === 'string' ? withMockResponse(built, mock) : built;
    adapters.set(deployment.id, adapter);
    return adapter;
  };

  const problems = (deployments: readonly Deployment[]): string[] =>
    deployments.flatMap((d) => {
      const where = `deployment '${d.id}' (model_name '${d.modelGroup}', ${d.provider}/${d.upstreamModel})`;
      if (!isProviderKind(d.provider)) return [`${where}: provider '${d.provider}' is not supported by this build; supported: ${PROVIDER_KINDS.join(', ')}`];
      try {
        adapterFor(d);
        return [];
      } catch (err) {
        if (err instanceof ProviderConfigError) return err.problems.map((p) => `${where}: ${p}`);
        throw err;
      }
    });

  return {
    kinds: PROVIDER_KINDS,
    adapterFor,
    problems,
    close: async () => {
      adapters.clear();
      await dispatcher.close();
    },
  };
};
