/**
 * The SDK's calls on one target (`{provider, ...credentials}` or a `model_list` entry): as a
 * client bound to it (`createClient`), or as plain functions taking it first (`createFile(target,
 * params, options)`), which share one engine per set of `SdkOptions`.
 */
import type { Batch, FileDeleted, FileObject, ListEnvelope } from '../contracts/openai.js';
import type { Deployment } from '../domain/deployment.js';
import type { ProviderAdapter } from '../domain/ports/provider-adapter.js';
import {
  Engine,
  type CallOptions,
  type CreateBatchParams,
  type CreateFileParams,
  type FileContent,
  type ListFilesParams,
  type ListParams,
  type SdkOptions,
} from './engine.js';
import { guarded } from './errors.js';
import { targetKey, toDeployment, type Target } from './target.js';
import { waitUntilTerminal, type WaitOptions } from './wait.js';

/** The deployment a client or router id goes to, without its credentials. */
export interface DeploymentInfo {
  readonly id: string;
  readonly provider: string;
  /** The upstream model (Azure: deployment name); `*` when none was given. */
  readonly model: string;
  /** `model_name`. */
  readonly model_name: string;
}

export const infoOf = (d: Deployment): DeploymentInfo => ({ id: d.id, provider: d.provider, model: d.upstreamModel, model_name: d.modelGroup });

export interface BatchgateClient {
  readonly deployment: DeploymentInfo;
  createFile(params: CreateFileParams, options?: CallOptions): Promise<FileObject>;
  retrieveFile(fileId: string, options?: CallOptions): Promise<FileObject>;
  fileContent(fileId: string, options?: CallOptions): Promise<FileContent>;
  deleteFile(fileId: string, options?: CallOptions): Promise<FileDeleted>;
  listFiles(params?: ListFilesParams, options?: CallOptions): Promise<ListEnvelope<FileObject>>;
  createBatch(params: CreateBatchParams, options?: CallOptions): Promise<Batch>;
  retrieveBatch(batchId: string, options?: CallOptions): Promise<Batch>;
  cancelBatch(batchId: string, options?: CallOptions): Promise<Batch>;
  listBatches(params?: ListParams, options?: CallOptions): Promise<ListEnvelope<Batch>>;
  waitForBatch(batchId: string, options?: WaitOptions): Promise<Batch>;
  /** Closes pooled upstream connections. */
  close(): Promise<void>;
}

/** Runs one call on a deployment's adapter, turning every failure into an `SdkError` (or the abort reason). */
export function onDeployment<T>(engine: Engine, deployment: Deployment, signal: AbortSignal | undefined, fn: (adapter: ProviderAdapter, signal: AbortSignal) => Promise<T>): Promise<T> {
  const s = signal ?? new AbortController().signal;
  return guarded(async () => {
    s.throwIfAborted();
    return fn(engine.adapterFor(deployment), s);
  }, s, deployment.id);
}

function bind(engine: Engine, deployment: Deployment, owned: boolean): BatchgateClient {
  const run = <T>(signal: AbortSignal | undefined, fn: (adapter: ProviderAdapter, signal: AbortSignal) => Promise<T>): Promise<T> =>
    onDeployment(engine, deployment, signal, fn);
  const client: BatchgateClient = {
    deployment: infoOf(deployment),
    createFile: (params, o) => run(o?.signal, (a, s) => engine.createFile(a, params, s)),
    retrieveFile: (id, o) => run(o?.signal, (a, s) => engine.retrieveFile(a, id, s)),
    fileContent: (id, o) => run(o?.signal, (a, s) => engine.fileContent(a, id, s)),
    deleteFile: (id, o) => run(o?.signal, (a, s) => engine.deleteFile(a, id, s)),
    listFiles: (params, o) => run(o?.signal, (a, s) => engine.listFiles(a, params, s)),
    createBatch: (params, o) => run(o?.signal, (a, s) => engine.createBatch(a, params, s)),
    retrieveBatch: (id, o) => run(o?.signal, (a, s) => engine.retrieveBatch(a, id, s)),
    cancelBatch: (id, o) => run(o?.signal, (a, s) => engine.cancelBatch(a, id, s)),
    listBatches: (params, o) => run(o?.signal, (a, s) => engine.listBatches(a, params, s)),
    waitForBatch: (id, o) => waitUntilTerminal(id, (signal) => client.retrieveBatch(id, { signal }), o),
    close: async () => {
      if (owned) await engine.close();
    },
  };
  return client;
}

/** A client bound to one target, with its own connection pool and options; `close()` it when done. */
export function createClient(target: Target, options: SdkOptions = {}): BatchgateClient {
  const engine = new Engine(options);
  try {
    return bind(engine, toDeployment(target, engine.env), true);
  } catch (err) {
    void engine.close();
    throw err;
  }
}

// ---- plain functions: one shared engine per distinct SdkOptions ----

const engines: Array<{ key: string; env: unknown; keys: unknown; engine: Engine; deployments: Map<string, Deployment> }> = [];
const MAX_CACHED_TARGETS = 256;

function shared(options: SdkOptions): { engine: Engine; deployments: Map<string, Deployment> } {
  const key = `${options.stateDir ?? ''}\0${options.timeoutMs ?? ''}`;
  let found = engines.find((e) => e.key === key && e.env === options.env && e.keys === options.keys);
  if (found === undefined) {
    found = { key, env: options.env, keys: options.keys, engine: new Engine(options), deployments: new Map() };
    engines.push(found);
  }
  return found;
}

/** The (cached) client of a target: one Deployment object per distinct target, so adapters (and their tokens) are reused. */
function clientFor(target: Target, options: SdkOptions): BatchgateClient {
  const { engine, deployments } = shared(options);
  const key = targetKey(target);
  let deployment = deployments.get(key);
  if (deployment === undefined) {
    deployment = toDeployment(target, engine.env);
    if (deployments.size >= MAX_CACHED_TARGETS) deployments.delete(deployments.keys().next().value as string);
    deployments.set(key, deployment);
  }
  return bind(engine, deployment, false);
}

/** Options of a plain function call: its signal, and the engine settings (shared by calls with the same ones). */
export type FunctionOptions = CallOptions & SdkOptions;

const call = async <T>(target: Target, options: FunctionOptions | undefined, fn: (c: BatchgateClient) => Promise<T>): Promise<T> => {
  const client = await guarded(async () => clientFor(target, options ?? {}), options?.signal);
  return fn(client);
};

export const createFile = (target: Target, params: CreateFileParams, options?: FunctionOptions): Promise<FileObject> =>
  call(target, options, (c) => c.createFile(params, options));
export const retrieveFile = (target: Target, fileId: string, options?: FunctionOptions): Promise<FileObject> =>
  call(target, options, (c) => c.retrieveFile(fileId, options));
export const fileContent = (target: Target, fileId: string, options?: FunctionOptions): Promise<FileContent> =>
  call(target, options, (c) => c.fileContent(fileId, options));
export const deleteFile = (target: Target, fileId: string, options?: FunctionOptions): Promise<FileDeleted> =>
  call(target, options, (c) => c.deleteFile(fileId, options));
export const listFiles = (target: Target, params?: ListFilesParams, options?: FunctionOptions): Promise<ListEnvelope<FileObject>> =>
  call(target, options, (c) => c.listFiles(params, options));
export const createBatch = (target: Target, params: CreateBatchParams, options?: FunctionOptions): Promise<Batch> =>
  call(target, options, (c) => c.createBatch(params, options));
export const retrieveBatch = (target: Target, batchId: string, options?: FunctionOptions): Promise<Batch> =>
  call(target, options, (c) => c.retrieveBatch(batchId, options));
export const cancelBatch = (target: Target, batchId: string, options?: FunctionOptions): Promise<Batch> =>
  call(target, options, (c) => c.cancelBatch(batchId, options));
export const listBatches = (target: Target, params?: ListParams, options?: FunctionOptions): Promise<ListEnvelope<Batch>> =>
  call(target, options, (c) => c.listBatches(params, options));
export const waitForBatch = (target: Target, batchId: string, options?: WaitOptions & SdkOptions): Promise<Batch> =>
  call(target, options, (c) => c.waitForBatch(batchId, options));
