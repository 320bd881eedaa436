/** What each sink does with the events: log lines, outbox rows per endpoint, fan-out failures. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/deployment.js';
import { DeploymentDirectory } from '../../src/domain/deployments/deployment-directory.js';
import { FanOutEventSink } from '../../src/domain/events/fan-out.js';
import { LogEventSink } from '../../src/domain/events/log-sink.js';
import { WebhookEndpoints, type ConfiguredWebhook } from '../../src/domain/events/webhook-endpoints.js';
import { webhookIdFor } from '../../src/domain/events/webhook-event.js';
import { WebhookEventSink } from '../../src/domain/events/webhook-sink.js';
import type { EventSink } from '../../src/domain/ports/event-sink.js';
import type { Store } from '../../src/domain/ports/store.js';
import { sqliteBackend, type OpenedBackend } from '../store/backends.js';
import { keyRecord } from '../store/fixtures.js';
import { ADMIN, AT, allEvents, CapturingLogger, finished, fixedClock, OWNER_A, OWNER_B } from './support.js';

const deployment = (id: string, group: string, model: string): Deployment => ({
  id,
  modelGroup: group,
  provider: 'openai',
  upstreamModel: model,
  params: { api_key: 'sk-secret-upstream' },
  info: {},
  weight: 1,
});

describe('log sink', () => {
  const directory = new DeploymentDirectory([deployment('dep-openai', 'gpt-4o', 'gpt-4o-2024-08-06'), deployment('dep-azure', 'gpt-4o', 'gpt-4o')]);

  it('writes each event as one line, deployments named by id, group and model', async () => {
    const logger = new CapturingLogger();
    const sink = new LogEventSink(logger, directory);
    for (const event of allEvents()) await sink.emit(event);
    expect(logger.lines.map((l) => l.msg)).toEqual(allEvents().map((e) => e.type));
    const [uploaded, created, changed, done] = logger.lines;
    expect(uploaded?.obj).toEqual({
      event: 'file.uploaded',
      at: new Date(AT).toISOString(),
      fileId: 'file-001',
      owner: OWNER_A,
      purpose: 'batch',
      bytes: 1234,
      modelGroups: ['gpt-4o'],
      deployments: [
        { id: 'dep-openai', group: 'gpt-4o', model: 'openai/gpt-4o-2024-08-06' },
        { id: 'dep-azure', group: 'gpt-4o', model: 'openai/gpt-4o' },
      ],
    });
    expect(created?.obj).toMatchObject({ event: 'batch.created', batchId: 'batch_001', deployment: { id: 'dep-openai', group: 'gpt-4o' } });
    expect(changed?.obj).toMatchObject({ from: 'validating', to: 'in_progress' });
    expect(done?.obj).toMatchObject({
      event: 'batch.finished',
      status: 'completed',
      requestCounts: { total: 10, completed: 9, failed: 1 },
      usage: { total_tokens: 150 },
      costUsd: 0.0123,
    });
    expect(JSON.stringify(logger.lines)).not.toContain('sk-secret-upstream');
  });

  it('logs a given-up webhook as a warning, everything else as info', async () => {
    const logger = new CapturingLogger();
    const sink = new LogEventSink(logger, directory);
    for (const event of allEvents()) await sink.emit(event);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['webhook.given_up']);
  });

  it('names a deployment that is no longer configured by its id alone', async () => {
    const logger = new CapturingLogger();
    await new LogEventSink(logger).emit(finished({ deploymentId: 'dep-gone' }));
    expect(logger.lines[0]?.obj.deployment).toEqual({ id: 'dep-gone', group: null, model: null });
  });

  it('never fails the emit when the logger throws', async () => {
    const broken = { info: () => { throw new Error('disk full'); }, warn: () => { throw new Error('disk full'); }, error: () => {} };
    await expect(new LogEventSink(broken).emit(finished())).resolves.toBeUndefined();
  });
});

describe('fan-out sink', () => {
  const recording = (seen: string[], name: string): EventSink => ({
    emit: (event) => {
      seen.push(`${name}:${event.type}`);
      return Promise.resolve();
    },
  });

  it('hands every event to every sink, even when one fails, then rejects with that failure', async () => {
    const seen: string[] = [];
    const failure = new Error('outbox unreachable');
    const sink = new FanOutEventSink([
      recording(seen, 'a'),
      { emit: () => Promise.reject(failure) },
      { emit: () => { throw new Error('sync'); } },
      recording(seen, 'b'),
    ]);
    const error = await sink.emit(finished()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['outbox unreachable', 'sync']);
    expect(seen).toEqual(['a:batch.finished', 'b:batch.finished']);
    await expect(new FanOutEventSink([{ emit: () => Promise.reject(failure) }]).emit(finished())).rejects.toBe(failure);
    await expect(new FanOutEventSink([]).emit(finished())).resolves.toBeUndefined();
  });
});

describe('webhook sink', () => {
  let opened: OpenedBackend;
  let store: Store;

  const ALL_EVENTS: ConfiguredWebhook = {
    url: 'https://ops.example/all',
    secret: 'whsec_b3Bz',
    events: ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'],
    teamIds: null,
  };
  const FAILURES: ConfiguredWebhook = { url: 'https://ops.example/failures', secret: 'plain', events: ['batch.failed', 'batch.expired'], teamIds: null };
  const TEAM_2: ConfiguredWebhook = { url: 'https://team2.example/h', secret: 'team2', events: ['batch.completed', 'batch.failed'], teamIds: ['team-2'] };

  const sinkOver = (configured: ConfiguredWebhook[], onEnqueued?: () => void): WebhookEventSink =>
    new WebhookEventSink({ outbox: store.outbox, endpoints: new WebhookEndpoints(configured, store.keys), clock: fixedClock, onEnqueued });

  beforeEach(async () => {
    opened = await sqliteBackend.open();
    store = opened.store;
    await store.keys.insert(keyRecord({ keyHash: 'hash-a', webhookUrl: 'https://tenant-a.example/hook', webhookSecret: 'whsec_dGVuYW50LWE=' }));
    await store.keys.insert(keyRecord({ keyHash: 'hash-b', keyAlias: 'b', teamId: 'team-2' }));
  });
  afterEach(async () => {
    await opened.dispose();
  });

  const urlsFor = async (batchId: string): Promise<string[]> => (await store.outbox.listForBatch(batchId)).map((e) => e.url).sort();

  it('enqueues one row per endpoint that wants the event: event filter, team filter, the owner key’s own', async () => {
    const sink = sinkOver([ALL_EVENTS, FAILURES, TEAM_2]);
    await sink.emit(finished({ batchId: 'b_a_completed', owner: OWNER_A, status: 'completed' }));
    await sink.emit(finished({ batchId: 'b_b_failed', owner: OWNER_B, status: 'failed' }));
    await sink.emit(finished({ batchId: 'b_admin_expired', owner: ADMIN, status: 'expired' }));
    await sink.emit(finished({ batchId: 'b_b_cancelled', owner: OWNER_B, status: 'cancelled' }));
    expect(await urlsFor('b_a_completed')).toEqual(['https://ops.example/all', 'https://tenant-a.example/hook']);
    // Key b has no webhook of its own; its team's endpoint takes failures.
    expect(await urlsFor('b_b_failed')).toEqual(['https://ops.example/all', 'https://ops.example/failures', 'https://team2.example/h']);
    // An admin batch has no team and no key: only unfiltered config endpoints.
    expect(await urlsFor('b_admin_expired')).toEqual(['https://ops.example/all', 'https://ops.example/failures']);
    expect(await urlsFor('b_b_cancelled')).toEqual(['https://ops.example/all']);
  });

  it('stores the OpenAI event body and names the endpoint, never its secret', async () => {
    await sinkOver([ALL_EVENTS]).emit(finished({ batchId: 'batch_xyz', status: 'expired' }));
    const rows = await store.outbox.listForBatch('batch_xyz');
    const config = rows.find((r) => r.target.kind === 'config');
    const key = rows.find((r) => r.target.kind === 'key');
    expect(config?.target).toEqual({ kind: 'config', url: 'https://ops.example/all' });
    expect(key?.target).toEqual({ kind: 'key', keyHash: 'hash-a' });
    const id = webhookIdFor('batch_xyz', 'batch.expired', { kind: 'config', url: 'https://ops.example/all' });
    expect(config).toMatchObject({ webhookId: id, eventType: 'batch.expired', state: 'pending', attempts: 0, createdAtMs: fixedClock.now() });
    expect(JSON.parse(config?.payload ?? '')).toEqual({
      object: 'event',
      id,
      type: 'batch.expired',
      created_at: Math.floor(AT / 1000),
      data: { id: 'batch_xyz' },
    });
    expect(JSON.stringify(rows)).not.toContain('whsec_');
  });

  it('ignores every other event type', async () => {
    const sink = sinkOver([ALL_EVENTS]);
    for (const event of allEvents().filter((e) => e.type !== 'batch.finished')) await sink.emit(event);
    expect(await store.outbox.countPending()).toBe(0);
  });

  it('is idempotent and wakes delivery only when it added rows', async () => {
    let wakes = 0;
    const sink = sinkOver([ALL_EVENTS], () => (wakes += 1));
    await sink.emit(finished());
    await sink.emit(finished({ at: AT + 5_000 }));
    await Promise.all([sink.emit(finished()), sink.emit(finished())]);
    expect(await store.outbox.countPending()).toBe(2);
    expect(wakes).toBe(1);
  });

  it('follows key changes: a removed webhook_url gets nothing new', async () => {
    const sink = sinkOver([]);
    await store.keys.update('hash-a', { webhookUrl: null, webhookSecret: null });
    await sink.emit(finished({ batchId: 'after_removal' }));
    expect(await store.outbox.listForBatch('after_removal')).toEqual([]);
  });

  it('rejects when the outbox cannot be written, so the caller retries', async () => {
    const sink = sinkOver([ALL_EVENTS]);
    await store.close();
    await expect(sink.emit(finished())).rejects.toThrow();
  });
});

describe('webhook endpoints: the secret is resolved at send time', () => {
  let opened: OpenedBackend;

  beforeEach(async () => {
    opened = await sqliteBackend.open();
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('resolves config endpoints by URL and keys by hash; gone ones resolve to nothing', async () => {
    const store = opened.store;
    await store.keys.insert(keyRecord({ keyHash: 'hash-a', webhookUrl: 'https://t.example/1', webhookSecret: 'whsec_MQ==' }));
    const endpoints = new WebhookEndpoints([{ url: 'https://ops.example/a', secret: 'ops-secret', events: ['batch.completed'], teamIds: null }], store.keys);
    expect(await endpoints.resolve({ kind: 'config', url: 'https://ops.example/a' })).toEqual({ url: 'https://ops.example/a', secret: 'ops-secret' });
    expect(await endpoints.resolve({ kind: 'config', url: 'https://ops.example/removed' })).toBeUndefined();
    expect(await endpoints.resolve({ kind: 'key', keyHash: 'hash-a' })).toEqual({ url: 'https://t.example/1', secret: 'whsec_MQ==' });
    // The tenant moved its endpoint and secret: retries follow.
    await store.keys.update('hash-a', { webhookUrl: 'https://t.example/2', webhookSecret: 'whsec_Mg==' });
    expect(await endpoints.resolve({ kind: 'key', keyHash: 'hash-a' })).toEqual({ url: 'https://t.example/2', secret: 'whsec_Mg==' });
    await store.keys.delete('hash-a');
    expect(await endpoints.resolve({ kind: 'key', keyHash: 'hash-a' })).toBeUndefined();
  });
});
