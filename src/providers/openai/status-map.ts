/**
 * OpenAI's wire statuses → batchgate's statuses. They coincide today; the tables exist so that a
 * status OpenAI adds is rejected loudly (an `UpstreamError` naming it) rather than passed through
 * into clients' poll loops, and so a status we add fails compilation here.
 */
import type { BatchStatus, FileStatus } from '../../contracts/openai.js';

export const OPENAI_BATCH_STATUSES = {
  validating: 'validating',
  failed: 'failed',
  in_progress: 'in_progress',
  finalizing: 'finalizing',
  completed: 'completed',
  expired: 'expired',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
} as const satisfies Record<BatchStatus, BatchStatus>;

/** `status` of a File object (deprecated by OpenAI, still sent). */
export const OPENAI_FILE_STATUSES = {
  uploaded: 'uploaded',
  processed: 'processed',
  error: 'error',
} as const satisfies Record<FileStatus, FileStatus>;

/** Looks `key` up in an exhaustive table without falling into `Object.prototype`. */
export const lookupStatus = <T extends string>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;
