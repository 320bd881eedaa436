/**
 * The persistence port. Implemented once over Kysely for embedded SQLite and PostgreSQL
 * (`store/`), and checked by one contract suite that runs against both.
 *
 * Every client-visible id is minted by batchgate and resolved here to the deployment that holds
 * the object, its opaque upstream ref and its owner. Times are milliseconds since the epoch.
 */
import type { Batch, FileStatus } from '../../contracts/openai.js';
import type { Owner, OwnerScope } from '../principal.js';
import type { LineKeyRepository } from './line-keys.js';
import type { ExecutionRepository } from './executions.js';

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
  /** When the object was last read from its upstream (the freshness bound of a retrieve). */
  readonly refreshedAtMs: number;
  readonly owner: Owner;
}

/**
 * What a listing page carries: the fields of the wire object and of the cursor, not the whole
 * record. A page reads each of its rows' columns as a property, and 24 columns of 21 rows were
 * three quarters of a `GET /v1/batches?limit=20` (bench/RESULTS.md, "Listings").
 */
export type ListedFile = Pick<FileRecord, 'id' | 'purpose' | 'filename' | 'bytes' | 'createdAtMs' | 'expiresAt' | 'status'>;
/** A listed batch carries its stored wire object as the JSON text it is kept in, served verbatim. */
export type ListedBatch = Pick<BatchRecord, 'id' | 'createdAtMs'> & { readonly objectJson: string };

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
  /** Only batches created by keys of this team. */
  readonly teamId?: string | undefined;
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
  /** The worker's first poll. */
  readonly nextPollAtMs: number | null;
}

export interface BatchUpdate {
  readonly status: Batch['status'];
  readonly object: Batch;
  readonly updatedAtMs: number;
  /** Set when this update comes from reading the upstream. */
  readonly refreshedAtMs?: number;
}

/** Proof of a worker's lease on a batch: a write carrying an outdated token is refused. */
export interface LeaseFence {
  readonly owner: string;
  readonly token: number;
}

export interface PollLease {
  readonly batch: BatchRecord;
  readonly fence: LeaseFence;
  /** Polls made so far (the worker backs off with it). */
  readonly attempts: number;
}

/**
 * The worker's schedule, kept in the store: each ready batch has a next poll time; workers lease
 * due batches (PostgreSQL: `FOR UPDATE SKIP LOCKED`; everywhere: a compare-and-set on the lease
 * token), so several processes share the work and never poll one batch at the same time.
 */
export interface PollRepository {
  /** Leases up to `limit` batches whose poll is due and whose lease, if any, has expired. */
  claimDue(input: { readonly nowMs: number; readonly limit: number; readonly owner: string; readonly leaseMs: number }): Promise<PollLease[]>;
  /**
   * Ends a lease with the next poll time (null: nothing left to do); false when the lease was lost.
   * `refreshedAtMs`, when given, records the upstream check of a poll that found the batch
   * unchanged and so did not rewrite it.
   */
  release(id: string, fence: LeaseFence, next: { readonly nextPollAtMs: number | null; readonly attempts: number; readonly refreshedAtMs?: number }): Promise<boolean>;
  /** The due time of the most overdue poll, for the worker-lag metric; null when none is due. */
  oldestDueMs(nowMs: number): Promise<number | null>;
  /** Brings a ready, non-terminal batch's next poll forward to `atMs` (never later than it was). */
  pollSoon(id: string, atMs: number): Promise<void>;
}

/** One batch's booked cost, attributed to the key, user and team that created it. */
export interface SpendRecord {
  /** Deterministic (`spend_<batch id>`), so a second booking of one batch can only collide. */
  readonly id: string;
  readonly batchId: string;
  readonly owner: Owner;
  readonly modelGroup: string | null;
  readonly deploymentId: string;
  readonly status: Batch['status'];
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  readonly requestsCompleted: number;
  readonly requestsFailed: number;
  readonly costUsd: number;
  /** Where the prices came from ('override', 'table', 'unknown', …). */
  readonly priceSource: string;
  readonly createdAtMs: number;
}

export interface SpendQuery {
  readonly keyHash?: string | undefined;
  readonly teamId?: string | undefined;
  readonly userId?: string | undefined;
  readonly batchId?: string | undefined;
  readonly startMs?: number | undefined;
  readonly endMs?: number | undefined;
  readonly limit: number;
}

export interface SpendReportRow {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  /** The team id or key hash the row is for (null: no team / no key). */
  readonly group: string | null;
  readonly spend: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly batches: number;
}

export interface SpendRepository {
  /**
   * Books a batch once: in one transaction, a compare-and-set of the batch's cost-booked mark,
   * the spend row, and the key's and team's spend (which their budgets read). False, and nothing
   * written, when the batch was booked before.
   */
  book(spend: SpendRecord): Promise<boolean>;
  /** Newest first. */
  list(query: SpendQuery): Promise<SpendRecord[]>;
  report(query: { readonly startMs: number; readonly endMs: number; readonly groupBy: 'team' | 'key'; readonly keyHash?: string | undefined }): Promise<SpendReportRow[]>;
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
  list(query: FileListQuery): Promise<Page<ListedFile>>;
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
  list(query: BatchListQuery): Promise<Page<ListedBatch>>;
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
  /**
   * Compare-and-set update: `change` sees the row as stored and says what to write (null: nothing),
   * retried when another writer got in between, so a slow writer never overwrites a newer state
   * with an older one. With `fence`, only while that lease holds. Returns the row as it is after.
   */
  updateWith(id: string, change: (current: BatchRecord) => BatchUpdate | null, fence?: LeaseFence): Promise<BatchRecord | undefined>;
  /** How many ready batches each deployment has in each status (the batches gauge). */
  countByStatus(): Promise<Array<{ deploymentId: string; group: string; status: Batch['status']; count: number }>>;
}

export interface Store {
  readonly files: FileRepository;
  readonly batches: BatchRepository;
  readonly keys: KeyRepository;
  readonly teams: TeamRepository;
  readonly rateLimits: RateLimitRepository;
  readonly polls: PollRepository;
  readonly spend: SpendRepository;
  readonly outbox: OutboxRepository;
  /** Gateway-executed batches: executions, their leased chunks and per-line results. */
  readonly executions: ExecutionRepository;
  /** Line number → custom_id of inputs placed on upstreams that correlate by a key of their own. */
  readonly lineKeys: LineKeyRepository;
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
  /** Where this key's own batch events are POSTed (migration 0005); absent or null: nowhere. */
  readonly webhookUrl?: string | null;
  /** Signs them (`whsec_…`); kept to sign, returned once, never logged. */
  readonly webhookSecret?: string | null;
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
    | 'webhookUrl'
    | 'webhookSecret'
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

/** Where a webhook goes: a configured endpoint (by its URL) or a virtual key's own (by key hash). */
export type WebhookTarget =
  | { readonly kind: 'config'; readonly url: string }
  | { readonly kind: 'key'; readonly keyHash: string };

export type OutboxState = 'pending' | 'delivered' | 'given_up';

/** A webhook to deliver, as enqueued. */
export interface NewOutboxEntry {
  /** Deterministic (`evt_…`): enqueueing an id that is already there does nothing. */
  readonly webhookId: string;
  /** `batch.completed`, `batch.failed`, … */
  readonly eventType: string;
  readonly batchId: string;
  /** The exact JSON body, sent (and signed) byte for byte on every attempt. */
  readonly payload: string;
  /** Which endpoint; its secret is looked up when a delivery is signed and never stored here. */
  readonly target: WebhookTarget;
  /** The receiver's URL when enqueued. */
  readonly url: string;
  /** Also when the first attempt is due. */
  readonly createdAtMs: number;
}

export interface OutboxEntry extends NewOutboxEntry {
  readonly state: OutboxState;
  /** Attempts started so far: each claim counts one. */
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  readonly lastError: string | null;
  readonly updatedAtMs: number;
  /** When it was delivered or given up. */
  readonly finishedAtMs: number | null;
}

/** Proof of a claim on an outbox row: a write carrying an outdated fence is refused. */
export interface OutboxFence {
  readonly owner: string;
  readonly token: number;
}

export interface OutboxClaim {
  readonly entry: OutboxEntry;
  readonly fence: OutboxFence;
}

/**
 * The webhook outbox: at-least-once delivery from the store, shared by every delivery loop.
 * Claims lease rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one conditional UPDATE), so
 * two loops never hold one row at once; writes that end a claim are fenced by it.
 */
export interface OutboxRepository {
  /** Inserts the entries whose id is new and leaves the others untouched; returns how many were added. */
  enqueue(entries: readonly NewOutboxEntry[]): Promise<number>;
  /**
   * Leases up to `limit` pending rows that are due and not held by a live claim, oldest due first,
   * counting one attempt on each.
   */
  claimDue(input: { readonly nowMs: number; readonly limit: number; readonly owner: string; readonly leaseMs: number }): Promise<OutboxClaim[]>;
  /** Ends a claim: delivered. False when the claim was lost (the row is another's now, or done). */
  markDelivered(webhookId: string, fence: OutboxFence, atMs: number): Promise<boolean>;
  /**
   * Ends a claim with a failed attempt, due again at `nextAttemptAtMs`. `refundAttempt` uncounts
   * it (an attempt cut short by shutdown is not the receiver's failure).
   */
  retryLater(
    webhookId: string,
    fence: OutboxFence,
    failure: { readonly lastError: string; readonly nextAttemptAtMs: number; readonly atMs: number; readonly refundAttempt?: boolean },
  ): Promise<boolean>;
  /** Ends a claim: no more attempts. */
  giveUp(webhookId: string, fence: OutboxFence, failure: { readonly lastError: string; readonly atMs: number }): Promise<boolean>;
  get(webhookId: string): Promise<OutboxEntry | undefined>;
  /** Every row of one batch, oldest first. */
  listForBatch(batchId: string): Promise<OutboxEntry[]>;
  /** Rows not yet delivered or given up (the outbox depth). */
  countPending(): Promise<number>;
}
