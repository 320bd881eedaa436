/**
 * How the gateway puts its own behaviour behind the provider port for some deployments
 * (gateway-executed batches, inputs kept by the gateway, results collected by it): a registry
 * whose adapters are wrapped where `applies` says so, each wrapped once per adapter (a reloaded
 * deployment gets a new adapter, hence a new wrapper), and an adapter that forwards every call,
 * for a wrapper to override only what it changes.
 */
import type { Deployment } from '../deployment.js';
import type { ProviderAdapter, ProviderRegistry } from '../ports/provider-adapter.js';

export function wrapRegistry(
  registry: ProviderRegistry,
  applies: (inner: ProviderAdapter, deployment: Deployment) => boolean,
  wrap: (inner: ProviderAdapter) => ProviderAdapter,
): ProviderRegistry {
  const wrapped = new WeakMap<ProviderAdapter, ProviderAdapter>();
  return {
    kinds: registry.kinds,
    adapterFor: (deployment) => {
      const inner = registry.adapterFor(deployment);
      if (!applies(inner, deployment)) return inner;
      let adapter = wrapped.get(inner);
      if (adapter === undefined) {
        adapter = wrap(inner);
        wrapped.set(inner, adapter);
      }
      return adapter;
    },
  };
}

/** Every call of `inner`, by name: an adapter may be a class instance, whose methods a spread would lose. */
export const forwarding = (inner: ProviderAdapter): ProviderAdapter => ({
  deployment: inner.deployment,
  capabilities: inner.capabilities,
  encodeInputLine: (line, lineNo) => inner.encodeInputLine(line, lineNo),
  uploadFile: (input, opts) => inner.uploadFile(input, opts),
  retrieveFile: (ref, opts) => inner.retrieveFile(ref, opts),
  openFileContent: (ref, opts) => inner.openFileContent(ref, opts),
  deleteFile: (ref, opts) => inner.deleteFile(ref, opts),
  probe: (opts) => inner.probe(opts),
  createBatch: (input, opts) => inner.createBatch(input, opts),
  retrieveBatch: (ref, opts) => inner.retrieveBatch(ref, opts),
  cancelBatch: (ref, opts) => inner.cancelBatch(ref, opts),
  openResults: (ref, opts) => inner.openResults(ref, opts),
  listFilesSince: (since, opts) => inner.listFilesSince(since, opts),
  listBatchesSince: (since, opts) => inner.listBatchesSince(since, opts),
  sendRequest: (request, opts) => inner.sendRequest(request, opts),
});
