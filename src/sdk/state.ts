/**
 * What the SDK keeps without a database, under one directory (`stateDir`, default
 * `<os.tmpdir()>/batchgate-sdk`), in the gateway's filesystem blob store (atomic writes):
 *
 * - `line-keys/<sha256(upstream file id)>/p<n>.json`: line number → custom_id of an input placed
 *   on a 'native' provider (Vertex, Bedrock, Anthropic, Gemini), 1,000 lines per page, written
 *   a page at a time while the upload streams;
 * - `sdk-batches/<deployment>/<sha256(batch id)>.json`: what a native batch was created with
 *   (its input file, endpoint, window, metadata), since not every upstream reports it back;
 * - `sdk-results/<deployment>/<sha256(batch id)>/{output,errors}.jsonl, summary.json`: a finished
 *   native batch's OpenAI output and error files, written once by `collectResults`;
 * - `staged/…`: inputs of providers with no files API (Anthropic, Gemini), as the gateway keeps them.
 *
 * OpenAI and Azure need none of it.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BatchUsage, ExpiresAfter } from '../contracts/openai.js';
import { BlobNotFoundError, type BlobStore } from '../domain/ports/blob-store.js';
import type { LineKey, LineKeyRepository } from '../domain/ports/line-keys.js';

const PAGE = 1_000;
const CACHED_PAGES = 32;

const hash = (text: string, length = 40): string => createHash('sha256').update(text).digest('hex').slice(0, length);
const safe = (part: string): string => part.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100) || '_';

async function readJson<T>(blobs: BlobStore, key: string): Promise<T | null> {
  try {
    const body = await blobs.open(key, { signal: new AbortController().signal });
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
  } catch (err) {
    if (err instanceof BlobNotFoundError) return null;
    throw err;
  }
}

const writeJson = async (blobs: BlobStore, key: string, value: unknown, signal: AbortSignal = new AbortController().signal): Promise<void> => {
  await blobs.put(key, Readable.from([Buffer.from(JSON.stringify(value))]), { signal, contentType: 'application/json' });
};

/**
 * A `LineKeyRepository` in files: pages of 1,000 line numbers (`[[lineNo, customId], …]`), so a
 * lookup reads only the pages its lines fall in, and a few recent pages are kept in memory.
 */
export class FileLineKeys implements LineKeyRepository {
  readonly #blobs: BlobStore;
  readonly #cache = new Map<string, Map<number, string>>();

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  #dir(fileId: string): string {
    return `line-keys/${hash(fileId)}`;
  }

  #pageKey(fileId: string, index: number): string {
    return `${this.#dir(fileId)}/p${index}.json`;
  }

  async #page(fileId: string, index: number): Promise<Map<number, string>> {
    const key = this.#pageKey(fileId, index);
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const entries = (await readJson<Array<[number, string]>>(this.#blobs, key)) ?? [];
    const page = new Map(entries);
    this.#cache.set(key, page);
    while (this.#cache.size > CACHED_PAGES) this.#cache.delete(this.#cache.keys().next().value as string);
    return page;
  }

  async #indices(fileId: string): Promise<number[]> {
    const out: number[] = [];
    for await (const key of this.#blobs.list(`${this.#dir(fileId)}/`)) {
      const m = /\/p(\d+)\.json$/.exec(key);
      if (m !== null) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  async add(fileId: string, keys: readonly LineKey[]): Promise<void> {
    const byPage = new Map<number, LineKey[]>();
    for (const k of keys) {
      const index = Math.floor(k.lineNo / PAGE);
      const list = byPage.get(index) ?? [];
      list.push(k);
      byPage.set(index, list);
    }
    for (const [index, list] of byPage) {
      const page = new Map(await this.#page(fileId, index));
      let changed = false;
      for (const k of list) {
        if (page.has(k.lineNo)) continue;
        page.set(k.lineNo, k.customId);
        changed = true;
      }
      if (!changed) continue;
      const sorted = [...page.entries()].sort((a, b) => a[0] - b[0]);
      await writeJson(this.#blobs, this.#pageKey(fileId, index), sorted);
      this.#cache.set(this.#pageKey(fileId, index), new Map(sorted));
    }
  }

  async lookup(fileId: string, lineNos: readonly number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const lineNo of lineNos) {
      const customId = (await this.#page(fileId, Math.floor(lineNo / PAGE))).get(lineNo);
      if (customId !== undefined) out.set(lineNo, customId);
    }
    return out;
  }

  async page(fileId: string, afterLineNo: number, limit: number): Promise<LineKey[]> {
    const out: LineKey[] = [];
    for (const index of await this.#indices(fileId)) {
      if ((index + 1) * PAGE <= afterLineNo + 1) continue;
      for (const [lineNo, customId] of await this.#page(fileId, index)) {
        if (lineNo <= afterLineNo) continue;
        out.push({ lineNo, customId });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async has(fileId: string): Promise<boolean> {
    return (await this.#indices(fileId)).length > 0;
  }

  async deleteFor(fileId: string): Promise<void> {
    for (const index of await this.#indices(fileId)) {
      const key = this.#pageKey(fileId, index);
      this.#cache.delete(key);
      await this.#blobs.delete(key);
    }
  }
}

/** What a native batch was created with. */
export interface BatchRecord {
  readonly version: 1;
  readonly inputFileRef: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly outputExpiresAfter: ExpiresAfter | null;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** What `collectResults` found, written last: its presence says the result files are complete. */
export interface ResultSummary {
  readonly version: 1;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly usage: BatchUsage;
  readonly hasOutput: boolean;
  readonly hasErrors: boolean;
  /** Unix seconds. */
  readonly collectedAt: number;
}

export class SdkState {
  constructor(
    readonly blobs: BlobStore,
    readonly keys: LineKeyRepository,
  ) {}

  #batchKey(deploymentId: string, ref: string): string {
    return `sdk-batches/${safe(deploymentId)}/${hash(ref)}.json`;
  }

  resultKeys(deploymentId: string, ref: string): { output: string; errors: string; summary: string } {
    const dir = `sdk-results/${safe(deploymentId)}/${hash(ref)}`;
    return { output: `${dir}/output.jsonl`, errors: `${dir}/errors.jsonl`, summary: `${dir}/summary.json` };
  }

  readBatch(deploymentId: string, ref: string): Promise<BatchRecord | null> {
    return readJson<BatchRecord>(this.blobs, this.#batchKey(deploymentId, ref));
  }

  writeBatch(deploymentId: string, ref: string, record: BatchRecord): Promise<void> {
    return writeJson(this.blobs, this.#batchKey(deploymentId, ref), record);
  }

  readSummary(deploymentId: string, ref: string): Promise<ResultSummary | null> {
    return readJson<ResultSummary>(this.blobs, this.resultKeys(deploymentId, ref).summary);
  }

  writeSummary(deploymentId: string, ref: string, summary: ResultSummary, signal: AbortSignal): Promise<void> {
    return writeJson(this.blobs, this.resultKeys(deploymentId, ref).summary, summary, signal);
  }
}
