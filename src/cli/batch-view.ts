/** How a batch reads for a person, and what its end means as an exit code. */
import type { Batch } from '../contracts/openai.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** Metadata key `batch submit` records the model group under, so `retry-failed` can reuse it. */
export const MODEL_GROUP_METADATA = 'batchgate_model_group';
/** Metadata key a retry batch carries: the batch whose failed lines it re-runs. */
export const RETRY_OF_METADATA = 'batchgate_retry_of';
/** OpenAI's limit on metadata pairs; the gateway refuses more. */
export const MAX_METADATA_PAIRS = 16;

const when = (seconds: number | null): string => (seconds === null ? '-' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'));

export const countsOf = (b: Batch): string =>
  `${b.request_counts.completed + b.request_counts.failed}/${b.request_counts.total} (${b.request_counts.completed} completed, ${b.request_counts.failed} failed)`;

export const modelGroupOf = (b: Batch): string | null => b.metadata?.[MODEL_GROUP_METADATA] ?? null;

export function describeBatch(b: Batch): string {
  const rows: Array<[string, string]> = [
    ['status', b.status],
    ['requests', countsOf(b)],
    ['endpoint', b.endpoint],
    ['model group', modelGroupOf(b) ?? b.model ?? '-'],
    ['input file', b.input_file_id],
    ['output file', b.output_file_id ?? '-'],
    ['error file', b.error_file_id ?? '-'],
    ['created', when(b.created_at)],
    ['ended', when(b.completed_at ?? b.failed_at ?? b.expired_at ?? b.cancelled_at)],
  ];
  for (const e of b.errors?.data ?? []) rows.push(['error', `${e.code}: ${e.message}${e.line === null ? '' : ` (line ${e.line})`}`]);
  const meta = Object.entries(b.metadata ?? {});
  if (meta.length > 0) rows.push(['metadata', meta.map(([k, v]) => `${k}=${v}`).join(' ')]);
  return [b.id, ...rows.map(([k, v]) => `  ${k.padEnd(12)} ${v}`)].join('\n');
}

/** One row of `batch list`. */
export const batchRow = (b: Batch): string =>
  [b.id.padEnd(36), b.status.padEnd(11), countsOf(b).padEnd(36), (modelGroupOf(b) ?? b.model ?? '-').padEnd(20), when(b.created_at)].join(' ');

/** 0 completed with no failed line, 3 completed with some, 4 failed, expired or cancelled. */
export function exitCodeOf(b: Batch): ExitCode {
  if (b.status !== 'completed') return EXIT.batchNotCompleted;
  return b.request_counts.failed > 0 || b.error_file_id !== null ? EXIT.someLinesFailed : EXIT.ok;
}
