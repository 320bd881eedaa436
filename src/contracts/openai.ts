/**
 * OpenAI Files and Batches wire types, exactly as `reference/wire.md` §1–2 and the official
 * OpenAPI spec spell them. Timestamps are Unix seconds; optional fields the spec types as
 * nullable are sent as `null`, never omitted. This module imports nothing else.
 */

export const FILE_UPLOAD_PURPOSES = [
  'assistants',
  'batch',
  'fine-tune',
  'vision',
  'user_data',
  'evals',
] as const;
export type FileUploadPurpose = (typeof FILE_UPLOAD_PURPOSES)[number];

/** Purposes a File object may carry in a response (uploads plus what batches produce). */
export type FilePurpose = FileUploadPurpose | 'batch_output' | 'assistants_output' | 'fine-tune-results';

export type FileStatus = 'uploaded' | 'processed' | 'error';

export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number | null;
  filename: string;
  purpose: FilePurpose;
  status: FileStatus;
  status_details: string | null;
}

export interface FileDeleted {
  id: string;
  object: 'file';
  deleted: boolean;
}

export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export const BATCH_STATUSES = [
  'validating',
  'failed',
  'in_progress',
  'finalizing',
  'completed',
  'expired',
  'cancelling',
  'cancelled',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const TERMINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set([
  'completed',
  'failed',
  'expired',
  'cancelled',
]);

export const BATCH_ENDPOINTS = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/videos',
] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchRequestCounts {
  total: number;
  completed: number;
  failed: number;
}

export interface BatchUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface Batch {
  id: string;
  object: 'batch';
  endpoint: string;
  model?: string;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: BatchRequestCounts;
  usage?: BatchUsage;
  metadata: Record<string, string> | null;
}

export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

/** One line of a batch input file (`BatchRequestInput`). */
export interface BatchInputLine {
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown>;
}

/** `expires_after` of an upload, and `output_expires_after` of a batch. */
export interface ExpiresAfter {
  anchor: 'created_at';
  seconds: number;
}
