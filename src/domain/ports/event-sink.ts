/**
 * The lifecycle event port: every step of a file's and a batch's life (and of the webhooks that
 * report them) is one structured event, emitted once through one `EventSink`. Implementations fan
 * out to JSON logs, the webhook outbox and metrics (`domain/events/`); a contract suite runs over
 * each of them.
 *
 * Times are milliseconds since the epoch. Deployments are named by their stable id and model
 * group; a sink that wants the upstream model looks it up.
 */
import type { BatchRequestCounts, BatchStatus, BatchUsage } from '../../contracts/openai.js';
import type { Owner } from '../principal.js';

/** The terminal statuses a batch can end in; each has a webhook event type `batch.<status>`. */
export type FinishedBatchStatus = Extract<BatchStatus, 'completed' | 'failed' | 'expired' | 'cancelled'>;

export interface FileUploaded {
  readonly type: 'file.uploaded';
  readonly at: number;
  readonly fileId: string;
  readonly owner: Owner;
  readonly purpose: string;
  readonly bytes: number;
  /** Model groups of a managed upload; empty for a plain one. */
  readonly modelGroups: readonly string[];
  /** Every deployment that holds a copy. */
  readonly deploymentIds: readonly string[];
}

export interface BatchCreated {
  readonly type: 'batch.created';
  readonly at: number;
  readonly batchId: string;
  readonly owner: Owner;
  readonly modelGroup: string | null;
  readonly deploymentId: string;
}

export interface BatchStatusChanged {
  readonly type: 'batch.status_changed';
  readonly at: number;
  readonly batchId: string;
  readonly owner: Owner;
  readonly modelGroup: string | null;
  readonly deploymentId: string;
  readonly from: BatchStatus;
  readonly to: BatchStatus;
}

export interface BatchFinished {
  readonly type: 'batch.finished';
  readonly at: number;
  readonly batchId: string;
  readonly owner: Owner;
  readonly modelGroup: string | null;
  readonly deploymentId: string;
  readonly status: FinishedBatchStatus;
  readonly requestCounts: BatchRequestCounts;
  readonly usage: BatchUsage | null;
  /** What was booked for the batch; null when nothing could be priced. */
  readonly costUsd: number | null;
}

/** One webhook delivery's outcome. */
interface WebhookOutcome {
  readonly at: number;
  /** The webhook's id (the `webhook-id` header), stable across retries. */
  readonly webhookId: string;
  /** The receiver's URL without its query string or credentials. */
  readonly endpoint: string;
  /** The event delivered (`batch.completed`, …). */
  readonly eventType: string;
  /** Attempts made, the last one included. */
  readonly attempts: number;
}

export interface WebhookDelivered extends WebhookOutcome {
  readonly type: 'webhook.delivered';
}

export interface WebhookGivenUp extends WebhookOutcome {
  readonly type: 'webhook.given_up';
  /** Why the last attempt failed (status code or transport error), never a secret. */
  readonly lastError: string | null;
}

export type LifecycleEvent =
  | FileUploaded
  | BatchCreated
  | BatchStatusChanged
  | BatchFinished
  | WebhookDelivered
  | WebhookGivenUp;

export type LifecycleEventType = LifecycleEvent['type'];

export interface EventSink {
  /**
   * Records one event. Resolves once every durable effect is stored (for `batch.finished`, the
   * webhook outbox rows); rejects when one could not be, so the caller retries. Emitting the same
   * event again is harmless: durable effects are idempotent (deterministic webhook ids).
   */
  emit(event: LifecycleEvent): Promise<void>;
}

/** Drops every event: for tests and tools that run services without observers. */
export const nullEventSink: EventSink = { emit: () => Promise.resolve() };
