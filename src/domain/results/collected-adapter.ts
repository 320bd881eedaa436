/**
 * Upstreams whose results are not OpenAI files ('native' line format: Vertex, Bedrock) get their
 * output and error files written by the gateway, behind the same provider port, so the batch
 * service, the lifecycle worker and cost booking need no special case.
 *
 * When the upstream reports a batch finished (completed, expired, cancelled), the wrapper collects
 * its results into blob storage (`collect-results.ts`) in the background and reports the batch as
 * still `finalizing` (or `cancelling`) meanwhile: a terminal status is only ever reported once its
 * files exist. The summary blob, written last, marks a collection done; a crash halfway leaves it
 * to be redone by whichever process looks next, with the same bytes. Output and error files are
 * blob refs this wrapper serves, stats and deletes; every other call goes to the upstream.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BatchStatus, BatchUsage } from '../../contracts/openai.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import { BlobNotFoundError, type BlobStore } from '../ports/blob-store.js';
import { toSeconds, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ProviderAdapter, ProviderRegistry, UpstreamBatch, UpstreamFile } from '../ports/provider-adapter.js';
import type { Store } from '../ports/store.js';
import { collectResults, type CollectedSummary } from './collect-results.js';
import { forwarding, wrapRegistry } from '../deployments/wrapped-registry.js';

export interface CollectedAdapterDeps {
  readonly store: Pick<Store, 'batches' | 'lineKeys'>;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Bound of one collection (default 30 minutes); a longer one is abandoned and redone later. */
  readonly collectTimeoutMs?: number;
}

/** Results blobs live under this prefix; no upstream ref of ours starts with it. */
const RESULTS_PREFIX = 'results/';
export const isResultRef = (ref: string): boolean => ref.startsWith(RESULTS_PREFIX);

/** Upstream statuses with results to collect, and what the batch shows while they are collected. */
const COLLECTED: Partial<Record<BatchStatus, { readonly meanwhile: BatchStatus; readonly missingCode: string }>> = {
  completed: { meanwhile: 'finalizing', missingCode: 'batch_expired' },
  expired: { meanwhile: 'finalizing', missingCode: 'batch_expired' },
  cancelled: { meanwhile: 'cancelling', missingCode: 'batch_cancelled' },
};

const safe = (part: string): string => part.replace(/[^A-Za-z0-9_-]/g, '_');
const keysOf = (deploymentId: string, ref: string) => {
  const dir = `${RESULTS_PREFIX}${safe(deploymentId)}/${createHash('sha256').update(ref).digest('hex').slice(0, 32)}`;
  return { output: `${dir}/output.jsonl`, errors: `${dir}/errors.jsonl`, summary: `${dir}/summary.json` };
};

interface StoredSummary extends CollectedSummary {
  readonly version: 1;
}

async function readSummary(blobs: BlobStore, key: string, signal: AbortSignal): Promise<StoredSummary | null> {
  try {
    const body = await blobs.open(key, { signal });
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as StoredSummary;
  } catch (err) {
    if (err instanceof BlobNotFoundError) return null;
    throw err;
  }
}

export const withCollectedResults = (registry: ProviderRegistry, deps: CollectedAdapterDeps): ProviderRegistry =>
  wrapRegistry(registry, ({ capabilities }) => capabilities.lineFormat === 'native', (inner) => createCollectedAdapter(inner, deps));

function createCollectedAdapter(inner: ProviderAdapter, deps: CollectedAdapterDeps): ProviderAdapter {
  const { deployment } = inner;
  /** Collections running in this process, by upstream ref: one at a time per batch. */
  const running = new Map<string, Promise<void>>();
  const notFound = (): UpstreamError =>
    new UpstreamError({ deploymentId: deployment.id, failure: 'http', status: 404, message: 'No such file.', code: 'not_found' });

  /** The batch as shown while its results are being collected. */
  const provisional = (upstream: UpstreamBatch): UpstreamBatch => {
    const step = COLLECTED[upstream.status];
    if (step === undefined) return upstream;
    const now = toSeconds(deps.clock.now());
    return {
      ...upstream,
      status: step.meanwhile,
      finalizingAt: step.meanwhile === 'finalizing' ? (upstream.finalizingAt ?? now) : upstream.finalizingAt,
      completedAt: null,
      expiredAt: null,
      cancelledAt: null,
      outputFileRef: null,
      errorFileRef: null,
    };
  };

  const collect = async (ref: string, missingCode: string): Promise<void> => {
    const batch = await deps.store.batches.findByUpstream(deployment.id, ref);
    if (batch === undefined) return; // Not ours (yet): a create still being recorded.
    const keys = keysOf(deployment.id, ref);
    const signal = AbortSignal.timeout(deps.collectTimeoutMs ?? 30 * 60_000);
    const summary = await collectResults(
      { blobs: deps.blobs, lineKeys: deps.store.lineKeys, logger: deps.logger },
      { seed: batch.id, fileId: batch.inputFileId, results: inner.openResults(ref, { signal }), missingCode, outputKey: keys.output, errorKey: keys.errors },
      signal,
    );
    // Empty files are not offered, as OpenAI offers none.
    if (!summary.hasOutput) await deps.blobs.delete(keys.output);
    if (!summary.hasErrors) await deps.blobs.delete(keys.errors);
    const stored: StoredSummary = { version: 1, ...summary };
    await deps.blobs.put(keys.summary, Readable.from([Buffer.from(JSON.stringify(stored))]), { signal, contentType: 'application/json' });
    deps.logger.info({ batchId: batch.id, deploymentId: deployment.id, completed: summary.completed, failed: summary.failed }, 'batch results collected');
  };

  const start = (ref: string, missingCode: string): void => {
    if (running.has(ref)) return;
    const job = collect(ref, missingCode)
      .catch((err: unknown) => {
        // Left for the next poll to try again.
        deps.logger.warn({ deploymentId: deployment.id, err: err instanceof Error ? err.message : String(err) }, 'collecting batch results failed; will retry');
      })
      .finally(() => running.delete(ref));
    running.set(ref, job);
  };

  /** The upstream's view, with the gateway's files once collected. */
  const settle = async (ref: string, upstream: UpstreamBatch, signal: AbortSignal): Promise<UpstreamBatch> => {
    const step = COLLECTED[upstream.status];
    if (step === undefined) return upstream;
    const keys = keysOf(deployment.id, ref);
    const summary = await readSummary(deps.blobs, keys.summary, signal);
    if (summary === null) {
      start(ref, step.missingCode);
      return provisional(upstream);
    }
    const usage: BatchUsage = summary.usage;
    return {
      ...upstream,
      outputFileRef: summary.hasOutput ? keys.output : null,
      errorFileRef: summary.hasErrors ? keys.errors : null,
      requestCounts: { total: summary.total, completed: summary.completed, failed: summary.failed },
      usage,
    };
  };

  const resultFile = (ref: string, bytes: number): UpstreamFile => ({
    ref,
    bytes,
    createdAt: null,
    expiresAt: null,
    filename: ref.split('/').pop() ?? ref,
    purpose: 'batch_output',
    status: 'processed',
    label: null,
  });

  return {
    ...forwarding(inner),
    retrieveBatch: async (ref, opts) => settle(ref, await inner.retrieveBatch(ref, opts), opts.signal),
    cancelBatch: async (ref, opts) => settle(ref, await inner.cancelBatch(ref, opts), opts.signal),
    // The reconciler adopts what it lists: a finished batch is adopted as still finishing, and the
    // next poll collects it.
    listBatchesSince: async function* (since, opts) {
      for await (const b of inner.listBatchesSince(since, opts)) yield provisional(b);
    },
    retrieveFile: async (ref, opts) => {
      if (!isResultRef(ref)) return inner.retrieveFile(ref, opts);
      const stat = await deps.blobs.stat(ref);
      if (stat === null) throw notFound();
      return resultFile(ref, stat.bytes);
    },
    openFileContent: async (ref, opts) => {
      if (!isResultRef(ref)) return inner.openFileContent(ref, opts);
      const stat = await deps.blobs.stat(ref);
      if (stat === null) throw notFound();
      return { body: await deps.blobs.open(ref, { signal: opts.signal }), contentType: 'application/jsonl', bytes: stat.bytes };
    },
    deleteFile: async (ref, opts) => {
      if (!isResultRef(ref)) return inner.deleteFile(ref, opts);
      await deps.blobs.delete(ref);
    },
  };
}
