/** Events, a capturing logger and a pinned clock for the event suites. */
import type { Clock } from '../../src/domain/ports/clock.js';
import type { BatchFinished, LifecycleEvent } from '../../src/domain/ports/event-sink.js';
import type { Logger } from '../../src/domain/ports/logger.js';
import type { Owner } from '../../src/domain/principal.js';

export const AT = 1_760_000_000_123;

export const fixedClock: Clock = { now: () => AT + 1_000 };

export const OWNER_A: Owner = { keyHash: 'hash-a', userId: 'user-1', teamId: 'team-1' };
export const OWNER_B: Owner = { keyHash: 'hash-b', userId: null, teamId: 'team-2' };
export const ADMIN: Owner = { keyHash: null, userId: null, teamId: null };

export const finished = (over: Partial<BatchFinished> = {}): BatchFinished => ({
  type: 'batch.finished',
  at: AT,
  batchId: 'batch_001',
  owner: OWNER_A,
  modelGroup: 'gpt-4o',
  deploymentId: 'dep-openai',
  status: 'completed',
  requestCounts: { total: 10, completed: 9, failed: 1 },
  usage: {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 10 },
    output_tokens: 50,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 150,
  },
  costUsd: 0.0123,
  ...over,
});

/** One event of every type, every batch end included. */
export const allEvents = (): LifecycleEvent[] => [
  { type: 'file.uploaded', at: AT, fileId: 'file-001', owner: OWNER_A, purpose: 'batch', bytes: 1234, modelGroups: ['gpt-4o'], deploymentIds: ['dep-openai', 'dep-azure'] },
  { type: 'batch.created', at: AT, batchId: 'batch_001', owner: OWNER_A, modelGroup: 'gpt-4o', deploymentId: 'dep-openai' },
  { type: 'batch.status_changed', at: AT, batchId: 'batch_001', owner: OWNER_A, modelGroup: 'gpt-4o', deploymentId: 'dep-openai', from: 'validating', to: 'in_progress' },
  finished(),
  finished({ batchId: 'batch_002', status: 'failed', usage: null, costUsd: null, owner: OWNER_B }),
  finished({ batchId: 'batch_003', status: 'expired', owner: ADMIN, modelGroup: null }),
  finished({ batchId: 'batch_004', status: 'cancelled' }),
  { type: 'webhook.delivered', at: AT, webhookId: 'evt_1', endpoint: 'https://hooks.example/h', eventType: 'batch.completed', attempts: 1 },
  { type: 'webhook.given_up', at: AT, webhookId: 'evt_2', endpoint: 'https://hooks.example/h', eventType: 'batch.failed', attempts: 16, lastError: 'receiver answered HTTP 500' },
];

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
}
