/**
 * The CLI's HTTP client for a running gateway, on undici's fetch (a dependency already) rather
 * than the `openai` package, so the installed CLI needs nothing the gateway does not, and so
 * uploads and downloads stream without the SDK buffering a file. Every failure becomes a
 * `CliError`: the gateway's own error envelope (exit 5), or an unreachable gateway (exit 6).
 */
import { randomBytes } from 'node:crypto';
import { fetch, type Response } from 'undici';
import type { Batch, FileObject, ListEnvelope } from '../contracts/openai.js';
import type { Connection } from './connection.js';
import { CliError, EXIT } from './exit-codes.js';

/** A JSON call that takes longer than this is treated as an unreachable gateway. */
const JSON_TIMEOUT_MS = 120_000;

type Query = Readonly<Record<string, string | number | undefined>>;

export interface CreateBatchBody {
  readonly input_file_id: string;
  readonly endpoint: string;
  readonly completion_window: string;
  readonly model?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface UploadInput {
  /** Shown to the gateway as the file's name. */
  readonly filename: string;
  /** The file's bytes, read as they are sent (a file stream, or lines made on the fly). */
  readonly content: AsyncIterable<Uint8Array | string>;
  /** LiteLLM's `target_model_names`: the upload becomes a managed file of this model group. */
  readonly modelGroup: string;
}

/** What the gateway said when it refused, from its OpenAI error envelope (or LiteLLM's `detail`). */
async function errorOf(response: Response, what: string): Promise<CliError> {
  const text = await response.text().catch(() => '');
  let message = text.trim() === '' ? response.statusText : text.trim();
  let code: string | null = null;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; type?: unknown }; detail?: unknown };
    if (typeof body.error?.message === 'string') message = body.error.message;
    else if (typeof body.detail === 'string') message = body.detail;
    const c = body.error?.code ?? body.error?.type;
    if (typeof c === 'string' && c !== '') code = c;
  } catch {
    // Not JSON (a proxy's HTML page): its text is the best there is.
  }
  const codePart = code === null ? '' : ` (${code})`;
  return new CliError(`${what}: the gateway answered ${response.status}${codePart}: ${message}`, EXIT.gatewayError);
}

/** A fetch that never got an answer: refused, unknown host, reset, or timed out. */
function unreachable(root: string, err: unknown): CliError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const detail =
    cause instanceof Error
      ? cause.name === 'TimeoutError'
        ? 'no answer in time'
        : ((cause as NodeJS.ErrnoException).code ?? cause.message)
      : String(cause);
  return new CliError(`could not reach the gateway at ${root}: ${detail} (set --base-url or BATCHGATE_BASE_URL)`, EXIT.unreachable);
}

const isAbort = (err: unknown, signal: AbortSignal | undefined): boolean => signal?.aborted === true && err instanceof Error && err.name === 'AbortError';

export class GatewayClient {
  constructor(private readonly connection: Connection) {}

  get root(): string {
    return this.connection.root;
  }

  private url(path: string, query: Query = {}): string {
    const url = new URL(`${this.connection.root}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.connection.apiKey === null ? {} : { authorization: `Bearer ${this.connection.apiKey}` }), ...extra };
  }

  /** One request; network failures become exit 6, error statuses exit 5 (`what` names the call). */
  private async send(what: string, url: string, init: Parameters<typeof fetch>[1] & { signal?: AbortSignal }): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      if (isAbort(err, init.signal)) throw err;
      throw unreachable(this.connection.root, err);
    }
    if (!response.ok) throw await errorOf(response, what);
    return response;
  }

  async json<T>(what: string, method: 'GET' | 'POST' | 'DELETE', path: string, options: { body?: unknown; query?: Query; signal?: AbortSignal } = {}): Promise<T> {
    const timeout = AbortSignal.timeout(JSON_TIMEOUT_MS);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    const response = await this.send(what, this.url(path, options.query), {
      method,
      headers: this.headers(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal,
    });
    try {
      return (await response.json()) as T;
    } catch (err) {
      if (isAbort(err, options.signal)) throw err;
      throw new CliError(`${what}: the gateway's answer is not JSON`, EXIT.gatewayError);
    }
  }

  /**
   * Uploads a batch input as multipart/form-data, written part by part as the content is read:
   * the file is never held in memory, whatever its size.
   */
  async uploadBatchFile(input: UploadInput): Promise<FileObject> {
    const boundary = `batchgate-${randomBytes(12).toString('hex')}`;
    const field = (name: string, value: string): string =>
      `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const filename = input.filename.replace(/["\r\n]/g, '_');
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(field('purpose', 'batch') + field('target_model_names', input.modelGroup));
      yield Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/jsonl\r\n\r\n`);
      for await (const chunk of input.content) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const response = await this.send('upload', this.url('/v1/files'), {
      method: 'POST',
      headers: this.headers({ 'content-type': `multipart/form-data; boundary=${boundary}` }),
      body: body(),
      duplex: 'half',
    });
    return (await response.json()) as FileObject;
  }

  createBatch(body: CreateBatchBody): Promise<Batch> {
    return this.json('create batch', 'POST', '/v1/batches', { body });
  }

  retrieveBatch(id: string, signal?: AbortSignal): Promise<Batch> {
    return this.json(`get batch ${id}`, 'GET', `/v1/batches/${encodeURIComponent(id)}`, signal === undefined ? {} : { signal });
  }

  cancelBatch(id: string): Promise<Batch> {
    return this.json(`cancel batch ${id}`, 'POST', `/v1/batches/${encodeURIComponent(id)}/cancel`);
  }

  listBatches(query: { limit?: number | undefined; after?: string | undefined }): Promise<ListEnvelope<Batch>> {
    return this.json('list batches', 'GET', '/v1/batches', { query });
  }

  /**
   * A file's content, chunk by chunk as it arrives (never the whole file at once). A connection
   * lost halfway is the gateway becoming unreachable (exit 6), not a local failure.
   */
  async fileContent(fileId: string): Promise<AsyncIterable<Buffer>> {
    const response = await this.send(`download file ${fileId}`, this.url(`/v1/files/${encodeURIComponent(fileId)}/content`), {
      method: 'GET',
      headers: this.headers(),
    });
    const body = response.body;
    const root = this.connection.root;
    return (async function* chunks(): AsyncGenerator<Buffer> {
      if (body === null) return;
      try {
        for await (const chunk of body) yield Buffer.from(chunk);
      } catch (err) {
        throw unreachable(root, err);
      }
    })();
  }
}
