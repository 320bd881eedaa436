/**
 * Batches: placement on a deployment that holds the input file (retried on the next one when
 * creation fails there with a retryable error), then sticky retrieve and cancel through the
 * store. Raw upstream ids never leave this module: the client sees gateway ids only.
 */
import { TERMINAL_BATCH_STATUSES, type Batch } from '../../contracts/openai.js';
import type { CreateBatchRequest } from '../../contracts/requests.js';
import { GatewayError, notFound } from '../../errors/gateway-error.js';
import { scrubUpstreamField, scrubUpstreamText } from '../../errors/scrub.js';
import { UpstreamError, withGatewayIds } from '../../errors/upstream-error.js';
import { assertMayUseModel, mayUseModel } from '../auth/model-access.js';
import type { Deployment } from '../deployment.js';
import { recordControlSuccess } from '../deployments/deployment-health.js';
import { placementOrder } from '../deployments/placement.js';
import { cursorAfter, type JsonListPage } from '../listing.js';
import { newBatchId } from '../ids.js';
import { canSee, ownerOf, scopeOf, type Principal } from '../principal.js';
import { toSeconds } from '../ports/clock.js';
import type { ProviderAdapter, UpstreamBatch } from '../ports/provider-adapter.js';
import type { BatchRecord, FileRecord, IdempotentCreate, LeaseFence } from '../ports/store.js';
import type { ServiceDeps } from '../service-deps.js';
import { mintBatchFile } from './batch-files.js';
import { notify } from '../lifecycle/notify.js';
import { mergeObserved } from './monotonic.js';
import { SingleFlight } from './single-flight.js';
import { mayHaveCreated, placeOnFirstThatAccepts } from './place-batch.js';
import { defaultsOf, pendingWireBatch, toWireBatch, type BatchDefaults } from './batch-object.js';
import { createStillInProgress, idempotentCreate, keyReusedForAnotherRequest } from './idempotency.js';

/** Checks a principal may start this batch (budgets, rate limits); the keys issue supplies it. */
export interface BatchAdmission {
  admit(principal: Principal, input: { readonly file: FileRecord; readonly modelGroup: string | null }): Promise<void>;
}

export const admitAll: BatchAdmission = { admit: async () => {} };

export interface ListBatchesInput {
  readonly limit: number;
  readonly after?: string | undefined;
  readonly modelGroups?: readonly string[] | undefined;
  readonly teamId?: string | undefined;
}

export class BatchService {
  /** Upstream refreshes in progress, by batch id: concurrent retrieves share one. */
  private readonly refreshes = new SingleFlight<Batch>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly admission: BatchAdmission = admitAll,
  ) {}

  /**
   * Write-ahead: the gateway id is minted and a `pending` record stored before any upstream call;
   * the upstream batch carries that id as its label. A crash in between leaves a record the
   * reconciler resolves (`recovery/`), never an upstream batch nobody points at.
   */
  async create(
    principal: Principal,
    request: CreateBatchRequest,
    signal: AbortSignal,
    idempotencyKey: string | null = null,
  ): Promise<Batch> {
    const idempotency = idempotencyKey === null ? null : idempotentCreate(principal, idempotencyKey, request);
    if (idempotency !== null) {
      const replay = await this.replay(idempotency);
      if (replay !== null) return replay;
    }
    const file = await this.inputFile(principal, request.input_file_id);
    // The lines were validated with one url; a batch for another endpoint would fail upstream later.
    if (file.endpoint !== null && file.endpoint !== request.endpoint) {
      throw new GatewayError(
        'url_mismatch',
        `The endpoint '${request.endpoint}' does not match the url of the requests in file ${file.id} ('${file.endpoint}').`,
        { param: 'endpoint' },
      );
    }
    const modelGroup = this.modelGroupOf(file, request.model);
    if (modelGroup !== null) assertMayUseModel(principal, modelGroup);
    // Every model the lines name is checked, not only the first line or the upload field.
    if (principal.models !== null) {
      for (const model of file.lineModels) {
        assertMayUseModel(principal, this.deps.directory.canonicalGroup(model) ?? model, 'body.model in the input file');
      }
    }
    await this.admission.admit(principal, { file, modelGroup });

    const copies = await this.deps.store.files.copies(file.id);
    // Only deployments of the batch's group, and (for a plain file) only groups the key may use.
    const candidates = copies.flatMap((c) => {
      const d = this.deps.directory.byId(c.deploymentId);
      const fits = d !== undefined && (modelGroup === null ? mayUseModel(principal, d.modelGroup) : d.modelGroup === modelGroup);
      return fits ? [{ d, ref: c.upstreamRef }] : [];
    });
    if (candidates.length === 0) {
      throw new GatewayError('no_deployment', `No configured deployment this key may use holds file ${file.id}.`, {
        param: 'input_file_id',
      });
    }
    const refOf = new Map(candidates.map((c) => [c.d.id, c.ref]));
    const now = this.deps.clock.now();
    const id = newBatchId();
    const defaults: BatchDefaults = {
      endpoint: request.endpoint,
      completionWindow: request.completion_window,
      metadata: request.metadata ?? null,
      createdAt: toSeconds(now),
    };
    const order = placementOrder(candidates.map((c) => c.d), this.deps.health, this.deps.random);
    const pending: BatchRecord = {
      id,
      deploymentId: '',
      upstreamRef: '',
      inputFileId: file.id,
      modelGroup,
      status: 'validating',
      object: pendingWireBatch(id, file.id, defaults),
      createdAtMs: now,
      updatedAtMs: now,
      refreshedAtMs: now,
      owner: ownerOf(principal),
    };
    if (!(await this.deps.store.batches.insertPending(pending, order.map((d) => d.id), idempotency))) {
      // Another create with the same key got there first.
      const replay = idempotency === null ? null : await this.replay(idempotency);
      if (replay !== null) return replay;
      throw new GatewayError('internal_error', 'The batch could not be recorded.');
    }
    return this.deps.recovery.inFlight.around(id, () => this.place(pending, order, request, refOf, signal));
  }

  /** Places a pending create on the first deployment that accepts it, and records where. */
  private async place(
    pending: BatchRecord,
    order: readonly Deployment[],
    request: CreateBatchRequest,
    refOf: ReadonlyMap<string, string>,
    signal: AbortSignal,
  ): Promise<Batch> {
    const { id } = pending;
    const refIds = [...refOf].map(([, ref]) => [ref, pending.inputFileId] as const);
    let placed: { deployment: Deployment; upstream: UpstreamBatch };
    try {
      placed = await placeOnFirstThatAccepts(
        this.deps,
        order,
        (d) => ({
          inputFileRef: refOf.get(d.id) ?? '',
          endpoint: request.endpoint,
          completionWindow: request.completion_window,
          metadata: request.metadata ?? null,
          outputExpiresAfter: request.output_expires_after ?? null,
          label: id,
        }),
        signal,
      );
    } catch (err) {
      // Every deployment answered no: nothing exists upstream, so forget the create. After a
      // timeout or a lost connection the batch may exist anyway; the pending record stays and the
      // reconciler finds it by its label.
      if (!mayHaveCreated(err, signal)) await this.deps.store.batches.delete(id);
      throw withGatewayIds(err, refIds);
    }
    return this.completePending(pending, placed.deployment, placed.upstream, signal);
  }

  /**
   * Records where a pending create landed and returns its wire object. Used by `create` and by the
   * reconciler when it adopts a batch whose create was interrupted.
   */
  async completePending(pending: BatchRecord, deployment: Deployment, upstream: UpstreamBatch, signal: AbortSignal): Promise<Batch> {
    const base = {
      id: pending.id,
      deploymentId: deployment.id,
      modelGroup: pending.modelGroup ?? deployment.modelGroup,
      owner: pending.owner,
    };
    const object = await this.wireObject(base, pending.inputFileId, upstream, defaultsOf(pending.object), signal);
    const now = this.deps.clock.now();
    const placement = {
      ...base,
      upstreamRef: upstream.ref,
      status: object.status,
      object,
      updatedAtMs: now,
      nextPollAtMs: TERMINAL_BATCH_STATUSES.has(object.status) ? null : now + this.deps.lifecycle.minPollMs,
    };
    if (await this.deps.store.batches.complete(pending.id, placement)) {
      await notify(this.deps, {
        type: 'batch.created',
        at: now,
        batchId: pending.id,
        owner: pending.owner,
        modelGroup: base.modelGroup,
        deploymentId: deployment.id,
      });
      return object;
    }
    // No longer pending: a reconciler got there first (it adopted this very batch, or took the
    // create for dead and cancelled it).
    const settled = await this.deps.store.batches.get(pending.id);
    if (settled !== undefined && settled.upstreamRef === upstream.ref) return settled.object;
    throw new GatewayError('upstream_timeout', `The batch create took longer than the gateway allows; batch ${pending.id} was cancelled.`);
  }

  /** The answer to a create whose Idempotency-Key was seen before, or null when it was not. */
  private async replay(idempotency: IdempotentCreate): Promise<Batch | null> {
    const found = await this.deps.store.batches.findByIdempotencyKey(idempotency.key);
    if (found === undefined) return null;
    if (found.fingerprint !== idempotency.fingerprint) throw keyReusedForAnotherRequest();
    if (found.state === 'ready') return found.batch.object;
    // Still pending: either in flight, or left by a crash and due for the reconciler.
    const { pendingGraceMs, reconcileIntervalMs } = this.deps.recovery;
    const dueMs = found.batch.updatedAtMs + pendingGraceMs + reconcileIntervalMs - this.deps.clock.now();
    throw createStillInProgress(Math.max(1, Math.ceil(dueMs / 1000)));
  }

  /**
   * Answers from the store when the batch is terminal or was read from upstream within the
   * freshness bound; otherwise refreshes it, one upstream call shared by every concurrent
   * retrieve of the batch, so a client polling in a tight loop cannot multiply upstream calls.
   */
  async retrieve(principal: Principal, id: string, signal: AbortSignal): Promise<Batch> {
    const batch = await this.visible(principal, id);
    if (TERMINAL_BATCH_STATUSES.has(batch.status)) return batch.object;
    if (this.deps.clock.now() - batch.refreshedAtMs < this.deps.lifecycle.freshnessMs) return batch.object;
    return this.refreshes.run(id, this.deps.lifecycle.refreshTimeoutMs, signal, (shared) => this.refresh(batch, shared));
  }

  /**
   * Reads the batch from its deployment and merges what it says into the stored object (never
   * backwards: see `monotonic.ts`). The lifecycle worker passes its lease as `fence`; a write
   * under a lease that was lost meanwhile is refused (undefined).
   */
  async refresh(batch: BatchRecord, signal: AbortSignal, fence?: LeaseFence): Promise<Batch> {
    return (await this.refreshRecord(batch, signal, fence))?.object ?? batch.object;
  }

  async refreshRecord(batch: BatchRecord, signal: AbortSignal, fence?: LeaseFence): Promise<BatchRecord | undefined> {
    const adapter = this.adapterOf(batch);
    const upstream = await this.call(adapter, batch, () => adapter.retrieveBatch(batch.upstreamRef, { signal }));
    return this.store(batch, upstream, signal, fence);
  }

  async cancel(principal: Principal, id: string, signal: AbortSignal): Promise<Batch> {
    const batch = await this.visible(principal, id);
    if (TERMINAL_BATCH_STATUSES.has(batch.status)) {
      throw new GatewayError('invalid_state', `Cannot cancel batch ${id}: its status is already '${batch.status}'.`, {
        param: 'batch_id',
      });
    }
    const adapter = this.adapterOf(batch);
    if (!adapter.capabilities.cancelBatch) {
      const d = adapter.deployment;
      throw new GatewayError('unsupported_operation', `Deployment '${d.id}' (${d.provider}) does not support cancelling batches.`);
    }
    const upstream = await this.call(adapter, batch, () => adapter.cancelBatch(batch.upstreamRef, { signal }));
    return (await this.store(batch, upstream, signal))?.object ?? batch.object;
  }

  async list(principal: Principal, input: ListBatchesInput): Promise<JsonListPage> {
    const page = await this.deps.store.batches.list({
      scope: scopeOf(principal),
      after: await cursorAfter(principal, input.after, 'batch', (id) => this.deps.store.batches.get(id)),
      limit: input.limit,
      modelGroups: input.modelGroups?.map((g) => this.deps.directory.canonicalGroup(g) ?? g),
      teamId: input.teamId,
    });
    return { items: page.items.map((b) => ({ id: b.id, json: b.objectJson })), hasMore: page.hasMore };
  }

  async visible(principal: Principal, id: string): Promise<BatchRecord> {
    const batch = await this.deps.store.batches.get(id);
    if (batch === undefined || !canSee(scopeOf(principal), batch.owner)) throw notFound('batch', id);
    return batch;
  }

  private async inputFile(principal: Principal, fileId: string): Promise<FileRecord> {
    const file = await this.deps.store.files.get(fileId);
    if (file === undefined || !canSee(scopeOf(principal), file.owner)) {
      throw new GatewayError('invalid_request', `Cannot find file ${fileId}, or you do not have access to it.`, {
        param: 'input_file_id',
      });
    }
    if (file.purpose !== 'batch') {
      throw new GatewayError('invalid_request', `File ${fileId} was uploaded with purpose '${file.purpose}', not 'batch'.`, {
        param: 'input_file_id',
      });
    }
    return file;
  }

  /** The model group a batch runs for: the one its managed file targets, or the one it names. */
  private modelGroupOf(file: FileRecord, named: string | undefined): string | null {
    if (file.modelGroups.length === 0) return null;
    if (named !== undefined) {
      const model = this.deps.directory.canonicalGroup(named) ?? named;
      if (!file.modelGroups.includes(model)) {
        throw new GatewayError(
          'model_mismatch',
          `model '${named}' is not a target of file ${file.id} (${file.modelGroups.join(', ')}).`,
          { param: 'model' },
        );
      }
      return model;
    }
    const [only, ...rest] = file.modelGroups;
    if (only === undefined || rest.length > 0) {
      throw new GatewayError(
        'invalid_request',
        `File ${file.id} targets several model groups (${file.modelGroups.join(', ')}); name one in 'model'.`,
        { param: 'model' },
      );
    }
    return only;
  }

  private async store(batch: BatchRecord, upstream: UpstreamBatch, signal: AbortSignal, fence?: LeaseFence): Promise<BatchRecord | undefined> {
    const observed = await this.wireObject(batch, batch.inputFileId, upstream, defaultsOf(batch.object), signal);
    const now = this.deps.clock.now();
    const written = await this.deps.store.batches.updateWith(
      batch.id,
      (current) => {
        const object = mergeObserved(current.object, observed, toSeconds(now));
        const changed = JSON.stringify(object) !== JSON.stringify(current.object);
        // Under a lease (the worker's poll) an unchanged batch is not rewritten, which is most
        // polls: the worker's release records the check in the statement it runs anyway.
        if (!changed && fence !== undefined) return null;
        return { status: object.status, object, updatedAtMs: changed ? now : current.updatedAtMs, refreshedAtMs: now };
      },
      fence,
    );
    // Rewritten or not, the batch was checked now.
    const stored = written && { ...written, refreshedAtMs: now };
    if (stored !== undefined && stored.status !== batch.status) {
      await notify(this.deps, {
        type: 'batch.status_changed',
        at: now,
        batchId: batch.id,
        owner: batch.owner,
        modelGroup: batch.modelGroup,
        deploymentId: batch.deploymentId,
        from: batch.status,
        to: stored.status,
      });
    }
    return stored;
  }

  private async wireObject(
    batch: Pick<BatchRecord, 'id' | 'deploymentId' | 'modelGroup' | 'owner'>,
    inputFileId: string,
    upstream: UpstreamBatch,
    defaults: BatchDefaults,
    signal: AbortSignal,
  ): Promise<Batch> {
    const adapter = this.deps.registry.adapterFor(this.deps.directory.holding(batch.deploymentId, 'batch'));
    const [outputFileId, errorFileId, errors] = await Promise.all([
      mintBatchFile(this.deps, batch, adapter, upstream.outputFileRef, 'batch_output', signal),
      mintBatchFile(this.deps, batch, adapter, upstream.errorFileRef, 'batch_error', signal),
      this.errorsWithGatewayIds(upstream, batch, inputFileId),
    ]);
    return toWireBatch({ ...upstream, errors }, { id: batch.id, inputFileId, outputFileId, errorFileId }, defaults);
  }

  /**
   * Batch-level errors as they are stored and shown: they name the batch and its input file by the
   * upstream's ids, which become ours, and every other raw id, URL or secret in their message,
   * code and param is scrubbed (`errors/scrub.ts`).
   */
  private async errorsWithGatewayIds(
    upstream: UpstreamBatch,
    batch: Pick<BatchRecord, 'id' | 'deploymentId'>,
    inputFileId: string,
  ): Promise<UpstreamBatch['errors']> {
    if (upstream.errors === null || upstream.errors.length === 0) return upstream.errors;
    const copy = (await this.deps.store.files.copies(inputFileId)).find((c) => c.deploymentId === batch.deploymentId);
    const ids = [[upstream.ref, batch.id] as const, ...(copy === undefined ? [] : [[copy.upstreamRef, inputFileId] as const])];
    return upstream.errors.map((e) => ({
      ...e,
      code: scrubUpstreamText(e.code, ids),
      message: scrubUpstreamText(e.message, ids),
      param: scrubUpstreamField(e.param, ids),
    }));
  }

  private adapterOf(batch: BatchRecord): ProviderAdapter {
    return this.deps.registry.adapterFor(this.deps.directory.holding(batch.deploymentId, 'batch'));
  }

  /**
   * Runs an upstream call on a batch's own deployment, keeping its health up to date; an upstream
   * message naming the batch names it by its gateway id.
   */
  private async call<T>(adapter: ProviderAdapter, batch: BatchRecord, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      recordControlSuccess(this.deps.health, adapter);
      return result;
    } catch (err) {
      if (err instanceof UpstreamError && err.retryable) this.deps.health.recordFailure(adapter.deployment.id, err.message);
      throw withGatewayIds(err, [[batch.upstreamRef, batch.id]]);
    }
  }
}
