/**
 * Builds the wire Batch a client sees from what the upstream reported: gateway ids everywhere,
 * and the fields the upstream left out taken from what the client asked for.
 */
import type { Batch } from '../../contracts/openai.js';
import type { UpstreamBatch } from '../ports/provider-adapter.js';

export interface BatchIds {
  readonly id: string;
  readonly inputFileId: string;
  readonly outputFileId: string | null;
  readonly errorFileId: string | null;
}

/** What the gateway knows of a batch regardless of the upstream's answer. */
export interface BatchDefaults {
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Unix seconds. */
  readonly createdAt: number;
}

export const toWireBatch = (up: UpstreamBatch, ids: BatchIds, defaults: BatchDefaults): Batch => {
  const createdAt = up.createdAt ?? defaults.createdAt;
  const batch: Batch = {
    id: ids.id,
    object: 'batch',
    endpoint: up.endpoint ?? defaults.endpoint,
    errors: up.errors === null || up.errors.length === 0 ? null : { object: 'list', data: [...up.errors] },
    input_file_id: ids.inputFileId,
    completion_window: up.completionWindow ?? defaults.completionWindow,
    status: up.status,
    output_file_id: ids.outputFileId,
    error_file_id: ids.errorFileId,
    created_at: createdAt,
    in_progress_at: up.inProgressAt,
    expires_at: up.expiresAt ?? createdAt + 24 * 3600,
    finalizing_at: up.finalizingAt,
    completed_at: up.completedAt,
    failed_at: up.failedAt,
    expired_at: up.expiredAt,
    cancelling_at: up.cancellingAt,
    cancelled_at: up.cancelledAt,
    request_counts: { ...up.requestCounts },
    metadata: up.metadata === null ? (defaults.metadata === null ? null : { ...defaults.metadata }) : { ...up.metadata },
  };
  if (up.model !== null) batch.model = up.model;
  if (up.usage !== null) batch.usage = up.usage;
  return batch;
};

export const defaultsOf = (batch: Batch): BatchDefaults => ({
  endpoint: batch.endpoint,
  completionWindow: batch.completion_window,
  metadata: batch.metadata,
  createdAt: batch.created_at,
});

/** The placeholder object of a write-ahead create: what the client asked for, nothing upstream yet. */
export const pendingWireBatch = (id: string, inputFileId: string, defaults: BatchDefaults): Batch => ({
  id,
  object: 'batch',
  endpoint: defaults.endpoint,
  errors: null,
  input_file_id: inputFileId,
  completion_window: defaults.completionWindow,
  status: 'validating',
  output_file_id: null,
  error_file_id: null,
  created_at: defaults.createdAt,
  in_progress_at: null,
  expires_at: defaults.createdAt + 24 * 3600,
  finalizing_at: null,
  completed_at: null,
  failed_at: null,
  expired_at: null,
  cancelling_at: null,
  cancelled_at: null,
  request_counts: { total: 0, completed: 0, failed: 0 },
  metadata: defaults.metadata === null ? null : { ...defaults.metadata },
});
