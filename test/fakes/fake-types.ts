/** Shared types of the fake upstreams (`test/fakes/fake-upstream.ts`). */
import type { BatchError, BatchStatus } from '../../src/contracts/openai.js';

export type FakeFlavor = 'openai' | 'azure';
export type AzureStyle = 'classic' | 'v1';

export type FakeOperation =
  | 'uploadFile'
  | 'retrieveFile'
  | 'fileContent'
  | 'deleteFile'
  | 'listFiles'
  | 'createBatch'
  | 'retrieveBatch'
  | 'cancelBatch'
  | 'listBatches';

/**
 * Shapes that old Azure preview versions send (`reference/wire.md` §3.3), so the Azure adapter's
 * normalisation can be tested against a server. Ignored by the OpenAI flavour.
 */
export interface AzureQuirks {
  /** `"Validating"`, `"InProgress"`, … instead of `"validating"`, `"in_progress"`. */
  readonly capitalisedStatus?: boolean;
  /** `"2024-07-19T17:13:57.2491382+00:00"` instead of Unix seconds. */
  readonly isoTimestamps?: boolean;
  /** `errors.data[].line` as a string. */
  readonly stringErrorLines?: boolean;
  /** `bytes: null` in File objects. */
  readonly nullBytes?: boolean;
}

export interface FakeUpstreamOptions {
  readonly flavor: FakeFlavor;
  readonly apiKey: string;
  /** Azure only: URL style served (default 'classic'). */
  readonly azureStyle?: AzureStyle;
  /** Azure classic only: accepted `api-version` values. */
  readonly apiVersions?: readonly string[];
  /** Each batch retrieve advances the batch one step (default true). */
  readonly autoProgress?: boolean;
  readonly azureQuirks?: AzureQuirks;
}

/** One request as received: no bodies, header names lower-cased. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface FakeFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly sha256: string;
  /** Distinct `body.model` values of its lines. */
  readonly models: ReadonlySet<string>;
  /** Distinct `url` values of its lines. */
  readonly urls: ReadonlySet<string>;
  /** Non-blank lines. */
  readonly lineCount: number;
  /** 1-based numbers of lines that are not JSON objects. */
  readonly invalidLines: readonly number[];
  /** Where the bytes are on disk. */
  readonly path: string;
}

export interface FakeBatch {
  readonly id: string;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly completionWindow: string;
  readonly metadata: Record<string, string> | null;
  readonly outputExpiresAfterSeconds: number | null;
  model: string | null;
  status: BatchStatus;
  errors: BatchError[] | null;
  outputFileId: string | null;
  errorFileId: string | null;
  createdAt: number;
  inProgressAt: number | null;
  expiresAt: number | null;
  finalizingAt: number | null;
  completedAt: number | null;
  failedAt: number | null;
  expiredAt: number | null;
  cancellingAt: number | null;
  cancelledAt: number | null;
  requestCounts: { total: number; completed: number; failed: number };
  usage: { inputTokens: number; outputTokens: number };
}

export interface FailSpec {
  readonly status: number;
  /** JSON body (objects) or raw text (strings); default: the flavour's error envelope. */
  readonly body?: unknown;
  /** How many of the next calls fail (default 1). */
  readonly times?: number;
  /** Extra response headers, e.g. `retry-after`. */
  readonly headers?: Readonly<Record<string, string>>;
}
