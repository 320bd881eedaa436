/**
 * Upstreams with a batch API but no files API (`fileStaging: 'gateway'`: Anthropic takes its
 * requests inline at create, the Gemini API inline or through a file it uploads at create) have
 * their inputs kept by the gateway, behind the same provider port: the upload is a blob in the
 * upstream's line format, and `createBatch` hands the adapter a re-openable stream of it. Every
 * other call goes to the upstream. Gateway-executed deployments have their own wrapper
 * (`executor/executed-adapter.ts`) and are left alone here.
 */
import { UpstreamError } from '../../errors/upstream-error.js';
import type { Deployment } from '../deployment.js';
import type { BlobStore } from '../ports/blob-store.js';
import { toSeconds, type Clock } from '../ports/clock.js';
import type { ProviderAdapter, ProviderRegistry, UpstreamFile } from '../ports/provider-adapter.js';

export interface StagedAdapterDeps {
  readonly blobs: BlobStore;
  readonly clock: Clock;
}

const STAGED_PREFIX = 'staged/';
const LIST_LIMIT = 1000;
const safe = (part: string): string => part.replace(/[^A-Za-z0-9_-]/g, '_');
/** `staged/<gateway file id>/<deployment>.jsonl`: the file id is the copy's label. */
export const stagedBlobKey = (fileLabel: string, deploymentId: string): string => `${STAGED_PREFIX}${safe(fileLabel)}/${safe(deploymentId)}.jsonl`;
const isStaged = (ref: string): boolean => ref.startsWith(STAGED_PREFIX);

export function withGatewayStaging(registry: ProviderRegistry, deps: StagedAdapterDeps): ProviderRegistry {
  const wrapped = new WeakMap<ProviderAdapter, ProviderAdapter>();
  return {
    kinds: registry.kinds,
    adapterFor: (deployment: Deployment): ProviderAdapter => {
      const inner = registry.adapterFor(deployment);
      const { fileStaging, batchExecution } = inner.capabilities;
      if (fileStaging !== 'gateway' || batchExecution !== 'native') return inner;
      let adapter = wrapped.get(inner);
      if (adapter === undefined) {
        adapter = createStagedAdapter(inner, deps);
        wrapped.set(inner, adapter);
      }
      return adapter;
    },
  };
}

function createStagedAdapter(inner: ProviderAdapter, deps: StagedAdapterDeps): ProviderAdapter {
  const { deployment } = inner;
  const notFound = (): UpstreamError =>
    new UpstreamError({ deploymentId: deployment.id, failure: 'http', status: 404, message: 'No such file.', code: 'not_found' });
  const fileOf = (ref: string, bytes: number, extra: Partial<UpstreamFile> = {}): UpstreamFile => ({
    ref,
    bytes,
    createdAt: null,
    expiresAt: null,
    filename: ref.split('/').pop() ?? ref,
    purpose: 'batch',
    status: 'processed',
    label: ref.split('/')[1] ?? null,
    ...extra,
  });
  const staged = (ref: string): string => {
    if (!isStaged(ref)) throw notFound();
    return ref;
  };

  // Every method delegated by name: an adapter may be a class instance, whose methods a spread would lose.
  return {
    deployment,
    capabilities: inner.capabilities,
    encodeInputLine: (line, lineNo) => inner.encodeInputLine(line, lineNo),
    probe: (opts) => inner.probe(opts),
    retrieveBatch: (ref, opts) => inner.retrieveBatch(ref, opts),
    cancelBatch: (ref, opts) => inner.cancelBatch(ref, opts),
    listBatchesSince: (since, opts) => inner.listBatchesSince(since, opts),
    openResults: (ref, opts) => inner.openResults(ref, opts),
    sendRequest: (request, opts) => inner.sendRequest(request, opts),

    uploadFile: async (input, opts) => {
      const ref = stagedBlobKey(input.label, deployment.id);
      const { bytes } = await deps.blobs.put(ref, input.body, { signal: opts.signal, contentType: 'application/jsonl' });
      const now = toSeconds(deps.clock.now());
      return fileOf(ref, bytes, {
        createdAt: now,
        expiresAt: input.expiresAfter === null ? null : now + input.expiresAfter.seconds,
        filename: input.filename,
        purpose: input.purpose,
        label: input.label,
      });
    },
    retrieveFile: async (ref) => {
      const stat = await deps.blobs.stat(staged(ref));
      if (stat === null) throw notFound();
      return fileOf(ref, stat.bytes);
    },
    openFileContent: async (ref, opts) => {
      const stat = await deps.blobs.stat(staged(ref));
      if (stat === null) throw notFound();
      return { body: await deps.blobs.open(ref, { signal: opts.signal }), contentType: 'application/jsonl', bytes: stat.bytes };
    },
    deleteFile: async (ref) => {
      await deps.blobs.delete(staged(ref));
    },
    listFilesSince: async function* () {
      // Blobs carry no creation time the reconciler could filter on; it matches them by label.
      let listed = 0;
      for await (const key of deps.blobs.list(STAGED_PREFIX)) {
        if (!key.endsWith(`/${safe(deployment.id)}.jsonl`)) continue;
        const stat = await deps.blobs.stat(key);
        if (stat !== null) yield fileOf(key, stat.bytes);
        if (++listed >= LIST_LIMIT) return;
      }
    },
    createBatch: async (input, opts) => {
      const ref = staged(input.inputFileRef);
      const stat = await deps.blobs.stat(ref);
      if (stat === null) throw notFound();
      return inner.createBatch(
        { ...input, stagedInput: { bytes: stat.bytes, open: (signal) => deps.blobs.open(ref, { signal }) } },
        opts,
      );
    },
  };
}
