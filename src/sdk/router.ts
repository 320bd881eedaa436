/**
 * `createRouter({model_list})`: the gateway's placement without its database. A file is uploaded
 * to one deployment of its model group, chosen as the gateway chooses (healthy deployments first,
 * weighted random by `weight`/`rpm`; `placement.ts`, `deployment-health.ts`), and moved on to the
 * next when the upload fails retryably and the source can be read again. Everything after follows
 * the file: every id the router hands out is `<deploymentId>:<upstreamId>`, and every id it takes
 * (that string, or `{deploymentId, upstreamId}`) names its deployment, so nothing is stored.
 */
import type { Batch, FileDeleted, FileObject, ListEnvelope } from '../contracts/openai.js';
import type { Deployment } from '../domain/deployment.js';
import { DeploymentHealth, recordControlSuccess, type DeploymentState } from '../domain/deployments/deployment-health.js';
import { placementOrder, type Random } from '../domain/deployments/placement.js';
import { systemClock } from '../domain/ports/clock.js';
import type { ProviderAdapter } from '../domain/ports/provider-adapter.js';
import { infoOf, type DeploymentInfo } from './client.js';
import {
  Engine,
  page,
  type CallOptions,
  type CreateBatchParams,
  type CreateFileParams,
  type FileContent,
  type ListFilesParams,
  type ListParams,
  type SdkOptions,
} from './engine.js';
import { guarded, sdkError, SdkError, toSdkError } from './errors.js';
import { prepareSource } from './source.js';
import { readModelList, type ModelListDeployment } from './target.js';
import { waitUntilTerminal, type WaitOptions } from './wait.js';

export interface RouterOptions extends SdkOptions {
  readonly model_list: readonly ModelListDeployment[];
  /** Failures in a row after which a deployment cools down (default 3, as the gateway's `allowed_fails`). */
  readonly allowed_fails?: number | undefined;
  /** Seconds a deployment cools down (default 60, as the gateway's `cooldown_time`). */
  readonly cooldown_time?: number | undefined;
  /** Randomness of the weighted shuffle (tests pin it); default `Math.random`. */
  readonly random?: Random | undefined;
}

/** A router id taken apart. */
export interface RouterId {
  readonly deploymentId: string;
  readonly upstreamId: string;
}

export type RouterIdInput = string | RouterId;

export interface RouterCreateFileParams extends CreateFileParams {
  /** The model group (`model_name`) to place the file in; may be left out when the list has one group. */
  readonly model?: string | undefined;
}

export interface RouterListParams extends ListParams {
  /** Only the deployments of this model group (default: every deployment). */
  readonly model?: string | undefined;
}

export interface Router {
  readonly deployments: readonly DeploymentInfo[];
  createFile(params: RouterCreateFileParams, options?: CallOptions): Promise<FileObject>;
  retrieveFile(fileId: RouterIdInput, options?: CallOptions): Promise<FileObject>;
  fileContent(fileId: RouterIdInput, options?: CallOptions): Promise<FileContent>;
  deleteFile(fileId: RouterIdInput, options?: CallOptions): Promise<FileDeleted>;
  listFiles(params?: RouterListParams & ListFilesParams, options?: CallOptions): Promise<ListEnvelope<FileObject>>;
  /** Created on the deployment holding `input_file_id`. */
  createBatch(params: Omit<CreateBatchParams, 'input_file_id'> & { readonly input_file_id: RouterIdInput }, options?: CallOptions): Promise<Batch>;
  retrieveBatch(batchId: RouterIdInput, options?: CallOptions): Promise<Batch>;
  cancelBatch(batchId: RouterIdInput, options?: CallOptions): Promise<Batch>;
  listBatches(params?: RouterListParams, options?: CallOptions): Promise<ListEnvelope<Batch>>;
  waitForBatch(batchId: RouterIdInput, options?: WaitOptions): Promise<Batch>;
  /** `<deploymentId>:<upstreamId>` → its parts; `SdkError('not_found')` for an id of no deployment here. */
  parseId(id: RouterIdInput): RouterId;
  formatId(id: RouterId): string;
  /** What the router has learnt of a deployment's health (failures in a row, cooling down until). */
  health(deploymentId: string): DeploymentState;
  close(): Promise<void>;
}

export function createRouter(options: RouterOptions): Router {
  if (!Array.isArray(options?.model_list) || options.model_list.length === 0) {
    throw sdkError('missing_required_parameter', 'createRouter needs a non-empty model_list', { param: 'model_list' });
  }
  const list = readModelList(options.model_list, options.env ?? process.env);
  const engine = new Engine(options);
  const byId = new Map(list.map((d) => [d.id, d]));
  // Longest first: a deployment id may itself contain ':'.
  const idsByLength = [...byId.keys()].sort((a, b) => b.length - a.length);
  const health = new DeploymentHealth(systemClock, options.allowed_fails ?? 3, options.cooldown_time ?? 60);
  const random = options.random ?? Math.random;

  const formatId = (id: RouterId): string => `${id.deploymentId}:${id.upstreamId}`;
  const parseId = (id: RouterIdInput): RouterId => {
    if (typeof id === 'object' && id !== null && typeof id.deploymentId === 'string' && typeof id.upstreamId === 'string') {
      if (!byId.has(id.deploymentId)) throw sdkError('not_found', `no deployment '${id.deploymentId}' in this router's model_list`, { param: 'id' });
      return id;
    }
    if (typeof id === 'string') {
      const deploymentId = idsByLength.find((d) => id.startsWith(`${d}:`) && id.length > d.length + 1);
      if (deploymentId !== undefined) return { deploymentId, upstreamId: id.slice(deploymentId.length + 1) };
    }
    throw sdkError('not_found', `'${String(id)}' is not an id this router handed out (<deploymentId>:<upstreamId> of a deployment in its model_list)`, { param: 'id' });
  };
  const prefix = (deploymentId: string, id: string | null): string | null => (id === null || id === '' ? id : `${deploymentId}:${id}`);
  const routedFile = <T extends { id: string }>(d: Deployment, f: T): T => ({ ...f, id: formatId({ deploymentId: d.id, upstreamId: f.id }) });
  const routedBatch = (d: Deployment, b: Batch): Batch => ({
    ...b,
    id: formatId({ deploymentId: d.id, upstreamId: b.id }),
    input_file_id: prefix(d.id, b.input_file_id) ?? '',
    output_file_id: prefix(d.id, b.output_file_id),
    error_file_id: prefix(d.id, b.error_file_id),
  });

  /** One call on one deployment, keeping its health: retryable failures count, any answer resets. */
  const on = async <T>(d: Deployment, signal: AbortSignal | undefined, fn: (a: ProviderAdapter, s: AbortSignal) => Promise<T>): Promise<T> => {
    const s = signal ?? new AbortController().signal;
    return guarded(async () => {
      s.throwIfAborted();
      const adapter = engine.adapterFor(d);
      try {
        const out = await fn(adapter, s);
        recordControlSuccess(health, adapter);
        return out;
      } catch (err) {
        const typed = toSdkError(err, s, d.id);
        if (typed instanceof SdkError && typed.retryable && !s.aborted) health.recordFailure(d.id, typed.message);
        throw typed;
      }
    }, s, d.id);
  };
  const routed = <T>(id: RouterIdInput, signal: AbortSignal | undefined, fn: (d: Deployment, a: ProviderAdapter, s: AbortSignal, upstreamId: string) => Promise<T>): Promise<T> =>
    guarded(async () => {
      const { deploymentId, upstreamId } = parseId(id);
      const d = byId.get(deploymentId) as Deployment;
      return on(d, signal, (a, s) => fn(d, a, s, upstreamId));
    }, signal);

  const groupOf = (model: string | undefined): Deployment[] => {
    if (model !== undefined) {
      const members = list.filter((d) => d.modelGroup === model);
      if (members.length === 0) throw sdkError('model_not_found', `'${model}' is not a model_name of this router's model_list`, { param: 'model' });
      return members;
    }
    const groups = new Set(list.map((d) => d.modelGroup));
    if (groups.size === 1) return [...list];
    throw sdkError('missing_required_parameter', `'model' is required: this router has several model groups (${[...groups].join(', ')})`, { param: 'model' });
  };
  const listed = (model: string | undefined): Deployment[] => (model === undefined ? [...list] : groupOf(model));

  const router: Router = {
    deployments: list.map(infoOf),
    parseId,
    formatId,
    health: (deploymentId) => health.stateOf(deploymentId),

    createFile: (params, o) =>
      guarded(async () => {
        const { model, file, ...rest } = params ?? ({} as RouterCreateFileParams);
        if (file === undefined) throw sdkError('missing_required_parameter', "createFile needs 'file'", { param: 'file' });
        const order = placementOrder(groupOf(model), health, random);
        const source = prepareSource(file);
        let lastError: unknown = null;
        for (const d of order) {
          try {
            return await on(d, o?.signal, async (a, s) => routedFile(d, await engine.uploadPrepared(a, source, rest, s)));
          } catch (err) {
            // Only an upload that can be read again, and failed for a reason another deployment may not have, moves on.
            if (!(err instanceof SdkError) || !err.retryable || !source.replayable || o?.signal?.aborted === true) throw err;
            lastError = err;
          }
        }
        throw lastError ?? sdkError('no_deployment', 'No deployment could take the file.');
      }, o?.signal),
    retrieveFile: (id, o) => routed(id, o?.signal, async (d, a, s, up) => routedFile(d, await engine.retrieveFile(a, up, s))),
    fileContent: (id, o) => routed(id, o?.signal, (_d, a, s, up) => engine.fileContent(a, up, s)),
    deleteFile: (id, o) => routed(id, o?.signal, async (d, a, s, up) => routedFile(d, await engine.deleteFile(a, up, s))),
    listFiles: (params = {}, o) =>
      guarded(async () => {
        const all: FileObject[] = [];
        for (const d of listed(params.model)) {
          const { data } = await on(d, o?.signal, (a, s) => engine.listFiles(a, { purpose: params.purpose, limit: 10_000 }, s));
          all.push(...data.map((f) => routedFile(d, f)));
        }
        all.sort((x, y) => y.created_at - x.created_at);
        return page(all, params);
      }, o?.signal),

    createBatch: (params, o) =>
      routed(params?.input_file_id, o?.signal, async (d, a, s, up) => routedBatch(d, await engine.createBatch(a, { ...params, input_file_id: up }, s))),
    retrieveBatch: (id, o) => routed(id, o?.signal, async (d, a, s, up) => routedBatch(d, await engine.retrieveBatch(a, up, s))),
    cancelBatch: (id, o) => routed(id, o?.signal, async (d, a, s, up) => routedBatch(d, await engine.cancelBatch(a, up, s))),
    listBatches: (params = {}, o) =>
      guarded(async () => {
        const all: Batch[] = [];
        for (const d of listed(params.model)) {
          const { data } = await on(d, o?.signal, (a, s) => engine.listBatches(a, { limit: 10_000 }, s));
          all.push(...data.map((b) => routedBatch(d, b)));
        }
        all.sort((x, y) => y.created_at - x.created_at);
        return page(all, params);
      }, o?.signal),
    waitForBatch: (id, o) => {
      const text = typeof id === 'string' ? id : formatId(id);
      return waitUntilTerminal(text, (signal) => router.retrieveBatch(id, { signal }), o);
    },
    close: () => engine.close(),
  };
  return router;
}
