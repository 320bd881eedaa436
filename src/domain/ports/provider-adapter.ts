/**
 * The one interface every upstream sits behind. It is shaped for both kinds of upstream we serve:
 *
 * - "files-and-batches" APIs (OpenAI, Azure): the adapter uploads to the upstream's Files API and
 *   creates a batch job there;
 * - "job-and-bucket" clouds (Vertex + GCS, Bedrock + S3) and job APIs with inline requests
 *   (Anthropic), and servers with no batch API at all (the gateway executes the lines).
 *
 * The domain only ever sees opaque upstream refs (strings it stores and hands back) and OpenAI
 * shapes: adapters own every mapping of ids, line formats, statuses and timestamps. Adapters never
 * see the web framework, and every call takes an AbortSignal.
 */
import type { Readable } from 'node:stream';
import type {
  BatchError,
  BatchInputLine,
  BatchRequestCounts,
  BatchStatus,
  BatchUsage,
  ExpiresAfter,
  FileStatus,
} from '../../contracts/openai.js';
import type { Deployment } from '../deployment.js';

export interface CallOptions {
  readonly signal: AbortSignal;
}

export interface ProviderCapabilities {
  /**
   * Where batch inputs are staged: the upstream's own Files API, an object bucket the adapter
   * writes to (GCS, S3), or nowhere upstream (the gateway keeps the bytes: Anthropic inline
   * requests, gateway-executed batches).
   */
  readonly fileStaging: 'files-api' | 'bucket' | 'gateway';
  /**
   * The upstream's batch line format.
   * - 'openai': lines pass through untouched unless a model rewrite is needed, the upstream keeps
   *   each `custom_id`, and its output and error files are OpenAI-format files (`openFileContent`).
   * - 'native': every line goes through `encodeInputLine` with its line number, which the adapter
   *   writes into the upstream's own correlation field (Vertex `request.labels`, Bedrock
   *   `recordId`, Anthropic `custom_id`); the gateway keeps line number → `custom_id` in the store.
   *   Results come back through `openResults`, and the gateway writes the output and error files
   *   itself (blob storage) before it reports a terminal status.
   */
  readonly lineFormat: 'openai' | 'native';
  /** What one batch may hold on this upstream, checked before a file or batch is placed there. */
  readonly limits: CapabilityLimits;
  /** Whether the upstream runs the batch ('native') or the gateway executes it line by line. */
  readonly batchExecution: 'native' | 'gateway';
  /** Operations the upstream lacks answer a 4xx that says so; these flags let callers ask first. */
  readonly retrieveFile: boolean;
  readonly deleteFile: boolean;
  readonly listFiles: boolean;
  readonly cancelBatch: boolean;
}

/** Bounds of one batch on an upstream (null: no bound the gateway knows of). */
export interface CapabilityLimits {
  /** Fewest requests a batch may have (Bedrock refuses jobs under its minimum, commonly 100). */
  readonly minLines: number | null;
  readonly maxLines: number | null;
  /** Largest input file, in bytes, as the gateway received it. */
  readonly maxBytes: number | null;
}

export const NO_LIMITS: CapabilityLimits = Object.freeze({ minLines: null, maxLines: null, maxBytes: null });

export interface UploadFileInput {
  readonly filename: string;
  readonly purpose: string;
  /** The bytes to store, already in the upstream's line format for batch inputs. */
  readonly body: Readable;
  /** Exact length when known (unchanged passthrough); null when a transform changed it. */
  readonly bytes: number | null;
  readonly expiresAfter: ExpiresAfter | null;
  /**
   * The gateway file id this copy belongs to. The adapter attaches it where the upstream keeps
   * something of ours (the filename, an object key, a label) and reads it back as
   * `UpstreamFile.label`, so a copy whose upload finished but was never recorded (a crash) can be
   * found and deleted.
   */
  readonly label: string;
}

/** A file as the upstream describes it; `ref` is opaque to everyone but the adapter. */
export interface UpstreamFile {
  readonly ref: string;
  readonly bytes: number | null;
  readonly createdAt: number | null;
  readonly expiresAt: number | null;
  readonly filename: string | null;
  readonly purpose: string | null;
  readonly status: FileStatus;
  /** The `label` the gateway uploaded it with, when the upstream kept it. */
  readonly label: string | null;
}

export interface UpstreamContent {
  /** OpenAI-format bytes: batch outputs converted to OpenAI output lines by the adapter. */
  readonly body: Readable;
  readonly contentType: string;
  readonly bytes: number | null;
}

export interface CreateBatchInput {
  readonly inputFileRef: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly outputExpiresAfter: ExpiresAfter | null;
  /**
   * The gateway batch id, attached where the upstream takes a label or metadata and read back as
   * `UpstreamBatch.label`: a create whose answer never reached the store can be found upstream.
   */
  readonly label: string;
  /**
   * For upstreams whose inputs the gateway keeps (`fileStaging: 'gateway'`, e.g. Anthropic, which
   * takes its requests inline at create): the staged input, in the upstream's line format,
   * re-openable so a retried create streams it again. Absent for every other upstream.
   */
  readonly stagedInput?: StagedInput | undefined;
}

/** An input the gateway keeps in blob storage, streamed on demand. */
export interface StagedInput {
  readonly bytes: number;
  open(signal: AbortSignal): Promise<Readable>;
}

/** A batch job as the upstream reports it, already mapped to OpenAI status and seconds. */
export interface UpstreamBatch {
  readonly ref: string;
  readonly status: BatchStatus;
  readonly endpoint: string | null;
  readonly completionWindow: string | null;
  readonly model: string | null;
  readonly errors: readonly BatchError[] | null;
  readonly outputFileRef: string | null;
  readonly errorFileRef: string | null;
  readonly createdAt: number | null;
  readonly inProgressAt: number | null;
  readonly expiresAt: number | null;
  readonly finalizingAt: number | null;
  readonly completedAt: number | null;
  readonly failedAt: number | null;
  readonly expiredAt: number | null;
  readonly cancellingAt: number | null;
  readonly cancelledAt: number | null;
  readonly requestCounts: BatchRequestCounts;
  readonly usage: BatchUsage | null;
  /** The client's metadata, without the gateway's label. */
  readonly metadata: Readonly<Record<string, string>> | null;
  /** The `label` of `CreateBatchInput`, when the upstream kept it. */
  readonly label: string | null;
  /** The upstream ref of the batch's input file, when the upstream says. */
  readonly inputFileRef: string | null;
}

/**
 * One result of a 'native' batch, read back by `openResults` and already converted to OpenAI's
 * shapes. The gateway adds the line's `id` and `custom_id` and decides the file it goes to.
 */
export interface UpstreamResultLine {
  /** The line number `encodeInputLine` was given, decoded from the upstream's correlation field. */
  readonly lineNo: number;
  /**
   * The answer as an OpenAI output line's `response`: `statusCode` 200 with a `chat.completion`
   * (or embedding) body for a success; the upstream's status (or the closest HTTP status) with an
   * OpenAI error body `{error: {message, type, param, code}}` for a failed request. Null when the
   * request never ran.
   */
  readonly response: { readonly statusCode: number; readonly requestId: string | null; readonly body: unknown } | null;
  /** Why a request never ran (`batch_cancelled`, `batch_expired`, …), when `response` is null. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** One request of a gateway-executed batch, sent to the deployment's inference API. */
export interface InferenceRequest {
  /** The line's url, normalised: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`. */
  readonly url: string;
  /** The line's body, `model` already set to this deployment's upstream model. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Headers the gateway adds (which process sent it), on top of the deployment's auth. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The upstream's answer, whatever its status: it becomes the `response` of an output line. */
export interface InferenceResponse {
  readonly statusCode: number;
  /** The upstream's request id header, when it sent one. */
  readonly requestId: string | null;
  readonly body: unknown;
  /** Retry-After of a 429/503, in seconds. */
  readonly retryAfterSeconds: number | null;
}

export interface ProviderAdapter {
  readonly deployment: Deployment;
  readonly capabilities: ProviderCapabilities;
  /**
   * Converts one validated OpenAI input line (its `body.model` already rewritten to this
   * deployment's upstream model) to the upstream's line shape. Identity for OpenAI-style APIs;
   * 'native' adapters write `lineNo` (the line's 1-based number in the gateway file) into the
   * upstream's correlation field, to be decoded by `openResults`. A line the upstream cannot
   * express (an unsupported parameter) is refused with a `GatewayError` naming what.
   */
  encodeInputLine(line: BatchInputLine, lineNo: number): unknown;
  uploadFile(input: UploadFileInput, opts: CallOptions): Promise<UpstreamFile>;
  retrieveFile(ref: string, opts: CallOptions): Promise<UpstreamFile>;
  openFileContent(ref: string, opts: CallOptions): Promise<UpstreamContent>;
  deleteFile(ref: string, opts: CallOptions): Promise<void>;
  /** A cheap authenticated call, used by health checks. */
  probe(opts: CallOptions): Promise<void>;
  createBatch(input: CreateBatchInput, opts: CallOptions): Promise<UpstreamBatch>;
  retrieveBatch(ref: string, opts: CallOptions): Promise<UpstreamBatch>;
  cancelBatch(ref: string, opts: CallOptions): Promise<UpstreamBatch>;
  /**
   * The results of a 'native' batch that reached a terminal state, each request's once (a request
   * the upstream reports twice is yielded twice; the gateway keeps the first). Streams: nothing
   * is held beyond one upstream page or line. 'openai' adapters reject with `unsupported_operation`.
   */
  openResults(ref: string, opts: CallOptions): AsyncIterable<UpstreamResultLine>;
  /**
   * Files and batches the upstream holds that were created at or after `sinceSeconds`, newest
   * first, for reconciling write-ahead records after a crash. Bounded by the adapter (a few pages);
   * an upstream that cannot list yields nothing.
   */
  listFilesSince(sinceSeconds: number, opts: CallOptions): AsyncIterable<UpstreamFile>;
  listBatchesSince(sinceSeconds: number, opts: CallOptions): AsyncIterable<UpstreamBatch>;
  /**
   * Sends one request to the deployment's inference API (gateway-executed batches). Any HTTP
   * answer resolves; a timeout or a broken connection rejects with `UpstreamError`; an adapter
   * whose upstream cannot take single requests rejects with a `GatewayError` that says so.
   */
  sendRequest(request: InferenceRequest, opts: CallOptions): Promise<InferenceResponse>;
}

/** Builds the adapter of one deployment; `providers/registry.ts` is the only implementation. */
export interface ProviderRegistry {
  /** Provider kinds this build knows, for config validation and `/{provider}/v1/…` routes. */
  readonly kinds: readonly string[];
  adapterFor(deployment: Deployment): ProviderAdapter;
}
