/**
 * `POST /v1/files`: validate the spooled upload, decide where it goes, record it as `pending`
 * (write-ahead, with its target deployments), write one copy per target concurrently, then make
 * the record visible. A crash at any point leaves either nothing upstream or a pending record
 * the reconciler cleans up (`domain/recovery`); clients never see a half-written file.
 * Fan-out failure policy: see `write-copies.ts`. Batches are only placed on deployments that hold
 * the file, so no mapping ever points at a file that does not exist.
 */
import type { ExpiresAfter, FileObject, FileUploadPurpose } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { assertMayUseModel } from '../auth/model-access.js';
import { resolveDeployment, type RoutingHints } from '../deployments/resolve-deployment.js';
import { newFileId } from '../ids.js';
import { BatchFileInspector, type InspectionResult } from '../lines/batch-file-inspector.js';
import { splitLines } from '../lines/split-lines.js';
import { ownerOf, type Principal } from '../principal.js';
import type { FileRecord } from '../ports/store.js';
import { toSeconds } from '../ports/clock.js';
import type { ServiceDeps } from '../service-deps.js';
import { toFileObject } from './file-object.js';
import { rewritesModel } from './rewrite-lines.js';
import { withoutBom, type SpooledUpload } from './spooled-upload.js';
import { deleteCopies, writeCopies, type Target } from './write-copies.js';
import { deploymentsThatFit, type FileSize } from './deployment-limits.js';
import { forgetNativeInput, needsLineKeys, recordNativeInput } from './line-keys.js';
import { notify } from '../lifecycle/notify.js';

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
  // Only batch files have limits to fit: a request count and a size the upstream job accepts.
  const size = inspection === null ? null : { lines: inspection.lineCount, bytes: input.file.bytes };
  const targets =
    groups.length > 0
      ? managedTargets(deps, groups, size)
      : [plainTarget(deps, input, inspection === null ? [] : [...inspection.models], size)];
  // However a plain upload was routed (a `model` hint, a provider, the default deployment), a
  // restricted key only reaches deployments of its own groups: a `model` hint naming another
  // group would otherwise have its lines rewritten to that group's upstream model.
  for (const t of targets) assertMayUseModel(input.principal, t.deployment.modelGroup, 'the deployment this upload is routed to');

  // What is validated is what is sent: the inspector reads past a UTF-8 BOM, so the copies
  // leave it out too (Azure rejects a BOM).
  const file = isBatch ? await withoutBom(input.file) : input.file;
  const now = deps.clock.now();
  const draft: FileRecord = {
    id: newFileId(),
    kind: 'upload',
    purpose: input.purpose,
    filename: file.filename,
    bytes: file.bytes,
    createdAtMs: now,
    // The client's own expiry wins: an upstream may keep its copy longer (Azure's floor is 14 days).
    expiresAt: input.expiresAfter === null ? null : toSeconds(now) + input.expiresAfter.seconds,
    status: 'processed',
    modelGroups: groups,
    lineCount: inspection?.lineCount ?? null,
    lineModels: inspection === null ? [] : [...inspection.models],
    inputTokens: inspection?.inputTokens ?? null,
    sourceBatchId: null,
    endpoint: inspection?.endpoint ?? null,
    owner: ownerOf(input.principal),
  };
  await deps.store.files.insertPending(draft, targets.map((t) => t.deployment.id));
  return deps.recovery.inFlight.around(draft.id, () => writeAndComplete(deps, input, draft, file, targets, groups, isBatch));
}

/** Writes every copy of a pending upload, then makes it visible (or leaves nothing, or a record to reconcile). */
async function writeAndComplete(
  deps: ServiceDeps,
  input: UploadInput,
  draft: FileRecord,
  file: SpooledUpload,
  targets: readonly Target[],
  groups: readonly string[],
  isBatch: boolean,
): Promise<FileObject> {
  const job = { fileId: draft.id, purpose: input.purpose, file, expiresAfter: input.expiresAfter, isBatch, signal: input.signal };
  const keyed = isBatch && needsLineKeys(deps, targets);
  const outcome = keyed
    ? await recordNativeInput(deps, draft.id, file, input.signal).then(
        () => writeCopies(deps, job, targets, groups),
        (error: unknown) => ({ ok: false as const, error, clean: true }),
      )
    : await writeCopies(deps, job, targets, groups);
  if (!outcome.ok) {
    // Nothing can be left upstream: forget the upload now. Otherwise the pending record stays
    // for the reconciler, which finds what an interrupted upload may have left by its label.
    if (outcome.clean) {
      await deps.store.files.delete(draft.id);
      if (keyed) await forgetNativeInput(deps, draft.id);
    }
    throw outcome.error;
  }
  const record: FileRecord = { ...draft, expiresAt: draft.expiresAt ?? outcome.written[0]?.upstream.expiresAt ?? null };
  // Loose ends (a copy that may exist unrecorded) are left for the reconciler to look for.
  const completed = await deps.store.files.complete(record, outcome.looseEnds).catch(async (err: unknown) => {
    await deleteCopies(deps, outcome.written, 'the file could not be recorded');
    throw err;
  });
  if (!completed) {
    // A reconciler took this upload for dead (it outlived the grace period) and is deleting it.
    await deleteCopies(deps, outcome.written, 'the upload outlived its grace period');
    throw new GatewayError('upstream_timeout', 'The upload took longer than the gateway allows; nothing was kept.');
  }
  await notify(deps, {
    type: 'file.uploaded',
    at: deps.clock.now(),
    fileId: record.id,
    owner: record.owner,
    purpose: record.purpose,
    bytes: record.bytes,
    modelGroups: record.modelGroups,
    deploymentIds: outcome.written.map((c) => c.deployment.id),
  });
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
  for await (const line of splitLines(input.file.chunks())) {
    input.signal.throwIfAborted();
    inspector.inspect(line);
  }
  const result = inspector.result();
  await inspector.checkUnique(() => splitLines(input.file.chunks()));
  return result;
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

function managedTargets(deps: ServiceDeps, groups: readonly string[], size: FileSize | null): Target[] {
  const targets: Target[] = [];
  for (const group of groups) {
    const deployments = deploymentsThatFit(deps.registry, deps.directory.group(group), size, `model group '${group}'`);
    const healthy = deployments.filter((d) => !deps.health.isCoolingDown(d.id));
    // When every deployment of a group is cooling down, try them all rather than refuse outright.
    for (const deployment of healthy.length > 0 ? healthy : deployments) {
      if (targets.some((t) => t.deployment.id === deployment.id)) continue;
      targets.push({ deployment, rewriteTo: rewritesModel(deployment.upstreamModel) ? deployment.upstreamModel : null });
    }
  }
  return targets;
}

/**
 * Where a plain upload goes: only deployments the key may use are considered, and among those the
 * ones its lines name (`lineModels`: the distinct `body.model` values) are preferred.
 */
function plainTarget(deps: ServiceDeps, input: UploadInput, lineModels: readonly string[], size: FileSize | null): Target {
  const { deployment, viaGroup } = resolveDeployment(deps.directory, deps.health, deps.random, input.hints, {
    principal: input.principal,
    lineModels,
  });
  deploymentsThatFit(deps.registry, [deployment], size, `this upload's routing`);
  const rewrite = viaGroup && input.purpose === 'batch' && rewritesModel(deployment.upstreamModel);
  return { deployment, rewriteTo: rewrite ? deployment.upstreamModel : null };
}
