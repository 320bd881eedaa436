/** Records for the store contract suite, with every field set so round-trips check them all. */
import type { Batch, BatchStatus } from '../../src/contracts/openai.js';
import type {
  BatchRecord,
  FileCopyRecord,
  FileRecord,
  KeyRecord,
  TeamRecord,
} from '../../src/domain/ports/store.js';
import type { Owner } from '../../src/domain/principal.js';

/** Millisecond times well past 2^32, so a column or parser that truncates would show. */
export const T0 = 1_760_000_000_000;

export const ADMIN_OWNER: Owner = { keyHash: null, userId: null, teamId: null };

export const owner = (keyHash: string | null, teamId: string | null, userId: string | null = null): Owner => ({
  keyHash,
  userId,
  teamId,
});

export const fileRecord = (over: Partial<FileRecord> = {}): FileRecord => ({
  id: 'file-0001',
  kind: 'upload',
  purpose: 'batch',
  filename: 'input.jsonl',
  bytes: 5_000_000_123,
  createdAtMs: T0,
  expiresAt: 1_762_592_000,
  endpoint: '/v1/chat/completions',
  status: 'processed',
  modelGroups: ['gpt-4o', 'gpt-4o-mini'],
  lineCount: 1_234,
  lineModels: ['gpt-4o'],
  inputTokens: 3_000_000_017,
  sourceBatchId: null,
  owner: owner('hash-a', 'team-1', 'user-1'),
  ...over,
});

export const copyRecord = (over: Partial<FileCopyRecord> = {}): FileCopyRecord => ({
  fileId: 'file-0001',
  deploymentId: 'dep-openai',
  upstreamRef: 'file-upstream-1',
  createdAtMs: T0,
  ...over,
});

export const batchObject = (id: string, inputFileId: string, status: BatchStatus): Batch => ({
  id,
  object: 'batch',
  endpoint: '/v1/chat/completions',
  model: 'gpt-4o',
  errors: { object: 'list', data: [{ code: 'invalid_request', message: 'bad line', param: null, line: 3 }] },
  input_file_id: inputFileId,
  completion_window: '24h',
  status,
  output_file_id: null,
  error_file_id: 'file-err',
  created_at: 1_760_000_000,
  in_progress_at: 1_760_000_010,
  expires_at: 1_760_086_400,
  finalizing_at: null,
  completed_at: null,
  failed_at: null,
  expired_at: null,
  cancelling_at: null,
  cancelled_at: null,
  request_counts: { total: 10, completed: 7, failed: 1 },
  usage: {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 50,
    output_tokens_details: { reasoning_tokens: 5 },
    total_tokens: 150,
  },
  metadata: { project: 'alpha', 'note with spaces': 'ünïcödé "quoted"' },
});

export const batchRecord = (over: Partial<BatchRecord> = {}): BatchRecord => {
  const id = over.id ?? 'batch_0001';
  const inputFileId = over.inputFileId ?? 'file-0001';
  const status = over.status ?? 'in_progress';
  return {
    id,
    deploymentId: 'dep-azure',
    upstreamRef: 'batch_upstream_1',
    inputFileId,
    modelGroup: 'gpt-4o',
    status,
    object: batchObject(id, inputFileId, status),
    createdAtMs: T0,
    updatedAtMs: T0 + 5,
    refreshedAtMs: T0 + 5,
    owner: owner('hash-a', 'team-1', 'user-1'),
    ...over,
  };
};

export const keyRecord = (over: Partial<KeyRecord> = {}): KeyRecord => ({
  keyHash: 'hash-a',
  keyName: 'sk-…abcd',
  keyAlias: 'ci key',
  userId: 'user-1',
  teamId: 'team-1',
  models: ['gpt-4o', 'text-embedding-3-small'],
  maxBudget: 12.5,
  budgetDuration: '30d',
  budgetResetAtMs: T0 + 86_400_000,
  spend: 0.75,
  rpmLimit: 600,
  tpmLimit: 1_000_000,
  metadata: { owner: 'ops', nested: { tags: ['a', 'b'], on: true, n: null } },
  expiresAtMs: T0 + 1_000,
  createdAtMs: T0,
  updatedAtMs: T0,
  ...over,
});

export const teamRecord = (over: Partial<TeamRecord> = {}): TeamRecord => ({
  teamId: 'team-1',
  teamAlias: 'Research',
  models: ['gpt-4o'],
  maxBudget: 100,
  budgetDuration: '1mo',
  budgetResetAtMs: T0 + 2_592_000_000,
  spend: 1.5,
  metadata: { cost_center: 42 },
  createdAtMs: T0,
  updatedAtMs: T0,
  ...over,
});

/** A record with every nullable field null and every list empty. */
export const bareFile = (id: string): FileRecord =>
  fileRecord({
    id,
    expiresAt: null,
    modelGroups: [],
    lineCount: null,
    lineModels: [],
    inputTokens: null,
    sourceBatchId: null,
    owner: ADMIN_OWNER,
  });
