/**
 * Brings Azure's File and Batch objects into OpenAI's exact shape, so the shared OpenAI mappers
 * read them (`reference/wire.md` §3.3): statuses in any case or spelling, ISO-8601 timestamps (old
 * previews), `errors.data[].line` typed as a string, and file states OpenAI does not have. Fields
 * already in OpenAI's shape pass through untouched.
 */
import { UpstreamError } from '../../errors/upstream-error.js';
import type { Malformed } from '../openai/map.js';
import { isRecord, recordAt, stringAt, type JsonRecord } from '../shared/json.js';
import { azureBatchStatus, azureFileStatus } from './status-map.js';

const BATCH_TIMESTAMPS = [
  'created_at',
  'in_progress_at',
  'expires_at',
  'finalizing_at',
  'completed_at',
  'failed_at',
  'expired_at',
  'cancelling_at',
  'cancelled_at',
] as const;
const FILE_TIMESTAMPS = ['created_at', 'expires_at'] as const;

/** Unix seconds from a number, a numeric string or an ISO-8601 date; null when none of those. */
export const toUnixSeconds = (value: unknown): number | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
};

const withTimestamps = (record: JsonRecord, keys: readonly string[]): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...record };
  for (const key of keys) {
    if (key in record && record[key] !== null) out[key] = toUnixSeconds(record[key]);
  }
  return out;
};

/** The classic spec types `line` as a string; OpenAI's is an integer (wire.md §2.8). */
const withIntegerLines = (errors: JsonRecord | null): JsonRecord | null => {
  const data = errors?.['data'];
  if (errors === null || !Array.isArray(data)) return errors;
  return {
    ...errors,
    data: data.map((entry: unknown) => {
      if (!isRecord(entry) || typeof entry['line'] !== 'string') return entry;
      const line = Number.parseInt(entry['line'], 10);
      return { ...entry, line: Number.isNaN(line) ? null : line };
    }),
  };
};

export interface AzureNormalizer {
  file(raw: unknown): unknown;
  batch(raw: unknown): unknown;
}

export const createAzureNormalizer = (deploymentId: string, malformed: Malformed): AzureNormalizer => ({
  file(raw) {
    if (!isRecord(raw)) return raw;
    const out = withTimestamps(raw, FILE_TIMESTAMPS);
    const status = stringAt(raw, 'status');
    if (status === null) return out;
    const outcome = azureFileStatus(status);
    if (outcome === undefined) throw malformed(`file ${String(raw['id'])} has status '${status}', which batchgate does not know`);
    if (outcome === 'gone') {
      // Deleting or deleted: answer like a missing file, so the domain's 404 handling applies.
      throw new UpstreamError({
        deploymentId,
        failure: 'http',
        status: 404,
        type: 'invalid_request_error',
        code: 'not_found',
        message: `file ${String(raw['id'])} is ${status} upstream`,
      });
    }
    return { ...out, status: outcome };
  },

  batch(raw) {
    if (!isRecord(raw)) return raw;
    const out = withTimestamps(raw, BATCH_TIMESTAMPS);
    const errors = recordAt(raw, 'errors');
    if (errors !== null) out['errors'] = withIntegerLines(errors);
    const status = stringAt(raw, 'status');
    if (status === null) return out;
    const mapped = azureBatchStatus(status);
    if (mapped === undefined) throw malformed(`batch ${String(raw['id'])} has status '${status}', which batchgate does not know`);
    return { ...out, status: mapped };
  },
});
