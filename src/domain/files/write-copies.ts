/**
 * Writes one copy of an upload per target deployment, concurrently, recording each copy in the
 * store the moment its upstream upload answers (so a crash after that point leaves a ref the
 * reconciler can delete), and cleans up when the upload as a whole fails.
 *
 * Failure policy for fan-out (a managed upload to several deployments): a deployment whose upload
 * fails is left out of the file's mapping and marked unhealthy, and the upload succeeds as long as
 * every target model group got at least one copy. When a group gets no copy at all, the upload
 * fails and the copies already written are deleted upstream.
 */
import type { Readable } from 'node:stream';
import { GatewayError } from '../../errors/gateway-error.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { Deployment } from '../deployment.js';
import { recordControlSuccess } from '../deployments/deployment-health.js';
import type { UpstreamFile } from '../ports/provider-adapter.js';
import type { ServiceDeps } from '../service-deps.js';
import { fanOut } from './fan-out.js';
import { rewriteForDeployment } from './rewrite-lines.js';
import type { SpooledUpload } from './spooled-upload.js';
import type { ExpiresAfter } from '../../contracts/openai.js';

export interface Target {
  readonly deployment: Deployment;
  /** The upstream model to write into every line's body.model, or null to leave lines as sent. */
  readonly rewriteTo: string | null;
}

export interface WrittenCopy {
  readonly deployment: Deployment;
  readonly upstream: UpstreamFile;
}

export interface CopyJob {
  /** The gateway file id: the label each copy carries upstream, and the copies' owner in the store. */
  readonly fileId: string;
  readonly purpose: string;
  readonly file: SpooledUpload;
  readonly expiresAfter: ExpiresAfter | null;
  readonly isBatch: boolean;
  readonly signal: AbortSignal;
}

export type CopiesOutcome =
  | {
      readonly ok: true;
      readonly written: WrittenCopy[];
      /** Deployments whose upload ended without an answer: a copy may exist there unrecorded. */
      readonly looseEnds: string[];
    }
  | {
      readonly ok: false;
      readonly error: unknown;
      /**
       * Whether nothing can be left upstream: every copy written was deleted again, and no upload
       * ended in a way (timeout, reset, abort) that leaves unknown whether the upstream kept it.
       */
      readonly clean: boolean;
    };

export async function writeCopies(
  deps: ServiceDeps,
  job: CopyJob,
  targets: readonly Target[],
  groups: readonly string[],
): Promise<CopiesOutcome> {
  const results = await Promise.allSettled(copyBodies(deps, job, targets).map((copy) => writeCopy(deps, job, copy)));
  const written: WrittenCopy[] = [];
  let firstError: unknown = null;
  const looseEnds: string[] = [];
  results.forEach((result, i) => {
    const target = targets[i];
    if (target === undefined) return;
    if (result.status === 'fulfilled') {
      recordControlSuccess(deps.health, deps.registry.adapterFor(target.deployment));
      written.push({ deployment: target.deployment, upstream: result.value });
      return;
    }
    firstError ??= result.reason;
    // Only an upstream that answered with an error surely kept nothing.
    if (!(result.reason instanceof UpstreamError && result.reason.failure === 'http')) looseEnds.push(target.deployment.id);
    const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
    if (result.reason instanceof UpstreamError && result.reason.retryable) deps.health.recordFailure(target.deployment.id, reason);
    deps.logger.warn({ deploymentId: target.deployment.id, err: reason }, 'upload to deployment failed');
  });
  const uncovered = groups.filter((g) => !written.some((c) => c.deployment.modelGroup === g));
  // A client that left (or a deadline that passed) gets no file: nobody would learn its id.
  const abandoned = job.signal.aborted;
  if (written.length > 0 && uncovered.length === 0 && !abandoned) return { ok: true, written, looseEnds };

  const deleted = await deleteCopies(deps, written, 'the upload failed on another deployment');
  const error = abandoned
    ? (job.signal.reason ?? new GatewayError('upstream_timeout', 'The upload was abandoned.'))
    : uncovered.length > 0 && written.length > 0
      ? new GatewayError(
          'deployments_unavailable',
          `The file could not be stored on any deployment of ${uncovered.map((g) => `'${g}'`).join(', ')}; nothing was kept.`,
          { cause: firstError },
        )
      : firstError instanceof Error
        ? firstError
        : new GatewayError('internal_error', 'The upload failed.');
  return { ok: false, error, clean: deleted && looseEnds.length === 0 };
}

interface CopyBody {
  readonly target: Target;
  readonly body: Readable;
  /** Known only for the spool file sent as it is; a rewritten copy goes out chunked. */
  readonly bytes: number | null;
}

/**
 * Each target's body, in the targets' order. Lines are rewritten once per distinct result, not once per copy: targets
 * that take the same bytes (OpenAI-format lines given the same upstream model) share one rewrite
 * through `fanOut`. A native-format copy is its adapter's own encoding and is never shared; an
 * untransformed copy is the spool file itself, which each target reads on its own.
 */
function copyBodies(deps: ServiceDeps, job: CopyJob, targets: readonly Target[]): CopyBody[] {
  const formatOf = (t: Target) => deps.registry.adapterFor(t.deployment).capabilities.lineFormat;
  const sharedModel = (t: Target): string | null => (job.isBatch && t.rewriteTo !== null && formatOf(t) === 'openai' ? t.rewriteTo : null);
  const readers = new Map<string, number>();
  for (const t of targets) {
    const model = sharedModel(t);
    if (model !== null) readers.set(model, (readers.get(model) ?? 0) + 1);
  }
  const branches = new Map<string, Readable[]>();
  return targets.map((target) => {
    const adapter = deps.registry.adapterFor(target.deployment);
    const model = sharedModel(target);
    if (model !== null) {
      let left = branches.get(model);
      if (left === undefined) {
        // OpenAI-format lines come out the same from any adapter: only the model is spliced in.
        left = fanOut(rewriteForDeployment(job.file.chunks(), adapter, model), readers.get(model) ?? 1);
        branches.set(model, left);
      }
      return { target, body: left.shift() ?? rewriteForDeployment(job.file.chunks(), adapter, model), bytes: null };
    }
    if (job.isBatch && formatOf(target) === 'native') return { target, body: rewriteForDeployment(job.file.chunks(), adapter, target.rewriteTo), bytes: null };
    return { target, body: job.file.open(), bytes: job.file.bytes };
  });
}

async function writeCopy(deps: ServiceDeps, job: CopyJob, { target, body, bytes }: CopyBody): Promise<UpstreamFile> {
  const adapter = deps.registry.adapterFor(target.deployment);
  try {
    const upstream = await adapter.uploadFile(
      {
        filename: job.file.filename,
        purpose: job.purpose,
        body,
        bytes,
        expiresAfter: job.expiresAfter,
        label: job.fileId,
      },
      { signal: job.signal },
    );
    await deps.store.files.addCopy({
      fileId: job.fileId,
      deploymentId: target.deployment.id,
      upstreamRef: upstream.ref,
      createdAtMs: deps.clock.now(),
    });
    return upstream;
  } finally {
    body.destroy();
  }
}

/**
 * Best-effort clean-up of copies that must not outlive a failed upload. Returns whether every one
 * is gone (a copy already missing upstream counts); failures are logged, and the upload's pending
 * record then stays for the reconciler to finish the job.
 */
export async function deleteCopies(deps: ServiceDeps, copies: readonly WrittenCopy[], why: string): Promise<boolean> {
  const results = await Promise.all(
    copies.map(async (c) => {
      try {
        await deps.registry.adapterFor(c.deployment).deleteFile(c.upstream.ref, { signal: AbortSignal.timeout(30_000) });
        return true;
      } catch (err) {
        if (err instanceof UpstreamError && err.isNotFound) return true;
        deps.logger.error(
          { deploymentId: c.deployment.id, err: err instanceof Error ? err.message : String(err) },
          `could not delete an upstream copy after ${why}; the reconciler will retry`,
        );
        return false;
      }
    }),
  );
  return results.every(Boolean);
}
