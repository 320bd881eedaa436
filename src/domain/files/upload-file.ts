/**
 * `POST /v1/files`: validate the spooled upload, decide where it goes, write one copy per target
 * deployment concurrently, then record the gateway file with every copy.
 *
 * Failure policy for fan-out (a managed upload to several deployments): a deployment whose upload
 * fails is left out of the file's mapping and marked unhealthy, and the upload succeeds as long as
 * every target model group got at least one copy. Batches are then only placed on deployments
 * that hold the file, so no mapping ever points at a file that does not exist. When a group gets
 * no copy at all, the upload fails and the copies already written are deleted upstream.
 */
import type { ExpiresAfter, FileObject, FileUploadPurpose } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import { assertMayUseModel } from '../auth/model-access.js';
import type { Deployment } from '../deployment.js';
import { resolveDeployment, type RoutingHints } from '../deployments/resolve-deployment.js';
import { newFileId } from '../ids.js';
import { BatchFileInspector, type InspectionResult } from '../lines/batch-file-inspector.js';
import { splitLines } from '../lines/split-lines.js';
import { ownerOf, type Principal } from '../principal.js';
import type { FileCopyRecord, FileRecord } from '../ports/store.js';
import { toSeconds } from '../ports/clock.js';
import type { UpstreamFile } from '../ports/provider-adapter.js';
import type { ServiceDeps } from '../service-deps.js';
import { toFileObject } from './file-object.js';
import { rewriteForDeployment, rewritesModel } from './rewrite-lines.js';
import type { SpooledUpload } from './spooled-upload.js';

export interface UploadInput {
  readonly principal: Principal;
  readonly purpose: FileUploadPurpose;
  readonly expiresAfter: ExpiresAfter | null;
  readonly file: SpooledUpload;
  /** Model groups of a managed upload (`target_model_names`); empty for a plain upload. */
  readonly targetModelNames: readonly string[];
  readonly hints: RoutingHints;
  readonly signal: AbortSignal;
}

interface Target {
  readonly deployment: Deployment;
  /** The upstream model to write into every line's body.model, or null to leave lines as sent. */
  readonly rewriteTo: string | null;
}

export async function uploadFile(deps: ServiceDeps, input: UploadInput): Promise<FileObject> {
  const isBatch = input.purpose === 'batch';
  if (isBatch && !input.file.filename.toLowerCase().endsWith('.jsonl')) {
    throw new GatewayError('invalid_file_format', 'Invalid file format for Batch API. Must be .jsonl', { param: 'file' });
  }
  if (input.file.bytes === 0) throw new GatewayError('empty_file', 'The file is empty.', { param: 'file' });

  // Target groups are stored by their canonical name, whichever alias the client used.
  let groups: string[] = [];
  for (const name of new Set(input.targetModelNames)) {
    const group = deps.directory.canonicalGroup(name);
    if (group === undefined) {
      throw new GatewayError('model_not_found', `target_model_names: '${name}' is not a configured model group.`, {
        param: 'target_model_names',
      });
    }
    assertMayUseModel(input.principal, group, 'target_model_names');
    if (!groups.includes(group)) groups.push(group);
  }
  const inspection = isBatch ? await inspect(deps, input, groups) : null;
  if (groups.length === 0 && inspection !== null && loadBalances(deps, input, inspection)) {
    groups = [...new Set([...inspection.models].map((m) => deps.directory.canonicalGroup(m) ?? m))];
  }
  const targets = groups.length > 0 ? managedTargets(deps, groups) : [plainTarget(deps, input)];
  // However a plain upload was routed (a `model` hint, a provider, the default deployment), a
  // restricted key only reaches deployments of its own groups: a `model` hint naming another
  // group would otherwise have its lines rewritten to that group's upstream model.
  for (const t of targets) assertMayUseModel(input.principal, t.deployment.modelGroup, 'the deployment this upload is routed to');

  const copies = await writeCopies(deps, input, targets, groups, isBatch);
  const now = deps.clock.now();
  const first = copies[0];
  const record: FileRecord = {
    id: newFileId(),
    kind: 'upload',
    purpose: input.purpose,
    filename: input.file.filename,
    bytes: input.file.bytes,
    createdAtMs: now,
    // The client's own expiry wins: an upstream may keep its copy longer (Azure's floor is 14 days).
    expiresAt:
      input.expiresAfter === null ? (first?.upstream.expiresAt ?? null) : toSeconds(now) + input.expiresAfter.seconds,
    status: 'processed',
    modelGroups: groups,
    lineCount: inspection?.lineCount ?? null,
    lineModels: inspection === null ? [] : [...inspection.models],
    inputTokens: inspection?.inputTokens ?? null,
    sourceBatchId: null,
    owner: ownerOf(input.principal),
  };
  const copyRecords: FileCopyRecord[] = copies.map((c) => ({
    fileId: record.id,
    deploymentId: c.deployment.id,
    upstreamRef: c.upstream.ref,
    createdAtMs: now,
  }));
  try {
    await deps.store.files.insert(record, copyRecords);
  } catch (err) {
    await deleteCopies(deps, copies, 'the file could not be recorded');
    throw err;
  }
  return toFileObject(record);
}

/** First pass over the spooled file: every line is checked before any byte goes upstream. */
async function inspect(deps: ServiceDeps, input: UploadInput, groups: readonly string[]): Promise<InspectionResult> {
  const managed = groups.length > 0;
  const inspector = new BatchFileInspector({
    maxLines: deps.limits.maxBatchLines,
    // Lines may name a target group by any of its names (the group or an alias).
    allowedModels: managed ? new Set(groups.flatMap((g) => deps.directory.namesOf(g))) : null,
    requireModel: managed,
    checkModel: (model, lineNo) => {
      // A restricted key may not name in its lines a model it could not call directly (VERIA-39).
      const group = deps.directory.canonicalGroup(model) ?? model;
      if (input.principal.models !== null) assertMayUseModel(input.principal, group, `body.model on line ${lineNo}`);
    },
  });
  for await (const line of splitLines(input.file.open())) {
    input.signal.throwIfAborted();
    inspector.inspect(line);
  }
  return inspector.result();
}

/**
 * `enable_loadbalancing_on_batch_endpoints`: a plain upload whose lines all name configured model
 * groups is treated as a managed upload to those groups, unless the client chose a provider.
 */
const loadBalances = (deps: ServiceDeps, input: UploadInput, inspection: InspectionResult): boolean =>
  deps.loadBalancing &&
  input.hints.provider === null &&
  inspection.models.size > 0 &&
  [...inspection.models].every((m) => deps.directory.hasGroup(m));

function managedTargets(deps: ServiceDeps, groups: readonly string[]): Target[] {
  const targets: Target[] = [];
  for (const group of groups) {
    const deployments = deps.directory.group(group);
    const healthy = deployments.filter((d) => !deps.health.isCoolingDown(d.id));
    // When every deployment of a group is cooling down, try them all rather than refuse outright.
    for (const deployment of healthy.length > 0 ? healthy : deployments) {
      if (targets.some((t) => t.deployment.id === deployment.id)) continue;
      targets.push({ deployment, rewriteTo: rewritesModel(deployment.upstreamModel) ? deployment.upstreamModel : null });
    }
  }
  return targets;
}

function plainTarget(deps: ServiceDeps, input: UploadInput): Target {
  const { deployment, viaGroup } = resolveDeployment(deps.directory, deps.health, deps.random, input.hints);
  const rewrite = viaGroup && input.purpose === 'batch' && rewritesModel(deployment.upstreamModel);
  return { deployment, rewriteTo: rewrite ? deployment.upstreamModel : null };
}

interface WrittenCopy {
  readonly deployment: Deployment;
  readonly upstream: UpstreamFile;
}

async function writeCopies(
  deps: ServiceDeps,
  input: UploadInput,
  targets: readonly Target[],
  groups: readonly string[],
  isBatch: boolean,
): Promise<WrittenCopy[]> {
  const results = await Promise.allSettled(targets.map((t) => writeCopy(deps, input, t, isBatch)));
  const written: WrittenCopy[] = [];
  let firstError: unknown = null;
  results.forEach((result, i) => {
    const target = targets[i];
    if (target === undefined) return;
    if (result.status === 'fulfilled') {
      deps.health.recordSuccess(target.deployment.id);
      written.push({ deployment: target.deployment, upstream: result.value });
      return;
    }
    firstError ??= result.reason;
    const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
    if (result.reason instanceof UpstreamError && result.reason.retryable) deps.health.recordFailure(target.deployment.id, reason);
    deps.logger.warn({ deploymentId: target.deployment.id, err: reason }, 'upload to deployment failed');
  });
  const uncovered = groups.filter((g) => !written.some((c) => c.deployment.modelGroup === g));
  if (written.length === 0 || uncovered.length > 0) {
    await deleteCopies(deps, written, 'the upload failed on another deployment');
    if (uncovered.length > 0 && written.length > 0) {
      throw new GatewayError(
        'deployments_unavailable',
        `The file could not be stored on any deployment of ${uncovered.map((g) => `'${g}'`).join(', ')}; nothing was kept.`,
        { cause: firstError },
      );
    }
    throw firstError instanceof Error ? firstError : new GatewayError('internal_error', 'The upload failed.');
  }
  return written;
}

async function writeCopy(deps: ServiceDeps, input: UploadInput, target: Target, isBatch: boolean): Promise<UpstreamFile> {
  const adapter = deps.registry.adapterFor(target.deployment);
  const transform = isBatch && (target.rewriteTo !== null || adapter.capabilities.lineFormat === 'native');
  const body = transform ? rewriteForDeployment(input.file.open(), adapter, target.rewriteTo) : input.file.open();
  try {
    return await adapter.uploadFile(
      {
        filename: input.file.filename,
        purpose: input.purpose,
        body,
        bytes: transform ? null : input.file.bytes,
        expiresAfter: input.expiresAfter,
      },
      { signal: input.signal },
    );
  } finally {
    body.destroy();
  }
}

/** Best-effort clean-up of copies that must not outlive a failed upload; failures are logged. */
async function deleteCopies(deps: ServiceDeps, copies: readonly WrittenCopy[], why: string): Promise<void> {
  await Promise.all(
    copies.map(async (c) => {
      try {
        await deps.registry.adapterFor(c.deployment).deleteFile(c.upstream.ref, { signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        deps.logger.error(
          { deploymentId: c.deployment.id, err: err instanceof Error ? err.message : String(err) },
          `could not delete an upstream copy after ${why}; it is orphaned upstream`,
        );
      }
    }),
  );
}
