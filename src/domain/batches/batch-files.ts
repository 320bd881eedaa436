/**
 * Output and error files of a batch are minted as gateway files the first time the upstream
 * names them, owned by the batch's creator and pinned to the batch's deployment. Minting is
 * idempotent, so concurrent retrieves of one batch agree on one id.
 */
import { newFileId } from '../ids.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import type { BatchRecord, FileKind } from '../ports/store.js';
import type { ServiceDeps } from '../service-deps.js';

export async function mintBatchFile(
  deps: ServiceDeps,
  batch: Pick<BatchRecord, 'id' | 'deploymentId' | 'modelGroup' | 'owner'>,
  adapter: ProviderAdapter,
  ref: string | null,
  kind: Exclude<FileKind, 'upload'>,
  signal: AbortSignal,
): Promise<string | null> {
  if (ref === null) return null;
  const known = await deps.store.files.findByUpstream(batch.deploymentId, ref);
  if (known !== undefined) return known.id;
  const now = deps.clock.now();
  // Size and dates come from the upstream when it can tell; the file is served either way.
  const upstream = adapter.capabilities.retrieveFile
    ? await adapter.retrieveFile(ref, { signal }).catch(() => null)
    : null;
  const suffix = kind === 'batch_output' ? 'output' : 'error';
  const id = newFileId();
  const file = await deps.store.files.mintForUpstream(
    {
      id,
      kind,
      purpose: 'batch_output',
      filename: `${batch.id}_${suffix}.jsonl`,
      bytes: upstream?.bytes ?? 0,
      createdAtMs: upstream?.createdAt === null || upstream?.createdAt === undefined ? now : upstream.createdAt * 1000,
      expiresAt: upstream?.expiresAt ?? null,
      status: 'processed',
      modelGroups: batch.modelGroup === null ? [] : [batch.modelGroup],
      lineCount: null,
      lineModels: [],
      inputTokens: null,
      sourceBatchId: batch.id,
      endpoint: null,
      owner: batch.owner,
    },
    { fileId: id, deploymentId: batch.deploymentId, upstreamRef: ref, createdAtMs: now },
  );
  return file.id;
}
