/**
 * Upstreams with a batch API but no files API (`fileStaging: 'gateway'`: Anthropic takes its
 * requests inline at create, the Gemini API inline or through a file it uploads at create) have
 * their inputs kept by the gateway, behind the same provider port: the upload is a blob in the
 * upstream's line format, and `createBatch` hands the adapter a re-openable stream of it. Every
 * other call goes to the upstream. Gateway-executed deployments have their own wrapper
 * (`executor/executed-adapter.ts`) and are left alone here.
 */
import type { BlobStore } from '../ports/blob-store.js';
import type { Clock } from '../ports/clock.js';
import type { ProviderAdapter, ProviderRegistry } from '../ports/provider-adapter.js';
import { blobFiles } from './blob-files.js';
import { forwarding, wrapRegistry } from '../deployments/wrapped-registry.js';

export interface StagedAdapterDeps {
  readonly blobs: BlobStore;
  readonly clock: Clock;
}

const STAGED_PREFIX = 'staged/';
const isStaged = (ref: string): boolean => ref.startsWith(STAGED_PREFIX);

export const withGatewayStaging = (registry: ProviderRegistry, deps: StagedAdapterDeps): ProviderRegistry =>
  wrapRegistry(
    registry,
    ({ capabilities }) => capabilities.fileStaging === 'gateway' && capabilities.batchExecution === 'native',
    (inner) => createStagedAdapter(inner, deps),
  );

function createStagedAdapter(inner: ProviderAdapter, deps: StagedAdapterDeps): ProviderAdapter {
  const { deployment } = inner;
  const files = blobFiles(deployment.id, deps, STAGED_PREFIX);
  const staged = (ref: string): string => {
    if (!isStaged(ref)) throw files.notFound('file');
    return ref;
  };

  return {
    ...forwarding(inner),
    uploadFile: (input, opts) => files.upload(input, opts),
    retrieveFile: (ref) => files.retrieve(staged(ref)),
    openFileContent: (ref, opts) => files.open(staged(ref), opts),
    deleteFile: async (ref) => {
      await deps.blobs.delete(staged(ref));
    },
    // Blobs carry no creation time the reconciler could filter on; it matches them by label.
    listFilesSince: () => files.list(),
    createBatch: async (input, opts) => {
      const ref = staged(input.inputFileRef);
      const stat = await deps.blobs.stat(ref);
      if (stat === null) throw files.notFound('file');
      return inner.createBatch(
        { ...input, stagedInput: { bytes: stat.bytes, open: (signal) => deps.blobs.open(ref, { signal }) } },
        opts,
      );
    },
  };
}
