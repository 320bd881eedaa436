/**
 * Files: every read and delete resolves the gateway id through the store to the deployments that
 * hold the file, so no provider hint is ever needed. Another tenant's file answers exactly like
 * a file that does not exist.
 */
import type { FileDeleted, FileObject, ListEnvelope } from '../../contracts/openai.js';
import { GatewayError, notFound } from '../../errors/gateway-error.js';
import { UpstreamError, withGatewayIds } from '../../errors/upstream-error.js';
import type { Deployment } from '../deployment.js';
import { placementOrder } from '../deployments/placement.js';
import { cursorAfter, listEnvelope } from '../listing.js';
import { canSee, scopeOf, type Principal } from '../principal.js';
import type { UpstreamContent } from '../ports/provider-adapter.js';
import type { FileCopyRecord, FileRecord } from '../ports/store.js';
import type { ServiceDeps } from '../service-deps.js';
import { toFileObject } from './file-object.js';
import { uploadFile, type UploadInput } from './upload-file.js';
import { forgetNativeInput, originalBlobKey } from './line-keys.js';

export interface ListFilesInput {
  readonly purpose?: string | undefined;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  readonly after?: string | undefined;
}

export class FileService {
  constructor(private readonly deps: ServiceDeps) {}

  upload(input: UploadInput): Promise<FileObject> {
    return uploadFile(this.deps, input);
  }

  /** The stored record, if the principal may see it; otherwise the same 404 as an unknown id. */
  async visible(principal: Principal, id: string): Promise<FileRecord> {
    const file = await this.deps.store.files.get(id);
    if (file === undefined || !canSee(scopeOf(principal), file.owner)) throw notFound('file', id);
    return file;
  }

  async retrieve(principal: Principal, id: string): Promise<FileObject> {
    return toFileObject(await this.visible(principal, id));
  }

  async list(principal: Principal, input: ListFilesInput): Promise<ListEnvelope<FileObject>> {
    const page = await this.deps.store.files.list({
      scope: scopeOf(principal),
      purpose: input.purpose,
      order: input.order,
      after: await cursorAfter(principal, input.after, 'file', (id) => this.deps.store.files.get(id)),
      limit: input.limit,
    });
    return listEnvelope(page.items.map(toFileObject), page.hasMore);
  }

  /** Streams the file from the first deployment holding a copy that answers. */
  async content(principal: Principal, id: string, signal: AbortSignal): Promise<UpstreamContent> {
    const file = await this.visible(principal, id);
    // An input the upstream holds in its own format is answered from the original the gateway kept.
    if (file.kind === 'upload' && (await this.deps.store.lineKeys.has(file.id))) {
      const key = originalBlobKey(file.id);
      const stat = await this.deps.blobs.stat(key);
      if (stat !== null) return { body: await this.deps.blobs.open(key, { signal }), contentType: 'application/jsonl', bytes: stat.bytes };
    }
    let lastError: unknown = null;
    for (const { copy, deployment } of await this.readOrder(file)) {
      const adapter = this.deps.registry.adapterFor(deployment);
      try {
        return await adapter.openFileContent(copy.upstreamRef, { signal });
      } catch (err) {
        if (!(err instanceof UpstreamError) || !(err.retryable || err.isNotFound)) throw withGatewayIds(err, [[copy.upstreamRef, file.id]]);
        if (err.retryable) this.deps.health.recordFailure(copy.deploymentId, err.message);
        lastError = err.withGatewayIds([[copy.upstreamRef, file.id]]);
      }
    }
    if (lastError instanceof UpstreamError && lastError.isNotFound) {
      throw new GatewayError('not_found', `The content of file ${id} is no longer available upstream.`, {
        param: 'file_id',
      });
    }
    throw lastError ?? notFound('file', id);
  }

  /**
   * Deletes every upstream copy, then the record. A copy already gone upstream counts as deleted;
   * any other failure stops with the record (and the copies not yet deleted) kept, so a retry
   * finishes the job and nothing is left pointing at nothing.
   */
  async delete(principal: Principal, id: string, signal: AbortSignal): Promise<FileDeleted> {
    const file = await this.visible(principal, id);
    // Results of upstreams without a custom_id are joined through this file's line keys: they
    // must outlive every batch still running on it.
    const keyed = await this.deps.store.lineKeys.has(file.id);
    if (keyed && (await this.deps.store.batches.countActiveForInputFile(file.id)) > 0) {
      throw new GatewayError('invalid_state', `File ${file.id} is the input of a batch that has not finished; cancel the batch or wait for it to end, then delete the file.`, {
        param: 'file_id',
      });
    }
    for (const copy of await this.deps.store.files.copies(file.id)) {
      const deployment = this.deps.directory.byId(copy.deploymentId);
      if (deployment === undefined) {
        this.deps.logger.warn(
          { fileId: file.id, deploymentId: copy.deploymentId, upstreamRef: copy.upstreamRef },
          'deleting a file whose copy is on a deployment no longer configured; that copy stays upstream',
        );
      } else {
        const adapter = this.deps.registry.adapterFor(deployment);
        if (!adapter.capabilities.deleteFile) {
          throw new GatewayError(
            'unsupported_operation',
            `Deployment '${deployment.id}' (${deployment.provider}) does not support deleting files.`,
          );
        }
        try {
          await adapter.deleteFile(copy.upstreamRef, { signal });
        } catch (err) {
          if (!(err instanceof UpstreamError && err.isNotFound)) throw withGatewayIds(err, [[copy.upstreamRef, file.id]]);
        }
      }
      await this.deps.store.files.deleteCopy(file.id, copy.deploymentId);
    }
    await this.deps.store.files.delete(file.id);
    if (keyed) await forgetNativeInput(this.deps, file.id);
    return { id: file.id, object: 'file', deleted: true };
  }

  /**
   * The copies of a file on configured deployments, healthy ones first. When no copy is on a
   * configured deployment, the answer says which deployment held it.
   */
  private async readOrder(file: FileRecord): Promise<Array<{ copy: FileCopyRecord; deployment: Deployment }>> {
    const copies = await this.deps.store.files.copies(file.id);
    const byDeployment = new Map(
      copies.flatMap((copy) => {
        const deployment = this.deps.directory.byId(copy.deploymentId);
        return deployment === undefined ? [] : [[deployment.id, { copy, deployment }] as const];
      }),
    );
    const [first] = copies;
    if (byDeployment.size === 0 && first !== undefined) this.deps.directory.holding(first.deploymentId, 'file');
    const order = placementOrder([...byDeployment.values()].map((c) => c.deployment), this.deps.health, this.deps.random);
    return order.flatMap((d) => {
      const entry = byDeployment.get(d.id);
      return entry === undefined ? [] : [entry];
    });
  }
}
