/**
 * The store's part of gateway-executed batches (issue 9): one execution per batch the gateway runs
 * itself, the leased chunks its lines are split into, and one result row per line that ran.
 *
 * Crash safety rests on three rules every implementation keeps:
 * - **Results are write-once**: `recordResult(s)` inserts or does nothing, keyed by (batch, line), so
 *   a line re-sent after a crash cannot appear twice in the output.
 * - **Leases are fenced**: every claim bumps a token; a write carrying an older token is refused,
 *   so a process that lost its lease (paused, partitioned) cannot finish another's chunk or phase.
 * - **Claims never overlap**: on PostgreSQL candidates are locked `FOR UPDATE SKIP LOCKED`, on
 *   SQLite the compare-and-set on the token suffices (one writer).
 */
import type { BatchError } from '../../contracts/openai.js';

/** Where an execution is. `in_progress` with a `stopReason` is draining: no new dispatch. */
export type ExecutionStatus =
  | 'validating'
  | 'in_progress'
  | 'cancelling'
  | 'finalizing'
  | 'completed'
  | 'failed'
  | 'expired'
  | 'cancelled';

export const TERMINAL_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Why dispatch stopped before every line ran; names the error code of the lines that never ran. */
export type StopReason = 'batch_cancelled' | 'batch_expired' | 'budget_exceeded';

export interface ExecutionRecord {
  /** The gateway batch id (the `label` of the create). */
  readonly batchId: string;
  /** The deployment the batch was placed on; it holds `inputRef`. */
  readonly deploymentId: string;
  /** The batch's model group; lines may be spread over every gateway-executed deployment of it. */
  readonly modelGroup: string | null;
  /** Blob key of the input copy. */
  readonly inputRef: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly status: ExecutionStatus;
  readonly stopReason: StopReason | null;
  /** Batch-level errors (a line that failed validation names its line). */
  readonly errors: readonly BatchError[] | null;
  /** Lines in the input; 0 until validation counted them. */
  readonly total: number;
  /** Set when the execution ended (while running, counts come from the result rows). */
  readonly completed: number;
  readonly failed: number;
  readonly outputRef: string | null;
  readonly errorRef: string | null;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly inProgressAtMs: number | null;
  readonly cancellingAtMs: number | null;
  readonly finalizingAtMs: number | null;
  /** When it reached its terminal status. */
  readonly endedAtMs: number | null;
  /** When the phase worker should look at it next; null once terminal. */
  readonly nextStepAtMs: number | null;
  readonly updatedAtMs: number;
}

/** A lease's proof of ownership; writes under an older token are refused. */
export interface ExecutionFence {
  readonly owner: string;
  readonly token: number;
}

export interface ExecutionLease {
  readonly execution: ExecutionRecord;
  readonly fence: ExecutionFence;
}

/** A run of consecutive input lines executed under one lease. */
export interface ChunkRecord {
  readonly batchId: string;
  /** 0-based, in input order. */
  readonly chunkNo: number;
  /** 0-based index of its first line in the input. */
  readonly firstLine: number;
  readonly lineCount: number;
  /** Byte offset of its first line in the input blob. */
  readonly byteStart: number;
  readonly state: 'todo' | 'done';
}

export interface ChunkLease {
  readonly chunk: ChunkRecord;
  readonly fence: ExecutionFence;
}

export type ResultOutcome = 'ok' | 'error';

/** One line that ran (or was given up on): its exact output or error line, written once. */
export interface ExecutionResult {
  readonly batchId: string;
  /** 0-based index in the input. */
  readonly lineNo: number;
  readonly customId: string;
  /** 'ok' goes to the output file, 'error' to the error file. */
  readonly outcome: ResultOutcome;
  /** The whole JSONL line (no trailing newline), as it will appear in the file. */
  readonly line: string;
  /** What the line cost at the deployment's prices (0 when it has none), for budget checks. */
  readonly costUsd: number;
  readonly createdAtMs: number;
}

/** What a fenced phase step may change; fields left out stay as they are. */
export type ExecutionPatch = Partial<
  Pick<
    ExecutionRecord,
    | 'status'
    | 'stopReason'
    | 'errors'
    | 'total'
    | 'completed'
    | 'failed'
    | 'outputRef'
    | 'errorRef'
    | 'inProgressAtMs'
    | 'cancellingAtMs'
    | 'finalizingAtMs'
    | 'endedAtMs'
    | 'nextStepAtMs'
  >
>;

export interface ClaimInput {
  readonly nowMs: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly limit: number;
}

export interface ExecutionRepository {
  /** Inserts a new execution; false (and nothing changed) when one exists for the batch already. */
  insert(execution: ExecutionRecord): Promise<boolean>;
  get(batchId: string): Promise<ExecutionRecord | undefined>;
  /** How many executions not yet ended read this input blob. */
  countActiveForInput(inputRef: string): Promise<number>;
  /** Executions created at or after `sinceMs`, newest first (for the reconciler's listing). */
  listCreatedSince(sinceMs: number, limit: number): Promise<ExecutionRecord[]>;

  /**
   * Leases executions whose `nextStepAtMs` has come and whose lease is free or expired, oldest
   * due first, bumping each one's token.
   */
  claimDue(input: ClaimInput): Promise<ExecutionLease[]>;
  /** Applies `patch` and frees the lease, when `fence` still holds it; false otherwise. */
  release(batchId: string, fence: ExecutionFence, patch: ExecutionPatch, nowMs: number): Promise<boolean>;
  /**
   * Validation's end, in one transaction under the fence: the chunks are stored and the patch
   * (status `in_progress`, total, …) applied, and the lease freed. False when the fence was lost.
   */
  startChunks(batchId: string, fence: ExecutionFence, chunks: readonly Omit<ChunkRecord, 'state'>[], patch: ExecutionPatch, nowMs: number): Promise<boolean>;
  /**
   * Unfenced changes any process may make at any time: a cancel request (`cancelling`), a stop
   * reason, an earlier `nextStepAtMs`. `change` sees the current row and returns the patch, or
   * null for no change; the write is a compare-and-set on `updatedAtMs`, retried a few times.
   */
  updateWith(batchId: string, change: (current: ExecutionRecord) => ExecutionPatch | null, nowMs: number): Promise<ExecutionRecord | undefined>;

  /**
   * Leases `todo` chunks of executions that are `in_progress` with no stop reason, whose lease is
   * free or expired, round-robin over executions (every execution's chunk n before any chunk
   * n + 1; among equals, the oldest execution first), so a small batch created while a large one
   * runs does not wait for the large one to end.
   */
  claimChunks(input: ClaimInput): Promise<ChunkLease[]>;
  /** Extends a chunk lease to `untilMs`; false when it was lost. */
  renewChunk(lease: ChunkLease, untilMs: number): Promise<boolean>;
  /** Marks the chunk done and frees its lease; false when the lease was lost. */
  finishChunk(lease: ChunkLease): Promise<boolean>;
  /** Frees the lease, leaving the chunk `todo` (dispatch stopped before its end). */
  releaseChunk(lease: ChunkLease): Promise<void>;
  /** Chunks of the execution still to run, and how many of those are leased right now. */
  chunkProgress(batchId: string, nowMs: number): Promise<{ readonly todo: number; readonly leased: number; readonly done: number }>;

  /** Inserts the result unless the line has one already; true when this call stored it. */
  recordResult(result: ExecutionResult): Promise<boolean>;
  /**
   * `recordResult` for several lines at once (one statement per few hundred, not one per line):
   * each is inserted unless its line has a result already — a line repeated in `results` keeps
   * its first. Returns how many this call stored.
   */
  recordResults(results: readonly ExecutionResult[]): Promise<number>;
  /** Line numbers in `[fromLine, toLine)` that already have a result. */
  linesDone(batchId: string, fromLine: number, toLine: number): Promise<number[]>;
  /** How many lines have a result, by outcome. */
  resultCounts(batchId: string): Promise<{ readonly ok: number; readonly error: number }>;
  /** Sum of `costUsd` over the execution's results. */
  costSoFar(batchId: string): Promise<number>;
  /** Results with `lineNo > afterLine`, in line order, at most `limit` (finalisation pages through them). */
  resultsAfter(batchId: string, afterLine: number, limit: number): Promise<ExecutionResult[]>;
  /** Drops the result rows and chunks once the files are written (the execution row stays). */
  deleteWorkRows(batchId: string): Promise<void>;
}
