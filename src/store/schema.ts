/**
 * Row types of the tables as Kysely sees them. Times and counters are bigint columns read back as
 * JS numbers (SQLite does so natively; the Postgres pool installs an int8 parser), money is
 * double precision, and lists and maps are JSON held in text so one DDL serves both databases.
 */
import type { BatchStatus, FileStatus } from '../contracts/openai.js';
import type { FileKind } from '../domain/ports/store.js';

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
}

/** The tables whose rows carry an owner and are listed page by page. */
export type ListedTable = 'files' | 'batches';
