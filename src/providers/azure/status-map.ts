/**
 * Azure's batch and file statuses → batchgate's (`reference/wire.md` §3.3, §7.1). Older preview
 * versions capitalise (`Validating`, `InProgress`) and some Azure surfaces spell `canceled` the
 * American way, so keys are compared in a squashed form: lower case, no `_`, `-` or spaces.
 */
import type { BatchStatus, FileStatus } from '../../contracts/openai.js';
import { lookupStatus } from '../openai/status-map.js';

export const squashStatus = (status: string): string => status.toLowerCase().replace(/[_\-\s]/g, '');

type AzureBatchStatusKey =
  | 'validating'
  | 'failed'
  | 'inprogress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'canceling'
  | 'cancelled'
  | 'canceled';

export const AZURE_BATCH_STATUSES = {
  validating: 'validating',
  failed: 'failed',
  inprogress: 'in_progress',
  finalizing: 'finalizing',
  completed: 'completed',
  expired: 'expired',
  cancelling: 'cancelling',
  canceling: 'cancelling',
  cancelled: 'cancelled',
  canceled: 'cancelled',
} as const satisfies Record<AzureBatchStatusKey, BatchStatus>;

/** A file Azure is deleting or has deleted is, to the domain, a file that is not there. */
export type AzureFileOutcome = FileStatus | 'gone';

type AzureFileStatusKey = 'uploaded' | 'pending' | 'running' | 'processed' | 'error' | 'deleting' | 'deleted';

export const AZURE_FILE_STATUSES = {
  uploaded: 'uploaded',
  // Azure is still importing/validating the bytes: OpenAI's closest word is `uploaded`.
  pending: 'uploaded',
  running: 'uploaded',
  processed: 'processed',
  error: 'error',
  deleting: 'gone',
  deleted: 'gone',
} as const satisfies Record<AzureFileStatusKey, AzureFileOutcome>;

export const azureBatchStatus = (raw: string): BatchStatus | undefined =>
  lookupStatus(AZURE_BATCH_STATUSES, squashStatus(raw));

export const azureFileStatus = (raw: string): AzureFileOutcome | undefined =>
  lookupStatus(AZURE_FILE_STATUSES, squashStatus(raw));
