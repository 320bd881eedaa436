/**
 * Row types of the tables as Kysely sees them. Times and counters are bigint columns read back as
 * JS numbers (SQLite does so natively; the Postgres pool installs an int8 parser), money is
 * double precision, and lists and maps are JSON held in text so one DDL serves both databases.
 */
import type { BatchStatus, FileStatus } from '../contracts/openai.js';
import type { ExecutionStatus, ResultOutcome, StopReason } from '../domain/ports/executions.js';
import type { FileKind, OutboxState } from '../domain/ports/store.js';

/** Who created a row; the columns every scoped listing filters on. */
interface OwnerColumns {
  owner_key_hash: string | null;
  owner_user_id: string | null;
  owner_team_id: string | null;
}

export interface FilesTable extends OwnerColumns {
  id: string;
  kind: FileKind;
  purpose: string;
  filename: string;
  bytes: number;
  created_at_ms: number;
  expires_at: number | null;
  status: FileStatus;
  /** JSON array of strings. */
  model_groups: string;
  line_count: number | null;
  /** JSON array of strings. */
  line_models: string;
  source_batch_id: string | null;
  /** Added by migration 0002; null for files inspected before it. */
  input_tokens: number | null;
  /** Migration 0003: 'pending' while the upload is being written upstream, then 'ready'. */
  state: RecordState;
  /** JSON array of the deployment ids a pending upload writes to; null once ready. */
  pending_targets: string | null;
  /** The url every line of a batch input names (normalised to /v1/…); null when not inspected. */
  endpoint: string | null;
}

export type RecordState = 'pending' | 'ready';

export interface FileCopiesTable {
  file_id: string;
  deployment_id: string;
  upstream_ref: string;
  created_at_ms: number;
}

export interface BatchesTable extends OwnerColumns {
  id: string;
  deployment_id: string;
  upstream_ref: string;
  input_file_id: string;
  model_group: string | null;
  status: BatchStatus;
  /** JSON of the wire Batch object. */
  object: string;
  created_at_ms: number;
  updated_at_ms: number;
  /** Migration 0003: 'pending' from before the upstream create until it is recorded. */
  state: RecordState;
  /** JSON array of the deployment ids a pending create may have reached. */
  pending_targets: string | null;
  /** sha256 of the owner and the client's Idempotency-Key, when it sent one. */
  idempotency_key: string | null;
  request_fingerprint: string | null;
  /** Migration 0004: when the object was last read from upstream. */
  refreshed_at_ms: number | null;
  /** Bumped by every write: compare-and-set keeps a slow writer from regressing the row. */
  version: number;
  /** When the worker should poll next; null once nothing is left to do. */
  next_poll_at_ms: number | null;
  poll_attempts: number;
  lease_owner: string | null;
  lease_expires_at_ms: number | null;
  /** Fencing token: bumped by every lease. */
  lease_token: number;
  /** Set, once, in the transaction that writes the batch's spend row. */
  cost_booked_at_ms: number | null;
}

/** One booked batch (migration 0004). */
export interface SpendLogsTable {
  id: string;
  batch_id: string;
  key_hash: string | null;
  user_id: string | null;
  team_id: string | null;
  model_group: string | null;
  deployment_id: string;
  status: string;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  requests_completed: number;
  requests_failed: number;
  cost_usd: number;
  price_source: string;
  created_at_ms: number;
}

export interface KeysTable {
  key_hash: string;
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  /** JSON array of strings. */
  models: string;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at_ms: number | null;
  spend: number;
  rpm_limit: number | null;
  tpm_limit: number | null;
  /** JSON object. */
  metadata: string;
  expires_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  /** Migration 0005: the key's own webhook endpoint and its signing secret. */
  webhook_url: string | null;
  webhook_secret: string | null;
}

export interface TeamsTable {
  team_id: string;
  team_alias: string | null;
  /** JSON array of strings. */
  models: string;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at_ms: number | null;
  spend: number;
  /** JSON object. */
  metadata: string;
  created_at_ms: number;
  updated_at_ms: number;
}

/** One fixed rate-limit window of one subject (a key), by its start time. */
export interface RateWindowsTable {
  subject: string;
  window_start_ms: number;
  requests: number;
  tokens: number;
}

export interface Database {
  files: FilesTable;
  file_copies: FileCopiesTable;
  batches: BatchesTable;
  keys: KeysTable;
  teams: TeamsTable;
  rate_windows: RateWindowsTable;
  spend_logs: SpendLogsTable;
  webhook_outbox: WebhookOutboxTable;
  executions: ExecutionsTable;
  execution_chunks: ExecutionChunksTable;
  execution_results: ExecutionResultsTable;
  line_keys: LineKeysTable;
}

/** Line number → custom_id of an input placed on a 'native' upstream (migration 0007). */
export interface LineKeysTable {
  file_id: string;
  line_no: number;
  custom_id: string;
}

/** One webhook to deliver (migration 0005); it names its endpoint, never the endpoint's secret. */
export interface WebhookOutboxTable {
  webhook_id: string;
  event_type: string;
  batch_id: string;
  /** The exact JSON body. */
  payload: string;
  target_kind: 'config' | 'key';
  /** The configured endpoint's URL, or the key hash. */
  target_ref: string;
  url: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at_ms: number;
  last_error: string | null;
  lease_owner: string | null;
  leased_until_ms: number | null;
  /** Fencing token: bumped by every claim. */
  lease_token: number;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
}

/** One gateway-executed batch (migration 0006), with the phase worker's lease. */
export interface ExecutionsTable {
  batch_id: string;
  deployment_id: string;
  model_group: string | null;
  input_ref: string;
  endpoint: string;
  completion_window: string;
  /** JSON object of strings, or null. */
  metadata: string | null;
  status: ExecutionStatus;
  stop_reason: StopReason | null;
  /** JSON array of batch errors, or null. */
  errors: string | null;
  total: number;
  completed: number;
  failed: number;
  output_ref: string | null;
  error_ref: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  in_progress_at_ms: number | null;
  cancelling_at_ms: number | null;
  finalizing_at_ms: number | null;
  ended_at_ms: number | null;
  /** When the phase worker should look next; null once terminal. */
  next_step_at_ms: number | null;
  updated_at_ms: number;
  /** Bumped by every write of the record: compare-and-set keeps unfenced writers from losing one. */
  version: number;
  lease_owner: string | null;
  lease_expires_at_ms: number | null;
  /** Fencing token: bumped by every claim. */
  lease_token: number;
}

/** A run of consecutive input lines of an execution, leased to one dispatcher at a time. */
export interface ExecutionChunksTable {
  batch_id: string;
  chunk_no: number;
  first_line: number;
  line_count: number;
  byte_start: number;
  state: 'todo' | 'done';
  lease_owner: string | null;
  lease_expires_at_ms: number | null;
  /** Fencing token: bumped by every claim. */
  lease_token: number;
}

/** One line that ran, written once: its exact output or error line. */
export interface ExecutionResultsTable {
  batch_id: string;
  line_no: number;
  custom_id: string;
  outcome: ResultOutcome;
  /** The whole JSONL line, without its newline. */
  line: string;
  cost_usd: number;
  created_at_ms: number;
}

/** The tables whose rows carry an owner and are listed page by page. */
export type ListedTable = 'files' | 'batches';
