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
}

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
