/**
 * The SDK's calls on one deployment, through the gateway's own provider code: the registry builds
 * the deployment's `ProviderAdapter` (`providers/registry.ts`), wrapped for gateway-kept inputs
 * (`withGatewayStaging`, Anthropic and Gemini) over a filesystem blob store, and every call goes
 * through the port. What the gateway keeps in its database for 'native' providers (line keys,
 * the batch's input file) is kept under `stateDir` (`state.ts`); results of native batches are
 * collected by the gateway's `collectResults` into that directory once the batch is finished.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  TERMINAL_BATCH_STATUSES,
  type Batch,
  type BatchStatus,
  type ExpiresAfter,
  type FileDeleted,
  type FileObject,
  type FilePurpose,
  type ListEnvelope,
} from '../contracts/openai.js';
import { toWireBatch } from '../domain/batches/batch-object.js';
import type { Deployment } from '../domain/deployment.js';
import { rewriteForDeployment, rewriteLine, rewritesModel } from '../domain/files/rewrite-lines.js';
import { withGatewayStaging } from '../domain/files/staged-adapter.js';
import { newBatchId, newFileId } from '../domain/ids.js';
import { BatchFileInspector } from '../domain/lines/batch-file-inspector.js';
import { splitLines, type Line } from '../domain/lines/split-lines.js';
import type { LineKey, LineKeyRepository } from '../domain/ports/line-keys.js';
import { silentLogger } from '../domain/ports/logger.js';
import { systemClock, toSeconds } from '../domain/ports/clock.js';
import type { ProviderAdapter, ProviderRegistry, UpstreamBatch, UpstreamFile } from '../domain/ports/provider-adapter.js';
import { collectResults } from '../domain/results/collect-results.js';
import { createProviderRegistry, type ClosableProviderRegistry } from '../providers/registry.js';
import { FsBlobStore } from '../store/blobs/fs-blob-store.js';
import { sdkError } from './errors.js';
import { prepareSource, type UploadSource } from './source.js';
import { FileLineKeys, SdkState, type BatchRecord, type ResultSummary } from './state.js';
import type { Env } from './target.js';

export interface SdkOptions {
  /**
   * Where line keys, native batches' records and results, and staged inputs (Anthropic, Gemini)
   * are kept. Default `<os.tmpdir()>/batchgate-sdk`. OpenAI and Azure write nothing here.
   */
  readonly stateDir?: string | undefined;
  /** Line keys of native uploads (line number → custom_id); default files under `stateDir`. */
  readonly keys?: LineKeyRepository | undefined;
  /** Timeout of one upstream call, in milliseconds (default 600 000, as the gateway's). */
  readonly timeoutMs?: number | undefined;
  /** The environment `os.environ/` references and credential chains read; default `process.env`. */
  readonly env?: Env | undefined;
}

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface CreateFileParams {
  readonly file: UploadSource;
  /** Default 'batch'. */
  readonly purpose?: string | undefined;
  /** Default: the path's base name, else `input.jsonl`. */
  readonly filename?: string | undefined;
  readonly expires_after?: ExpiresAfter | undefined;
}

export interface CreateBatchParams {
  readonly input_file_id: string;
  readonly endpoint: string;
  /** Default '24h'. */
  readonly completion_window?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | null | undefined;
  readonly output_expires_after?: ExpiresAfter | null | undefined;
}

export interface ListParams {
  /** Default 20. */
  readonly limit?: number | undefined;
  /** The id after which to start (the previous page's `last_id`). */
  readonly after?: string | undefined;
}

export interface ListFilesParams extends ListParams {
  readonly purpose?: string | undefined;
}

/** What `fileContent` answers: the bytes as a stream, with helpers to read them whole or by line. */
export interface FileContent extends AsyncIterable<Buffer> {
  readonly body: Readable;
  readonly contentType: string;
  readonly bytes: number | null;
  /** The whole content as UTF-8 text. */
  text(): Promise<string>;
  /** Each non-blank line parsed as JSON, one at a time. */
  lines<T = unknown>(): AsyncGenerator<T>;
}

export const DEFAULT_STATE_DIR = (): string => join(tmpdir(), 'batchgate-sdk');
const DEFAULT_TIMEOUT_MS = 600_000;
const KEY_PAGE = 1_000;
const RESULT_SUFFIX = /^(.*)#(output|errors)$/s;

/** Finished upstream statuses with results to collect, and the code of lines that never ran. */
const COLLECTED: Partial<Record<BatchStatus, { readonly meanwhile: BatchStatus; readonly missingCode: string }>> = {
  completed: { meanwhile: 'finalizing', missingCode: 'batch_expired' },
  expired: { meanwhile: 'finalizing', missingCode: 'batch_expired' },
  cancelled: { meanwhile: 'cancelling', missingCode: 'batch_cancelled' },
};

/** `<batch id>#output` / `<batch id>#errors`: the result files of a native batch. */
export const resultFileId = (batchRef: string, kind: 'output' | 'errors'): string => `${batchRef}#${kind}`;
export const parseResultFileId = (id: string): { batchRef: string; kind: 'output' | 'errors' } | null => {
  const m = RESULT_SUFFIX.exec(id);
  return m === null ? null : { batchRef: m[1] as string, kind: m[2] as 'output' | 'errors' };
};

const nowSeconds = (): number => toSeconds(systemClock.now());
const neverAborted = new AbortController().signal;

export function fileContentOf(body: Readable, contentType: string, bytes: number | null): FileContent {
  return {
    body,
    contentType,
    bytes,
    [Symbol.asyncIterator]: () => (body as AsyncIterable<Buffer>)[Symbol.asyncIterator](),
    text: async () => {
      const parts: Buffer[] = [];
      for await (const chunk of body) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      return Buffer.concat(parts).toString('utf8');
    },
    lines: async function* <T>() {
      for await (const line of splitLines(body)) if (line.text.trim() !== '') yield JSON.parse(line.text) as T;
    },
  };
}

export class Engine {
  readonly registry: ClosableProviderRegistry;
  readonly env: Env;
  readonly #stateDir: string;
  readonly #keysOption: LineKeyRepository | undefined;
  #state: { state: SdkState; registry: ProviderRegistry } | null = null;
  readonly #checked = new WeakSet<Deployment>();
  readonly #collecting = new Map<string, Promise<ResultSummary | null>>();

  constructor(options: SdkOptions = {}) {
    this.env = options.env ?? process.env;
    this.#stateDir = options.stateDir ?? DEFAULT_STATE_DIR();
    this.#keysOption = options.keys;
    this.registry = createProviderRegistry({ timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, env: this.env });
  }

  get stateDir(): string {
    return this.#stateDir;
  }

  /** The blob store and the staging wrapper, made on first use (nothing is written before a native call). */
  #lazy(): { state: SdkState; registry: ProviderRegistry } {
    if (this.#state === null) {
      const blobs = new FsBlobStore({ root: this.#stateDir });
      const state = new SdkState(blobs, this.#keysOption ?? new FileLineKeys(blobs));
      this.#state = { state, registry: withGatewayStaging(this.registry, { blobs, clock: systemClock }) };
    }
    return this.#state;
  }

  get state(): SdkState {
    return this.#lazy().state;
  }

  /** The deployment's adapter, as the gateway builds it; a deployment that cannot work is refused with what to fix. */
  adapterFor(deployment: Deployment): ProviderAdapter {
    if (!this.#checked.has(deployment)) {
      const problems = this.registry.problems([deployment]);
      if (problems.length > 0) throw sdkError('invalid_request', problems.join('; '), { deploymentId: deployment.id });
      this.#checked.add(deployment);
    }
    const adapter = this.#lazy().registry.adapterFor(deployment);
    if (adapter.capabilities.batchExecution !== 'native') {
      throw sdkError(
        'unsupported_operation',
        `deployment '${deployment.id}' has its batches executed by the gateway (model_info.batch_execution or mock_response); the SDK only drives provider batch APIs`,
        { deploymentId: deployment.id },
      );
    }
    return adapter;
  }

  async close(): Promise<void> {
    await this.registry.close();
  }

  // ---- files ----

  async createFile(adapter: ProviderAdapter, params: CreateFileParams, signal: AbortSignal = neverAborted): Promise<FileObject> {
    if (typeof params !== 'object' || params === null || params.file === undefined) {
      throw sdkError('missing_required_parameter', "createFile needs 'file'", { param: 'file' });
    }
    const source = prepareSource(params.file);
    return this.uploadPrepared(adapter, source, params, signal);
  }

  async uploadPrepared(adapter: ProviderAdapter, source: ReturnType<typeof prepareSource>, params: Omit<CreateFileParams, 'file'>, signal: AbortSignal): Promise<FileObject> {
    const purpose = params.purpose ?? 'batch';
    const filename = params.filename ?? source.filename ?? 'input.jsonl';
    const expiresAfter = params.expires_after ?? null;
    const isBatch = purpose === 'batch';
    if (isBatch && !filename.toLowerCase().endsWith('.jsonl')) {
      throw sdkError('invalid_file_format', 'Invalid file format for Batch API. Must be .jsonl', { param: 'filename' });
    }
    const { upstreamModel } = adapter.deployment;
    const rewriteTo = isBatch && rewritesModel(upstreamModel) ? upstreamModel : null;
    const native = isBatch && adapter.capabilities.lineFormat === 'native';
    const label = newFileId();
    const { body, bytes } = await source.open(signal);
    if (!native) {
      const transformed = rewriteTo !== null;
      const up = await adapter.uploadFile(
        { filename, purpose, body: transformed ? rewriteForDeployment(body, adapter, rewriteTo) : body, bytes: transformed ? null : bytes, expiresAfter, label },
        { signal },
      );
      return toFileObject(up, { filename, purpose, bytes });
    }
    return this.#uploadNative(adapter, body, { filename, purpose, expiresAfter, label, rewriteTo }, signal);
  }

  /**
   * A native upload: each line is checked, its custom_id recorded (a page at a time, under a
   * temporary id until the upstream names the file), and encoded by the adapter, in one pass.
   */
  async #uploadNative(
    adapter: ProviderAdapter,
    body: Readable,
    o: { filename: string; purpose: string; expiresAfter: ExpiresAfter | null; label: string; rewriteTo: string | null },
    signal: AbortSignal,
  ): Promise<FileObject> {
    const { keys } = this.state;
    const pendingId = `pending-upload:${o.label}`;
    const inspector = new BatchFileInspector({ maxLines: adapter.capabilities.limits.maxLines ?? 1_000_000, allowedModels: null, requireModel: false });
    let encodedBytes = 0;
    async function* encode(): AsyncGenerator<Buffer> {
      let page: LineKey[] = [];
      for await (const line of splitLines(body)) {
        const parsed = inspector.inspect(line);
        if (parsed === null) continue;
        page.push({ lineNo: line.lineNo, customId: parsed.custom_id });
        if (page.length >= KEY_PAGE) {
          signal.throwIfAborted();
          await keys.add(pendingId, page);
          page = [];
        }
        const encoded = rewriteLine(line.text, line.lineNo, adapter, o.rewriteTo);
        encodedBytes += encoded.length;
        yield encoded;
      }
      if (page.length > 0) await keys.add(pendingId, page);
      // An empty file stops here, before the upstream finishes storing anything.
      inspector.result();
    }
    let up: UpstreamFile | null = null;
    try {
      up = await adapter.uploadFile(
        { filename: o.filename, purpose: o.purpose, body: Readable.from(encode()), bytes: null, expiresAfter: o.expiresAfter, label: o.label },
        { signal },
      );
      const ref = up.ref;
      for (let after = 0; ; ) {
        const page = await keys.page(pendingId, after, KEY_PAGE);
        if (page.length > 0) await keys.add(ref, page);
        const last = page[page.length - 1];
        if (last === undefined || page.length < KEY_PAGE) break;
        after = last.lineNo;
      }
      await inspector.checkUnique(() => keyLines(keys, ref));
      return toFileObject(up, { filename: o.filename, purpose: o.purpose, bytes: encodedBytes });
    } catch (err) {
      if (up !== null) {
        const ref = up.ref;
        await adapter.deleteFile(ref, { signal: AbortSignal.timeout(30_000) }).catch(() => {});
        await keys.deleteFor(ref).catch(() => {});
      }
      throw err;
    } finally {
      await keys.deleteFor(pendingId).catch(() => {});
    }
  }

  async retrieveFile(adapter: ProviderAdapter, id: string, signal: AbortSignal = neverAborted): Promise<FileObject> {
    const result = this.#resultRef(adapter, id);
    if (result !== null) {
      const summary = await this.#ensureCollected(adapter, result.batchRef, signal);
      const key = this.state.resultKeys(adapter.deployment.id, result.batchRef)[result.kind];
      const stat = await this.state.blobs.stat(key);
      if (stat === null) throw noSuchFile(id, adapter);
      return {
        id,
        object: 'file',
        bytes: stat.bytes,
        created_at: summary.collectedAt,
        expires_at: null,
        filename: `${result.kind === 'output' ? 'output' : 'errors'}.jsonl`,
        purpose: 'batch_output',
        status: 'processed',
        status_details: null,
      };
    }
    return toFileObject(await adapter.retrieveFile(id, { signal }), { filename: null, purpose: null, bytes: null });
  }

  async fileContent(adapter: ProviderAdapter, id: string, signal: AbortSignal = neverAborted): Promise<FileContent> {
    const result = this.#resultRef(adapter, id);
    if (result !== null) {
      await this.#ensureCollected(adapter, result.batchRef, signal);
      const key = this.state.resultKeys(adapter.deployment.id, result.batchRef)[result.kind];
      const stat = await this.state.blobs.stat(key);
      if (stat === null) throw noSuchFile(id, adapter);
      return fileContentOf(await this.state.blobs.open(key, { signal }), 'application/jsonl', stat.bytes);
    }
    const content = await adapter.openFileContent(id, { signal });
    return fileContentOf(content.body, content.contentType, content.bytes);
  }

  async deleteFile(adapter: ProviderAdapter, id: string, signal: AbortSignal = neverAborted): Promise<FileDeleted> {
    const result = this.#resultRef(adapter, id);
    if (result !== null) {
      const key = this.state.resultKeys(adapter.deployment.id, result.batchRef)[result.kind];
      if ((await this.state.blobs.stat(key)) === null) throw noSuchFile(id, adapter);
      await this.state.blobs.delete(key);
      return { id, object: 'file', deleted: true };
    }
    await adapter.deleteFile(id, { signal });
    if (adapter.capabilities.lineFormat === 'native') await this.state.keys.deleteFor(id);
    return { id, object: 'file', deleted: true };
  }

  async listFiles(adapter: ProviderAdapter, params: ListFilesParams = {}, signal: AbortSignal = neverAborted): Promise<ListEnvelope<FileObject>> {
    const files: FileObject[] = [];
    for await (const up of adapter.listFilesSince(0, { signal })) {
      const file = toFileObject(up, { filename: null, purpose: null, bytes: null });
      if (params.purpose === undefined || file.purpose === params.purpose) files.push(file);
    }
    return page(files, params);
  }

  // ---- batches ----

  async createBatch(adapter: ProviderAdapter, params: CreateBatchParams, signal: AbortSignal = neverAborted): Promise<Batch> {
    if (typeof params?.input_file_id !== 'string' || params.input_file_id === '') {
      throw sdkError('missing_required_parameter', "createBatch needs 'input_file_id'", { param: 'input_file_id' });
    }
    if (typeof params.endpoint !== 'string' || params.endpoint === '') {
      throw sdkError('missing_required_parameter', "createBatch needs 'endpoint' (e.g. '/v1/chat/completions')", { param: 'endpoint' });
    }
    const native = adapter.capabilities.lineFormat === 'native';
    if (native && !(await this.state.keys.has(params.input_file_id))) {
      throw sdkError(
        'invalid_request',
        `no line keys for input file '${params.input_file_id}': a native provider's input must be uploaded by createFile with the same stateDir (or keys) as this call, so results can be matched to custom_ids`,
        { param: 'input_file_id', deploymentId: adapter.deployment.id },
      );
    }
    const record: BatchRecord = {
      version: 1,
      inputFileRef: params.input_file_id,
      endpoint: params.endpoint,
      completionWindow: params.completion_window ?? '24h',
      metadata: params.metadata ?? null,
      outputExpiresAfter: params.output_expires_after ?? null,
      createdAt: nowSeconds(),
    };
    const up = await adapter.createBatch(
      {
        inputFileRef: record.inputFileRef,
        endpoint: record.endpoint,
        completionWindow: record.completionWindow,
        metadata: record.metadata,
        outputExpiresAfter: record.outputExpiresAfter,
        label: newBatchId(),
      },
      { signal },
    );
    if (native) await this.state.writeBatch(adapter.deployment.id, up.ref, { ...record, createdAt: up.createdAt ?? record.createdAt });
    return this.#settle(adapter, up, native ? record : null, signal, false);
  }

  async retrieveBatch(adapter: ProviderAdapter, id: string, signal: AbortSignal = neverAborted): Promise<Batch> {
    const up = await adapter.retrieveBatch(id, { signal });
    return this.#settle(adapter, up, await this.#record(adapter, up.ref), signal, true);
  }

  async cancelBatch(adapter: ProviderAdapter, id: string, signal: AbortSignal = neverAborted): Promise<Batch> {
    const up = await adapter.cancelBatch(id, { signal });
    return this.#settle(adapter, up, await this.#record(adapter, up.ref), signal, true);
  }

  async listBatches(adapter: ProviderAdapter, params: ListParams = {}, signal: AbortSignal = neverAborted): Promise<ListEnvelope<Batch>> {
    const batches: Batch[] = [];
    for await (const up of adapter.listBatchesSince(0, { signal })) {
      batches.push(await this.#settle(adapter, up, await this.#record(adapter, up.ref), signal, false));
    }
    return page(batches, params);
  }

  async #record(adapter: ProviderAdapter, ref: string): Promise<BatchRecord | null> {
    return adapter.capabilities.lineFormat === 'native' ? this.state.readBatch(adapter.deployment.id, ref) : null;
  }

  #resultRef(adapter: ProviderAdapter, id: string): { batchRef: string; kind: 'output' | 'errors' } | null {
    if (adapter.capabilities.lineFormat !== 'native') return null;
    return parseResultFileId(id);
  }

  /**
   * The wire batch of what the upstream reported. A finished native batch has its results
   * collected first (when `collect`; once, then read from `stateDir`); until then it shows as
   * still finalizing, as the gateway shows it.
   */
  async #settle(adapter: ProviderAdapter, up: UpstreamBatch, record: BatchRecord | null, signal: AbortSignal, collect: boolean): Promise<Batch> {
    const native = adapter.capabilities.lineFormat === 'native';
    const defaults = {
      endpoint: record?.endpoint ?? up.endpoint ?? '',
      completionWindow: record?.completionWindow ?? up.completionWindow ?? '24h',
      metadata: record?.metadata ?? null,
      createdAt: record?.createdAt ?? nowSeconds(),
    };
    const inputFileId = record?.inputFileRef ?? up.inputFileRef ?? '';
    if (!native) {
      return toWireBatch(up, { id: up.ref, inputFileId, outputFileId: up.outputFileRef, errorFileId: up.errorFileRef }, defaults);
    }
    const bare = { id: up.ref, inputFileId, outputFileId: null, errorFileId: null };
    const step = COLLECTED[up.status];
    if (step === undefined) return toWireBatch({ ...up, outputFileRef: null, errorFileRef: null }, bare, defaults);
    let summary = await this.state.readSummary(adapter.deployment.id, up.ref);
    if (summary === null && collect) {
      summary = await this.#collect(adapter, up.ref, inputFileId, step.missingCode, signal);
      // Nothing to join results with (a batch not created through this state): shown as the upstream reports it.
      if (summary === null) return toWireBatch({ ...up, outputFileRef: null, errorFileRef: null }, bare, defaults);
    }
    if (summary === null) return toWireBatch(provisional(up, step.meanwhile), bare, defaults);
    return toWireBatch(
      { ...up, requestCounts: { total: summary.total, completed: summary.completed, failed: summary.failed }, usage: summary.usage },
      {
        ...bare,
        outputFileId: summary.hasOutput ? resultFileId(up.ref, 'output') : null,
        errorFileId: summary.hasErrors ? resultFileId(up.ref, 'errors') : null,
      },
      defaults,
    );
  }

  /** The summary of a finished native batch's results, collecting them first when needed. */
  async #ensureCollected(adapter: ProviderAdapter, batchRef: string, signal: AbortSignal): Promise<ResultSummary> {
    const stored = await this.state.readSummary(adapter.deployment.id, batchRef);
    if (stored !== null) return stored;
    const batch = await this.retrieveBatch(adapter, batchRef, signal);
    const summary = await this.state.readSummary(adapter.deployment.id, batchRef);
    if (summary !== null) return summary;
    throw TERMINAL_BATCH_STATUSES.has(batch.status) && COLLECTED[batch.status] !== undefined
      ? sdkError('not_found', `the results of batch '${batchRef}' cannot be matched to custom_ids: its input's line keys are not in this stateDir (or keys)`, { deploymentId: adapter.deployment.id })
      : sdkError('invalid_state', `batch '${batchRef}' is ${batch.status}: it has no result files yet`, { deploymentId: adapter.deployment.id });
  }

  #collect(adapter: ProviderAdapter, ref: string, inputFileId: string, missingCode: string, signal: AbortSignal): Promise<ResultSummary | null> {
    const at = `${adapter.deployment.id}\n${ref}`;
    let running = this.#collecting.get(at);
    if (running === undefined) {
      running = this.#runCollect(adapter, ref, inputFileId, missingCode, signal).finally(() => this.#collecting.delete(at));
      this.#collecting.set(at, running);
    }
    return running;
  }

  async #runCollect(adapter: ProviderAdapter, ref: string, inputFileId: string, missingCode: string, signal: AbortSignal): Promise<ResultSummary | null> {
    const { state } = this;
    if (inputFileId === '' || !(await state.keys.has(inputFileId))) return null;
    const keys = state.resultKeys(adapter.deployment.id, ref);
    const collected = await collectResults(
      { blobs: state.blobs, lineKeys: state.keys, logger: silentLogger },
      { seed: ref, fileId: inputFileId, results: adapter.openResults(ref, { signal }), missingCode, outputKey: keys.output, errorKey: keys.errors },
      signal,
    );
    // Empty files are not offered, as OpenAI offers none.
    if (!collected.hasOutput) await state.blobs.delete(keys.output);
    if (!collected.hasErrors) await state.blobs.delete(keys.errors);
    const summary: ResultSummary = { version: 1, ...collected, collectedAt: nowSeconds() };
    await state.writeSummary(adapter.deployment.id, ref, summary, signal);
    return summary;
  }
}

/** A finished batch as shown while its results are not collected yet. */
const provisional = (up: UpstreamBatch, meanwhile: BatchStatus): UpstreamBatch => ({
  ...up,
  status: meanwhile,
  finalizingAt: meanwhile === 'finalizing' ? (up.finalizingAt ?? up.completedAt ?? up.expiredAt) : up.finalizingAt,
  completedAt: null,
  expiredAt: null,
  cancelledAt: null,
  outputFileRef: null,
  errorFileRef: null,
});

const noSuchFile = (id: string, adapter: ProviderAdapter) =>
  sdkError('not_found', `No such File object: ${id}`, { param: 'file_id', deploymentId: adapter.deployment.id });

/** The recorded keys as lines, for the inspector's second pass over suspected duplicate custom_ids. */
async function* keyLines(keys: LineKeyRepository, fileId: string): AsyncGenerator<Line> {
  for (let after = 0; ; ) {
    const page = await keys.page(fileId, after, KEY_PAGE);
    for (const k of page) yield { lineNo: k.lineNo, text: JSON.stringify({ custom_id: k.customId }), byteStart: 0 };
    const last = page[page.length - 1];
    if (last === undefined || page.length < KEY_PAGE) return;
    after = last.lineNo;
  }
}

export function toFileObject(up: UpstreamFile, fallback: { filename: string | null; purpose: string | null; bytes: number | null }): FileObject {
  return {
    id: up.ref,
    object: 'file',
    bytes: up.bytes ?? fallback.bytes ?? 0,
    created_at: up.createdAt ?? nowSeconds(),
    expires_at: up.expiresAt,
    filename: fallback.filename ?? up.filename ?? '',
    purpose: (up.purpose ?? fallback.purpose ?? 'batch') as FilePurpose,
    status: up.status,
    status_details: null,
  };
}

/** A list envelope of `items` (newest first, as the upstream listed them), from `after`, at most `limit`. */
export function page<T extends { id: string }>(items: readonly T[], params: ListParams): ListEnvelope<T> {
  const limit = Math.max(1, Math.min(params.limit ?? 20, 10_000));
  let start = 0;
  if (params.after !== undefined) {
    const at = items.findIndex((i) => i.id === params.after);
    start = at < 0 ? items.length : at + 1;
  }
  const data = items.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: start + limit < items.length,
  };
}

