/**
 * The adapter of a deployment whose batches the gateway executes (`execution-mode.ts`). It wraps
 * the provider's own adapter and answers the file and batch calls itself, so the batch service,
 * the lifecycle worker and the reconciler treat these batches exactly like a cloud's: inputs and
 * outputs are blobs in the gateway's blob store, a "batch" is an execution row in the store, and
 * only `sendRequest` (and `probe`) reach the deployment.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Clock } from '../ports/clock.js';
import { TERMINAL_EXECUTION_STATUSES, type ExecutionRecord, type ExecutionRepository } from '../ports/executions.js';
import { NO_LIMITS, type ProviderAdapter, type ProviderCapabilities, type ProviderRegistry, type UpstreamBatch } from '../ports/provider-adapter.js';
import { blobFiles, safeKeyPart } from '../files/blob-files.js';
import { toUpstreamBatch } from './execution-object.js';
import { wrapRegistry } from '../deployments/wrapped-registry.js';
import { executesInGateway } from './execution-mode.js';
import { completionWindowMs } from './completion-window.js';

export interface ExecutedAdapterDeps {
  readonly executions: ExecutionRepository;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** Told when there is new work (a create, a cancel), so the executor need not wait for its tick. */
  readonly wake: () => void;
}

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  fileStaging: 'gateway',
  lineFormat: 'openai',
  batchExecution: 'gateway',
  retrieveFile: true,
  deleteFile: true,
  listFiles: true,
  cancelBatch: true,
  limits: NO_LIMITS,
});

const INPUT_PREFIX = 'inputs/';
export const outputBlobKey = (batchId: string, kind: 'output' | 'errors'): string => `outputs/${safeKeyPart(batchId)}/${kind}.jsonl`;

export function createExecutedAdapter(inner: ProviderAdapter, deps: ExecutedAdapterDeps): ProviderAdapter {
  const { deployment } = inner;
  const files = blobFiles(deployment.id, deps, INPUT_PREFIX);
  const notFound = files.notFound;

  const live = async (e: ExecutionRecord): Promise<UpstreamBatch> =>
    toUpstreamBatch(e, TERMINAL_EXECUTION_STATUSES.has(e.status) ? null : await deps.executions.resultCounts(e.batchId));

  const execution = async (ref: string): Promise<ExecutionRecord> => {
    const found = await deps.executions.get(ref);
    if (found === undefined) throw notFound('batch');
    return found;
  };

  return {
    deployment,
    capabilities: CAPABILITIES,
    encodeInputLine: (line) => line,
    openResults: (ref, opts) => inner.openResults(ref, opts),
    sendRequest: (request, opts) => inner.sendRequest(request, opts),
    probe: (opts) => inner.probe(opts),

    uploadFile: (input, opts) => files.upload(input, opts),
    retrieveFile: (ref) => files.retrieve(ref),
    openFileContent: (ref, opts) => files.open(ref, opts),
    deleteFile: async (ref) => {
      // The executor reads its input until the batch's files are written.
      if ((await deps.executions.countActiveForInput(ref)) > 0) {
        throw new GatewayError('invalid_state', 'The file is the input of a batch that is still running; cancel the batch or wait for it to end, then delete the file.', {
          param: 'file_id',
        });
      }
      await deps.blobs.delete(ref);
    },
    listFilesSince: () => files.list(),

    createBatch: async (input) => {
      const now = deps.clock.now();
      const record: ExecutionRecord = {
        batchId: input.label,
        deploymentId: deployment.id,
        modelGroup: deployment.modelGroup,
        inputRef: input.inputFileRef,
        endpoint: input.endpoint,
        completionWindow: input.completionWindow,
        metadata: input.metadata,
        status: 'validating',
        stopReason: null,
        errors: null,
        total: 0,
        completed: 0,
        failed: 0,
        outputRef: null,
        errorRef: null,
        createdAtMs: now,
        expiresAtMs: now + completionWindowMs(input.completionWindow),
        inProgressAtMs: null,
        cancellingAtMs: null,
        finalizingAtMs: null,
        endedAtMs: null,
        nextStepAtMs: now,
        updatedAtMs: now,
      };
      // A create retried with the same label (after a lost answer) finds the execution it made.
      if (!(await deps.executions.insert(record))) return live(await execution(input.label));
      deps.wake();
      return toUpstreamBatch(record, null);
    },
    retrieveBatch: async (ref) => live(await execution(ref)),
    cancelBatch: async (ref) => {
      const now = deps.clock.now();
      const updated = await deps.executions.updateWith(
        ref,
        (current) =>
          TERMINAL_EXECUTION_STATUSES.has(current.status) || current.status === 'finalizing' || current.stopReason === 'batch_cancelled'
            ? null
            : { status: 'cancelling', stopReason: 'batch_cancelled', cancellingAtMs: now, nextStepAtMs: now },
        now,
      );
      if (updated === undefined) throw notFound('batch');
      deps.wake();
      return live(updated);
    },
    listBatchesSince: async function* (sinceSeconds) {
      for (const e of await deps.executions.listCreatedSince(sinceSeconds * 1000, 100)) yield await live(e);
    },
  };
}

/** The registry with every gateway-executed deployment's adapter wrapped; other adapters unchanged. */
export const withGatewayExecution = (registry: ProviderRegistry, deps: ExecutedAdapterDeps): ProviderRegistry =>
  wrapRegistry(registry, (_inner, d) => executesInGateway(d), (inner) => createExecutedAdapter(inner, deps));
