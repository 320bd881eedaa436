/**
 * An Anthropic MessageBatch (`reference/wire.md` §6.3) → `UpstreamBatch`, per the mapping tables
 * of §7.1 and §7.2. Anthropic has three processing states; which OpenAI terminal status an `ended`
 * batch takes is read from how it ended: a cancel initiated → `cancelled`; every request expired
 * (or some expired and none finished) → `expired`; otherwise `completed`. Only `processing` moves
 * while a batch runs, so completed/failed counts appear when it ends.
 */
import type { BatchStatus } from '../../contracts/openai.js';
import type { UpstreamBatch } from '../../domain/ports/provider-adapter.js';
import type { UpstreamError } from '../../errors/upstream-error.js';
import { isRecord, numberAt, recordAt, stringAt, type JsonRecord } from '../shared/json.js';

const seconds = (iso: string | null): number | null => {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
};

interface Counts {
  readonly processing: number;
  readonly succeeded: number;
  readonly errored: number;
  readonly canceled: number;
  readonly expired: number;
}

const countsOf = (raw: JsonRecord | null): Counts => {
  const n = (key: string): number => Math.max(0, Math.trunc((raw === null ? null : numberAt(raw, key)) ?? 0));
  return { processing: n('processing'), succeeded: n('succeeded'), errored: n('errored'), canceled: n('canceled'), expired: n('expired') };
};

export function statusOf(processing: string | null, cancelInitiated: boolean, counts: Counts): BatchStatus {
  if (processing === 'canceling') return 'cancelling';
  if (processing !== 'ended') return 'in_progress';
  if (cancelInitiated) return 'cancelled';
  const finished = counts.succeeded + counts.errored + counts.canceled;
  if (counts.expired > 0 && finished === 0) return 'expired';
  return 'completed';
}

export function toUpstreamBatch(raw: unknown, malformed: (what: string) => UpstreamError): UpstreamBatch {
  if (!isRecord(raw) || stringAt(raw, 'id') === null) throw malformed('a message batch without an id');
  const counts = countsOf(recordAt(raw, 'request_counts'));
  const cancelInitiatedAt = seconds(stringAt(raw, 'cancel_initiated_at'));
  const status = statusOf(stringAt(raw, 'processing_status'), cancelInitiatedAt !== null, counts);
  const createdAt = seconds(stringAt(raw, 'created_at'));
  const endedAt = seconds(stringAt(raw, 'ended_at'));
  const total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired;
  return {
    ref: stringAt(raw, 'id') ?? '',
    status,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    model: null,
    errors: null,
    outputFileRef: null,
    errorFileRef: null,
    createdAt,
    // Anthropic starts processing at once.
    inProgressAt: createdAt,
    expiresAt: seconds(stringAt(raw, 'expires_at')),
    finalizingAt: null,
    completedAt: status === 'completed' ? endedAt : null,
    failedAt: null,
    expiredAt: status === 'expired' ? endedAt : null,
    cancellingAt: cancelInitiatedAt,
    cancelledAt: status === 'cancelled' ? endedAt : null,
    requestCounts: { total, completed: counts.succeeded, failed: counts.errored + counts.canceled + counts.expired },
    usage: null,
    metadata: null,
    // Anthropic keeps nothing of ours on a batch: a create whose answer was lost cannot be found by label.
    label: null,
    inputFileRef: null,
  };
}
