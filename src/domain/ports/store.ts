/**
 * The persistence port. Implemented once over Kysely for embedded SQLite and PostgreSQL
 * (`store/`), and checked by one contract suite that runs against both.
 *
 * Every client-visible id is minted by batchgate and resolved here to the deployment that holds
 * the object, its opaque upstream ref and its owner. Times are milliseconds since the epoch.
 */
import type { Batch, FileStatus } from '../../contracts/openai.js';
import type { Owner, OwnerScope } from '../principal.js';

export type FileKind = 'upload' | 'batch_output' | 'batch_error';

export interface FileRecord {
  readonly id: string;
  readonly kind: FileKind;
  readonly purpose: string;
  readonly filename: string;
  readonly bytes: number;
  readonly createdAtMs: number;
  /** Unix seconds, as on the wire. */
  readonly expiresAt: number | null;
  readonly status: FileStatus;
  /** Model groups the file was uploaded for (managed upload); empty for a plain upload. */
  readonly modelGroups: readonly string[];
  /** Number of JSONL lines of a batch input, when it was inspected. */
  readonly lineCount: number | null;
  /** Distinct `body.model` values of a batch input's lines, checked against key access at create. */
  readonly lineModels: readonly string[];
  /**
   * Estimated input tokens of a batch input's lines (UTF-8 bytes of their prompt text ÷ 4),
   * counted during the upload inspection and charged against `tpm_limit` at batch create; null
   * when the file was not inspected.
   */
  readonly inputTokens: number | null;
  /** The batch that produced an output or error file. */
  readonly sourceBatchId: string | null;
  /** The url every line of a batch input names (as `/v1/…`); null when the file was not inspected. */
  readonly endpoint: string | null;
  readonly owner: Owner;
}

/**
 * A write-ahead upload: recorded before any upstream call, invisible to clients, completed once
 * every copy is written. One left behind by a crash is reconciled: its copies are deleted upstream.
 */
export interface PendingFile {
  readonly file: FileRecord;
  /**
   * False for a never-completed upload (all of it goes). True for a completed one with loose ends:
   * `targets` are then the deployments whose upload ended without an answer, where a copy nobody
   * recorded may exist (it goes; the recorded copies stay).
   */
  readonly visible: boolean;
  /** Every deployment the upload was writing to (or, when visible, its loose ends). */
  readonly targets: readonly string[];
  /** The copies whose upstream upload had answered (more may exist upstream, found by label). */
  readonly copies: readonly FileCopyRecord[];
}

/** One upstream copy of a gateway file: the file lives on `deploymentId` under `upstreamRef`. */
export interface FileCopyRecord {
  readonly fileId: string;
  readonly deploymentId: string;
  readonly upstreamRef: string;
  readonly createdAtMs: number;
}

export interface BatchRecord {
  readonly id: string;
  readonly deploymentId: string;
  readonly upstreamRef: string;
  readonly inputFileId: string;
  /** The model group the batch was placed for, when known. */
  readonly modelGroup: string | null;
  readonly status: Batch['status'];
  /** The last wire object served for this batch, with gateway ids throughout. */
  readonly object: Batch;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly owner: Owner;
}

/** Position in a listing: lists are ordered by (createdAtMs, id). */
export interface ListCursor {
  readonly createdAtMs: number;
  readonly id: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly hasMore: boolean;
}

export interface FileListQuery {
  readonly scope: OwnerScope;
  readonly purpose?: string | undefined;
  readonly order: 'asc' | 'desc';
  readonly after?: ListCursor | undefined;
  readonly limit: number;
}

export interface BatchListQuery {
  readonly scope: OwnerScope;
  /** Newest first, as OpenAI lists batches. */
  readonly after?: ListCursor | undefined;
  readonly limit: number;
  /** Only batches placed for one of these model groups. */
  readonly modelGroups?: readonly string[] | undefined;
}

/**
 * A write-ahead batch create: recorded (with a placeholder object and no deployment yet) before
 * any upstream call, invisible to clients, completed with the deployment that accepted it.
 */
export interface PendingBatch {
  readonly batch: BatchRecord;
  /** Every deployment the create may have reached, in the order they were to be tried. */
  readonly targets: readonly string[];
  /** Set when the client sent an Idempotency-Key: it can ask again, so an orphan is adopted. */
  readonly idempotencyKey: string | null;
}

/** A client's Idempotency-Key, scoped to its owner, and the request it came with (both hashed). */
export interface IdempotentCreate {
  readonly key: string;
  readonly fingerprint: string;
}

export interface IdempotentBatch {
  readonly batch: BatchRecord;
  readonly state: 'pending' | 'ready';
  readonly fingerprint: string | null;
}

/** Where a pending batch landed, and what it looks like now. */
export interface BatchPlacement {
  readonly deploymentId: string;
  readonly upstreamRef: string;
  readonly modelGroup: string | null;
  readonly status: Batch['status'];
  readonly object: Batch;
  readonly updatedAtMs: number;
}

export interface BatchUpdate {
  readonly status: Batch['status'];
  readonly object: Batch;
  readonly updatedAtMs: number;
}

export interface FileRepository {
  /** Stores a file and its upstream copies atomically. */
  insert(file: FileRecord, copies: readonly FileCopyRecord[]): Promise<void>;
  get(id: string): Promise<FileRecord | undefined>;
  copies(fileId: string): Promise<FileCopyRecord[]>;
  /**
   * Mints a gateway file for an upstream file unless one already maps to (deploymentId,
   * upstreamRef); returns whichever record won. Safe under concurrent callers.
   */
  mintForUpstream(file: FileRecord, copy: FileCopyRecord): Promise<FileRecord>;
  findByUpstream(deploymentId: string, upstreamRef: string): Promise<FileRecord | undefined>;
  list(query: FileListQuery): Promise<Page<FileRecord>>;
  /** Removes one upstream copy (after it was deleted upstream). */
  deleteCopy(fileId: string, deploymentId: string): Promise<void>;
  /** Removes the file and every copy row (pending or ready). */
  delete(id: string): Promise<void>;
  /** Records a write-ahead upload; `get` and `list` do not see it until `complete`. */
  insertPending(file: FileRecord, targets: readonly string[]): Promise<void>;
  /** Records one copy of a pending upload as soon as its upstream upload answers. */
  addCopy(copy: FileCopyRecord): Promise<void>;
  /**
   * Makes a pending upload visible with its final fields. False when it is no longer pending (a
   * reconciler took it for dead): the caller then owns the clean-up of its copies.
   */
  complete(file: FileRecord, looseEnds: readonly string[]): Promise<boolean>;
  /** Pending uploads, and completed ones with loose ends, recorded before `createdBeforeMs`, oldest first. */
  listPending(createdBeforeMs: number, limit: number): Promise<PendingFile[]>;
  /** Forgets a completed upload's loose ends once the reconciler has checked them. */
  settle(id: string): Promise<void>;
}

export interface BatchRepository {
  insert(batch: BatchRecord): Promise<void>;
  get(id: string): Promise<BatchRecord | undefined>;
  update(id: string, update: BatchUpdate): Promise<void>;
  list(query: BatchListQuery): Promise<Page<BatchRecord>>;
  /** Batches whose input is this file and that are not yet terminal (pending creates included). */
  countActiveForInputFile(fileId: string): Promise<number>;
  /**
   * Records a write-ahead create; `get` and `list` do not see it until `complete`. False (and
   * nothing written) when `idempotency` names a key another create already holds.
   */
  insertPending(batch: BatchRecord, targets: readonly string[], idempotency: IdempotentCreate | null): Promise<boolean>;
  /** A create made with this (hashed, owner-scoped) Idempotency-Key, pending or ready. */
  findByIdempotencyKey(key: string): Promise<IdempotentBatch | undefined>;
  /** Makes a pending create visible where it landed; false when it is no longer pending. */
  complete(id: string, placement: BatchPlacement): Promise<boolean>;
  /** Pending creates last touched before `updatedBeforeMs`, oldest first. */
  listPending(updatedBeforeMs: number, limit: number): Promise<PendingBatch[]>;
  /** The ready batch that maps to this upstream batch, if any. */
  findByUpstream(deploymentId: string, upstreamRef: string): Promise<BatchRecord | undefined>;
  /** Removes a batch record (used for pending creates that never reached an upstream). */
  delete(id: string): Promise<void>;
}

export interface Store {
  readonly files: FileRepository;
  readonly batches: BatchRepository;
  readonly keys: KeyRepository;
  readonly teams: TeamRepository;
  readonly rateLimits: RateLimitRepository;
  /** Fails when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A virtual key, stored by the SHA-256 of the key; the plain key is never stored. */
export interface KeyRecord {
  readonly keyHash: string;
  /** A short, non-secret rendering of the key for listings (`sk-…abcd`). */
  readonly keyName: string;
  readonly keyAlias: string | null;
  readonly userId: string | null;
  readonly teamId: string | null;
  /** Model groups the key may use; empty means every group its team allows. */
  readonly models: readonly string[];
  readonly maxBudget: number | null;
  readonly budgetDuration: string | null;
  readonly budgetResetAtMs: number | null;
  readonly spend: number;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly expiresAtMs: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type KeyUpdate = Partial<
  Pick<
    KeyRecord,
    | 'keyAlias'
    | 'userId'
    | 'teamId'
    | 'models'
    | 'maxBudget'
    | 'budgetDuration'
    | 'budgetResetAtMs'
    | 'spend'
    | 'rpmLimit'
    | 'tpmLimit'
    | 'metadata'
    | 'expiresAtMs'
    | 'updatedAtMs'
  >
>;

export interface KeyRepository {
  insert(key: KeyRecord): Promise<void>;
  get(keyHash: string): Promise<KeyRecord | undefined>;
  update(keyHash: string, update: KeyUpdate): Promise<void>;
  delete(keyHash: string): Promise<boolean>;
  list(query: { teamId?: string | undefined; userId?: string | undefined }): Promise<KeyRecord[]>;
  /** Adds to the key's spend (and its team's, when it has one) in one statement each. */
  addSpend(keyHash: string, amount: number): Promise<void>;
  /** Starts a new budget window; see {@link BudgetReset}. */
  resetSpend(keyHash: string, reset: BudgetReset): Promise<boolean>;
}

/**
 * A compare-and-set budget reset: spend becomes 0 and the next reset time is stored only while the
 * row still holds `expected`, so two replicas resetting at once reset once, and spend booked
 * between the read and the reset is never wiped. Returns whether this call did the reset.
 */
export interface BudgetReset {
  readonly expected: { readonly spend: number; readonly budgetResetAtMs: number };
  readonly nextResetAtMs: number;
  readonly updatedAtMs: number;
}

export interface TeamRecord {
  readonly teamId: string;
  readonly teamAlias: string | null;
  readonly models: readonly string[];
  readonly maxBudget: number | null;
  readonly budgetDuration: string | null;
  readonly budgetResetAtMs: number | null;
  readonly spend: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type TeamUpdate = Partial<
  Pick<
    TeamRecord,
    'teamAlias' | 'models' | 'maxBudget' | 'budgetDuration' | 'budgetResetAtMs' | 'spend' | 'metadata' | 'updatedAtMs'
  >
>;

export interface TeamRepository {
  insert(team: TeamRecord): Promise<void>;
  get(teamId: string): Promise<TeamRecord | undefined>;
  update(teamId: string, update: TeamUpdate): Promise<void>;
  list(): Promise<TeamRecord[]>;
  addSpend(teamId: string, amount: number): Promise<void>;
  /** Starts a new budget window; see {@link BudgetReset}. */
  resetSpend(teamId: string, reset: BudgetReset): Promise<boolean>;
}

/**
 * What one request to start work adds to a fixed rate window (e.g. a key's current minute).
 * Counters live in the store, not in process memory, so every replica charges the same window.
 */
export interface RateCharge {
  /** Whose window: `key:<hash>`. */
  readonly subject: string;
  /** Start of the window (ms); windows are identified by their start. */
  readonly windowStartMs: number;
  readonly requests: number;
  readonly tokens: number;
  /** Limits the counters must stay within after the charge; null = unlimited. */
  readonly maxRequests: number | null;
  readonly maxTokens: number | null;
}

export interface RateWindowCounts {
  /** Whether the charge was added (all-or-nothing). */
  readonly admitted: boolean;
  /** The window's counters after the charge (admitted) or as found (refused). */
  readonly requests: number;
  readonly tokens: number;
}

export interface RateLimitRepository {
  /** Adds the charge only if every counter stays within its limit, atomically across replicas. */
  charge(charge: RateCharge): Promise<RateWindowCounts>;
  /** Forgets the subject's windows that started before `beforeMs`. */
  prune(subject: string, beforeMs: number): Promise<void>;
}
