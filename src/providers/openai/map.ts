/**
 * OpenAI File and Batch objects (`reference/wire.md` §1.4, §2.3) → the port's `UpstreamFile` and
 * `UpstreamBatch`. Upstream ids go into `ref`s; the domain mints what clients see. Required fields
 * (`id`, `status`) are checked and a missing or unknown one is an `UpstreamError`; optional fields
 * are read leniently (absent, null or mistyped → null), as OpenAI sends null for unset ones.
 */
import type { BatchError, BatchRequestCounts, BatchUsage } from '../../contracts/openai.js';
import type { UpstreamBatch, UpstreamFile } from '../../domain/ports/provider-adapter.js';
import type { UpstreamError } from '../../errors/upstream-error.js';
import { integerAt, isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import { splitFilename, splitMetadata } from './labels.js';
import { lookupStatus, OPENAI_BATCH_STATUSES, OPENAI_FILE_STATUSES } from './status-map.js';

/** Builds the error for a 2xx body that breaks the contract (see `HttpClient.malformed`). */
export type Malformed = (what: string) => UpstreamError;

const requireObject = (raw: unknown, kind: string, malformed: Malformed): JsonRecord => {
  if (!isRecord(raw)) throw malformed(`expected a ${kind} object, got ${raw === null ? 'null' : typeof raw}`);
  return raw;
};

const requireId = (record: JsonRecord, kind: string, malformed: Malformed): string => {
  const id = stringAt(record, 'id');
  if (id === null || id === '') throw malformed(`${kind} object without an id`);
  return id;
};

export const toUpstreamFile = (raw: unknown, malformed: Malformed): UpstreamFile => {
  const file = requireObject(raw, 'File', malformed);
  const ref = requireId(file, 'File', malformed);
  const rawStatus = stringAt(file, 'status');
  // `status` is deprecated; an upstream that dropped it has a usable file.
  const status = rawStatus === null ? 'processed' : lookupStatus(OPENAI_FILE_STATUSES, rawStatus);
  if (status === undefined) throw malformed(`file ${ref} has status '${String(rawStatus)}', which batchgate does not know`);
  const { label, filename } = splitFilename(stringAt(file, 'filename'));
  return {
    ref,
    bytes: integerAt(file, 'bytes'),
    createdAt: integerAt(file, 'created_at'),
    expiresAt: integerAt(file, 'expires_at'),
    filename,
    purpose: stringAt(file, 'purpose'),
    status,
    label,
  };
};

const toBatchErrors = (batch: JsonRecord): BatchError[] | null => {
  const data = recordAt(batch, 'errors')?.['data'];
  if (!Array.isArray(data)) return null;
  return data.filter(isRecord).map((entry) => ({
    code: stringAt(entry, 'code') ?? 'unknown',
    message: stringAt(entry, 'message') ?? '',
    param: stringAt(entry, 'param'),
    line: integerAt(entry, 'line'),
  }));
};

const toRequestCounts = (batch: JsonRecord): BatchRequestCounts => {
  const counts = recordAt(batch, 'request_counts') ?? {};
  return {
    total: integerAt(counts, 'total') ?? 0,
    completed: integerAt(counts, 'completed') ?? 0,
    failed: integerAt(counts, 'failed') ?? 0,
  };
};

const toUsage = (batch: JsonRecord): BatchUsage | null => {
  const usage = recordAt(batch, 'usage');
  if (usage === null) return null;
  const input = integerAt(usage, 'input_tokens') ?? 0;
  const output = integerAt(usage, 'output_tokens') ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: integerAt(recordAt(usage, 'input_tokens_details') ?? {}, 'cached_tokens') ?? 0 },
    output_tokens: output,
    output_tokens_details: {
      reasoning_tokens: integerAt(recordAt(usage, 'output_tokens_details') ?? {}, 'reasoning_tokens') ?? 0,
    },
    total_tokens: integerAt(usage, 'total_tokens') ?? input + output,
  };
};

/** Metadata is a map of strings; anything else in it is dropped rather than guessed at. */
const toMetadata = (batch: JsonRecord): Record<string, string> | null => {
  const metadata = recordAt(batch, 'metadata');
  if (metadata === null) return null;
  return Object.fromEntries(Object.entries(metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
};

export const toUpstreamBatch = (raw: unknown, malformed: Malformed): UpstreamBatch => {
  const batch = requireObject(raw, 'Batch', malformed);
  const ref = requireId(batch, 'Batch', malformed);
  const rawStatus = stringAt(batch, 'status');
  const status = rawStatus === null ? undefined : lookupStatus(OPENAI_BATCH_STATUSES, rawStatus);
  if (status === undefined) {
    throw malformed(`batch ${ref} has status ${rawStatus === null ? '(none)' : `'${rawStatus}'`}, which batchgate does not know`);
  }
  const { label, metadata } = splitMetadata(toMetadata(batch));
  return {
    ref,
    status,
    endpoint: stringAt(batch, 'endpoint'),
    completionWindow: stringAt(batch, 'completion_window'),
    model: stringAt(batch, 'model'),
    errors: toBatchErrors(batch),
    outputFileRef: stringAt(batch, 'output_file_id'),
    errorFileRef: stringAt(batch, 'error_file_id'),
    createdAt: integerAt(batch, 'created_at'),
    inProgressAt: integerAt(batch, 'in_progress_at'),
    expiresAt: integerAt(batch, 'expires_at'),
    finalizingAt: integerAt(batch, 'finalizing_at'),
    completedAt: integerAt(batch, 'completed_at'),
    failedAt: integerAt(batch, 'failed_at'),
    expiredAt: integerAt(batch, 'expired_at'),
    cancellingAt: integerAt(batch, 'cancelling_at'),
    cancelledAt: integerAt(batch, 'cancelled_at'),
    requestCounts: toRequestCounts(batch),
    usage: toUsage(batch),
    metadata,
    label,
    inputFileRef: stringAt(batch, 'input_file_id'),
  };
};
