/**
 * Webhooks end to end: a gateway (config endpoints, per-key endpoints set through /key/generate)
 * and a receiver on 127.0.0.1 that verifies every signature (with an implementation of the spec
 * written here and with the official OpenAI SDK) and answers 500 a few times first. Shows
 * at-least-once delivery across a restart of the delivery loop in the middle of a send, and
 * exactly-once processing after de-duplication by `webhook-id`; hostile receivers (always 500, a
 * reset connection, no answer) end given up with the process alive; and several delivery loops
 * over one database never send one webhook twice at the same time.
 *
 * `batch.finished` is emitted through the gateway's event sink here, standing in for the worker
 * (which emits it when it sees a batch end).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { WebhookDeliverySettings } from '../../src/domain/events/webhook-endpoints.js';
import { WebhookEndpoints } from '../../src/domain/events/webhook-endpoints.js';
import { WebhookEventSink } from '../../src/domain/events/webhook-sink.js';
import { nullEventSink, type BatchFinished } from '../../src/domain/ports/event-sink.js';
import { silentLogger } from '../../src/domain/ports/logger.js';
import type { Owner } from '../../src/domain/principal.js';
import { composeGateway, type Gateway } from '../../src/server/compose.js';
import { REDACTED_PATHS } from '../../src/server/process-logger.js';
import { createWebhookSender } from '../../src/server/webhook-sender.js';
import { createStore } from '../../src/store/create-store.js';
import { startWebhookDelivery } from '../../src/worker/webhook-delivery.js';
import { tempDir, type TempDir } from '../helpers/gateway.js';
import { postgresForTests } from '../helpers/postgres.js';
import { backendsFor } from '../store/backends.js';

const MASTER = 'sk-master-webhooks-0123456789';
const OPS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TEAM_SECRET = 'team-plain-text-secret';
const TENANT_3_SECRET = 'whsec_dGVuYW50LTMtc2VjcmV0LXRlbmFudC0zLXNlY3JldA==';

// ---------------------------------------------------------------------------------------------
// The receiver

interface Received {
  readonly path: string;
  readonly id: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** What the receiver did with it. */
  readonly outcome: 'refused' | 'processed' | 'bad-signature';
}

type Behaviour = (path: string, attempt: number) => 'fail' | 'hold' | 'ok' | 'reset';

/** Verifies like a receiver following the spec: HMAC-SHA256 over "id.timestamp.body". */
async function specVerify(secret: string, headers: Record<string, string>, body: string): Promise<boolean> {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const raw = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  for (const candidate of signatures.split(' ')) {
    if (!candidate.startsWith('v1,')) continue;
    if (await crypto.subtle.verify('HMAC', key, Buffer.from(candidate.slice(3), 'base64'), new TextEncoder().encode(`${id}.${timestamp}.${body}`))) return true;
  }
  return false;
}

const sdk = new OpenAI({ apiKey: 'sk-unused' });

class Receiver {
  readonly received: Received[] = [];
  /** Path → secret, set once the test knows the key secrets. */
  readonly secrets = new Map<string, string>();
  behaviour: Behaviour = () => 'ok';
  private readonly attempts = new Map<string, number>();
  private readonly held: ServerResponse[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const id = headers['webhook-id'] ?? '';
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const secret = this.secrets.get(path);
    const valid = secret !== undefined && (await specVerify(secret, headers, body)) && (await sdk.webhooks.unwrap(body, headers, secret).then(() => true, () => false));
    const behaviour = this.behaviour(path, attempt);
    if (!valid) {
      this.received.push({ path, id, headers, body, outcome: 'bad-signature' });
      res.writeHead(400).end();
      return;
    }
    if (behaviour === 'reset') {
      this.received.push({ path, id, headers, body, outcome: 'refused' });
      req.socket.destroy();
      return;
    }
    if (behaviour === 'fail') {
      this.received.push({ path, id, headers, body, outcome: 'refused' });
      res.writeHead(500, { 'content-type': 'text/plain' }).end('try again later');
      return;
    }
    // Processed (say, written to the receiver's own database), then answered.
    this.received.push({ path, id, headers, body, outcome: 'processed' });
    if (behaviour === 'hold') {
      this.held.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  }

  attemptsOf(id: string): number {
    return this.attempts.get(id) ?? 0;
  }

  processed(): Received[] {
    return this.received.filter((r) => r.outcome === 'processed');
  }

  /** What a receiver de-duplicating by webhook-id keeps: the first processing of each id. */
  deduplicated(): Map<string, Received> {
    const kept = new Map<string, Received>();
    for (const r of this.processed()) if (!kept.has(r.id)) kept.set(r.id, r);
    return kept;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway

interface RunningGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly logs: () => string;
}

const configYaml = (receiver: Receiver, delivery: string, endpoints: string): string => `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: http://127.0.0.1:9/v1
      api_key: sk-upstream-never-called
general_settings:
  master_key: os.environ/MASTER
  webhooks:
${endpoints.replaceAll('RECEIVER', receiver.url)}
  webhook_settings:
${delivery}
`;

async function startGateway(dir: TempDir, yaml: string): Promise<RunningGateway> {
  const configPath = join(dir.path, 'config.yaml');
  await writeFile(configPath, yaml);
  const config = await loadConfig({ configPath, env: { MASTER, OPS_SECRET }, overrides: { dataDir: dir.path, host: '127.0.0.1', port: 0 } });
  let captured = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      captured += chunk.toString();
      done();
    },
  });
  const gateway = await composeGateway(config, { logger: pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '***' } }, stream) });
  const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  return { gateway, url, logs: () => captured };
}

async function call<T>(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const finished = (batchId: string, owner: Owner, status: BatchFinished['status']): BatchFinished => ({
  type: 'batch.finished',
  at: Date.now(),
  batchId,
  owner,
  modelGroup: 'gpt-4o',
  deploymentId: 'dep-x',
  status,
  requestCounts: { total: 2, completed: 2, failed: 0 },
  usage: null,
  costUsd: 0.01,
});

interface KeyReply {
  readonly key: string;
  readonly token: string;
  readonly webhook_url?: string;
  readonly webhook_secret?: string;
  readonly [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------

describe('webhooks: signed, retried, at least once, de-duplicable, across a restart', () => {
  const receiver = new Receiver();
  let dir: TempDir;
  let gw: RunningGateway | undefined;

  beforeAll(async () => {
    await receiver.start();
    dir = await tempDir('bg-webhooks-');
  });
  afterAll(async () => {
    await gw?.gateway.close();
    await receiver.close();
    await dir.remove();
  });

  const delivery = `    max_attempts: 10
    initial_backoff_seconds: 0.05
    max_backoff_seconds: 0.2
    timeout_seconds: 30
    poll_interval_seconds: 0.05`;
  const endpoints = `    - url: RECEIVER/ops
      secret: os.environ/OPS_SECRET
    - url: RECEIVER/team
      secret: ${TEAM_SECRET}
      events: [batch.completed, batch.failed]
      team_ids: [team-a]`;

  it('delivers every event to every endpoint that wants it, exactly once after de-duplication', async () => {
    gw = await startGateway(dir, configYaml(receiver, delivery, endpoints));
    receiver.secrets.set('/ops', OPS_SECRET);
    receiver.secrets.set('/team', TEAM_SECRET);

    // Tenants: key 1 gets a generated secret (shown once), key 3 brings its own, key 2 has none.
    expect((await call(gw, 'POST', '/team/new', { team_id: 'team-a' })).status).toBe(200);
    const key1 = await call<KeyReply>(gw, 'POST', '/key/generate', { webhook_url: `${receiver.url}/tenant-1` });
    const key2 = await call<KeyReply>(gw, 'POST', '/key/generate', { team_id: 'team-a' });
    const key3 = await call<KeyReply>(gw, 'POST', '/key/generate', { webhook_url: `${receiver.url}/tenant-3`, webhook_secret: TENANT_3_SECRET });
    expect(key1.status).toBe(200);
    expect(key1.body.webhook_url).toBe(`${receiver.url}/tenant-1`);
    expect(key1.body.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(key2.body.webhook_secret).toBeUndefined();
    expect(key3.body.webhook_secret).toBeUndefined();
    receiver.secrets.set('/tenant-1', key1.body.webhook_secret ?? '');
    receiver.secrets.set('/tenant-3', TENANT_3_SECRET);
    // The secret is never shown again.
    const info = await call<{ info: Record<string, unknown> }>(gw, 'GET', `/key/info?key=${key1.body.key}`);
    expect(info.body.info.webhook_url).toBe(`${receiver.url}/tenant-1`);
    expect(JSON.stringify(info.body)).not.toContain(key1.body.webhook_secret);

    // Phase 1: every delivery is refused twice; the third is processed but never answered.
    receiver.behaviour = (_path, attempt) => (attempt <= 2 ? 'fail' : 'hold');

    const owner = (k: KeyReply, teamId: string | null): Owner => ({ keyHash: k.token, userId: null, teamId });
    const events = gw.gateway.events;
    await events.emit(finished('batch_a', owner(key1.body, null), 'completed'));
    await events.emit(finished('batch_a', owner(key1.body, null), 'completed')); // a retried worker step
    await events.emit(finished('batch_b', owner(key2.body, 'team-a'), 'failed'));
    await events.emit(finished('batch_c', { keyHash: null, userId: null, teamId: null }, 'expired'));
    await events.emit(finished('batch_d', owner(key3.body, null), 'cancelled'));

    const expected = new Map<string, string>([
      ['/ops batch_a', 'batch.completed'],
      ['/ops batch_b', 'batch.failed'],
      ['/ops batch_c', 'batch.expired'],
      ['/ops batch_d', 'batch.cancelled'],
      ['/team batch_b', 'batch.failed'],
      ['/tenant-1 batch_a', 'batch.completed'],
      ['/tenant-3 batch_d', 'batch.cancelled'],
    ]);
    const byRoute = (): Map<string, Received> =>
      new Map(receiver.received.map((r) => [`${r.path} ${(JSON.parse(r.body) as { data: { id: string } }).data.id}`, r]));
    await expect.poll(() => receiver.processed().length, { timeout: 15_000 }).toBe(expected.size);
    expect([...byRoute().keys()].sort()).toEqual([...expected.keys()].sort());

    // Restart while all of those sends wait for an answer: the receiver processed them, the
    // gateway never heard back.
    await gw.gateway.close();
    gw = undefined;
    const outboxAfterStop = await (async () => {
      const store = await createStore({ databaseUrl: null, dataDir: dir.path });
      try {
        const rows = await Promise.all(['batch_a', 'batch_b', 'batch_c', 'batch_d'].map((b) => store.outbox.listForBatch(b)));
        return rows.flat();
      } finally {
        await store.close();
      }
    })();
    expect(outboxAfterStop).toHaveLength(expected.size);
    for (const row of outboxAfterStop) expect(row).toMatchObject({ state: 'pending', attempts: 2, lastError: 'interrupted by shutdown' });

    // Phase 2: the receiver is healthy; a new process finishes the job from the store.
    receiver.behaviour = () => 'ok';
    gw = await startGateway(dir, configYaml(receiver, delivery, endpoints));
    await expect
      .poll(async () => {
        const rows = await Promise.all(['batch_a', 'batch_b', 'batch_c', 'batch_d'].map((b) => gw!.gateway.store.outbox.listForBatch(b)));
        return rows.flat().filter((r) => r.state === 'delivered').length;
      }, { timeout: 15_000 })
      .toBe(expected.size);

    // At least once: each webhook was processed twice (before and after the restart)...
    expect(receiver.received.filter((r) => r.outcome === 'bad-signature')).toEqual([]);
    expect(receiver.processed()).toHaveLength(2 * expected.size);
    // ...and exactly once after de-duplication by webhook-id.
    const once = receiver.deduplicated();
    expect(once.size).toBe(expected.size);
    for (const [id, first] of once) {
      const all = receiver.received.filter((r) => r.id === id);
      expect(all).toHaveLength(4); // 500, 500, processed (restart), processed
      expect(receiver.attemptsOf(id)).toBe(4);
      // The same bytes every time, to the same path; only the attempt timestamp moves.
      expect(new Set(all.map((r) => r.body)).size).toBe(1);
      expect(new Set(all.map((r) => r.path)).size).toBe(1);
      const event = JSON.parse(first.body) as { object: string; id: string; type: string; created_at: number; data: { id: string } };
      expect(event.object).toBe('event');
      expect(event.id).toBe(id);
      expect(event.type).toBe(expected.get(`${first.path} ${event.data.id}`));
      expect(Math.abs(event.created_at - Date.now() / 1000)).toBeLessThan(120);
      expect(Object.keys(event)).toEqual(['object', 'id', 'type', 'created_at', 'data']);
    }
    // Delivered events are logged, with endpoints and never a secret.
    await expect.poll(() => (gw!.logs().match(/"msg":"webhook.delivered"/g) ?? []).length).toBe(expected.size);
    expect(gw.logs()).not.toContain(OPS_SECRET);
    expect(gw.logs()).not.toContain(key1.body.webhook_secret);
  });
});

describe('webhooks: hostile receivers are given up, and the process lives', () => {
  const receiver = new Receiver();
  let dir: TempDir;
  let gw: RunningGateway | undefined;

  beforeAll(async () => {
    await receiver.start();
    dir = await tempDir('bg-webhooks-hostile-');
  });
  afterAll(async () => {
    await gw?.gateway.close();
    await receiver.close();
    await dir.remove();
  });

  it('gives up on a receiver that always fails, resets or never answers', async () => {
    for (const path of ['/down', '/reset', '/silent']) receiver.secrets.set(path, 'plain');
    receiver.behaviour = (path) => (path === '/down' ? 'fail' : path === '/reset' ? 'reset' : 'hold');
    gw = await startGateway(
      dir,
      configYaml(
        receiver,
        `    max_attempts: 3
    initial_backoff_seconds: 0.02
    max_backoff_seconds: 0.05
    timeout_seconds: 0.3
    poll_interval_seconds: 0.02`,
        ['/down', '/reset', '/silent'].map((p) => `    - url: RECEIVER${p}?token=do-not-log\n      secret: plain`).join('\n'),
      ),
    );
    await gw.gateway.events.emit(finished('batch_h', { keyHash: null, userId: null, teamId: null }, 'completed'));
    await expect
      .poll(async () => (await gw!.gateway.store.outbox.listForBatch('batch_h')).map((r) => r.state), { timeout: 15_000 })
      .toEqual(['given_up', 'given_up', 'given_up']);
    const rows = await gw.gateway.store.outbox.listForBatch('batch_h');
    const errorFor = (path: string): string | null | undefined => rows.find((r) => r.url.includes(path))?.lastError;
    expect(errorFor('/down')).toBe('receiver answered HTTP 500');
    expect(errorFor('/reset')).toMatch(/socket|closed|ECONNRESET/i);
    expect(errorFor('/silent')).toBe('no answer within 300 ms');
    for (const row of rows) expect(row.attempts).toBe(3);
    // Three attempts each, then nothing more.
    for (const path of ['/down', '/reset', '/silent']) expect(receiver.received.filter((r) => r.path.startsWith(path))).toHaveLength(3);
    // Given-up events are logged (without the query string), and the gateway still answers.
    await expect.poll(() => (gw!.logs().match(/"msg":"webhook.given_up"/g) ?? []).length).toBe(3);
    expect(gw.logs()).not.toContain('do-not-log');
    expect((await fetch(`${gw.url}/health/liveliness`)).status).toBe(200);
  });
});

describe('webhooks: a key’s own endpoint on /key/generate and /key/update', () => {
  const receiver = new Receiver();
  let dir: TempDir;
  let gw: RunningGateway;

  beforeAll(async () => {
    await receiver.start();
    dir = await tempDir('bg-webhooks-keys-');
    gw = await startGateway(dir, configYaml(receiver, '    max_attempts: 3', '    []'));
  });
  afterAll(async () => {
    await gw.gateway.close();
    await receiver.close();
    await dir.remove();
  });

  it('sets, keeps, rotates and removes a key’s webhook; the secret is shown only when generated', async () => {
    const created = await call<KeyReply>(gw, 'POST', '/key/generate', {});
    expect(created.body.webhook_url).toBeUndefined();
    const { key, token } = created.body;

    const set = await call<KeyReply>(gw, 'POST', '/key/update', { key, webhook_url: 'https://tenant.example/hook' });
    expect(set.status).toBe(200);
    expect(set.body.webhook_url).toBe('https://tenant.example/hook');
    const generated = set.body.webhook_secret;
    expect(generated).toMatch(/^whsec_/);
    expect((await gw.gateway.store.keys.get(token))?.webhookSecret).toBe(generated);

    // A new URL keeps the secret (and does not show it again).
    const moved = await call<KeyReply>(gw, 'POST', '/key/update', { key: token, webhook_url: 'https://tenant.example/v2' });
    expect(moved.body.webhook_secret).toBeUndefined();
    expect(await gw.gateway.store.keys.get(token)).toMatchObject({ webhookUrl: 'https://tenant.example/v2', webhookSecret: generated });

    // The tenant's own secret replaces it; other updates leave the webhook alone.
    await call(gw, 'POST', '/key/update', { key, webhook_secret: TENANT_3_SECRET });
    await call(gw, 'POST', '/key/update', { key, max_budget: 5 });
    expect(await gw.gateway.store.keys.get(token)).toMatchObject({ webhookUrl: 'https://tenant.example/v2', webhookSecret: TENANT_3_SECRET, maxBudget: 5 });
    const listed = await call<{ keys: Array<Record<string, unknown>> }>(gw, 'GET', '/key/list?return_full_object=true');
    expect(JSON.stringify(listed.body)).not.toContain(TENANT_3_SECRET);

    // null removes the endpoint and its secret; a later URL gets a fresh secret.
    await call(gw, 'POST', '/key/update', { key, webhook_url: null });
    const cleared = await gw.gateway.store.keys.get(token);
    expect([cleared?.webhookUrl ?? null, cleared?.webhookSecret ?? null]).toEqual([null, null]);
    const again = await call<KeyReply>(gw, 'POST', '/key/update', { key, webhook_url: 'https://tenant.example/v3' });
    expect(again.body.webhook_secret).toMatch(/^whsec_/);
    expect(again.body.webhook_secret).not.toBe(generated);
  });

  it('refuses a URL that is not http(s), a secret without a URL, and a broken whsec_ secret', async () => {
    const { key } = (await call<KeyReply>(gw, 'POST', '/key/generate', {})).body;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ webhook_url: 'ftp://files.example/x' }, 'webhook_url'],
      [{ webhook_url: 'not a url' }, 'webhook_url'],
      [{ webhook_secret: 'whsec_c2VjcmV0' }, 'webhook_secret'],
      [{ webhook_url: 'https://ok.example/h', webhook_secret: 'whsec_***' }, 'webhook_secret'],
    ];
    for (const [body, param] of cases) {
      const res = await call<{ error: { param: string | null } }>(gw, 'POST', '/key/update', { key, ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    const res = await call<{ error: { param: string | null } }>(gw, 'POST', '/key/generate', { webhook_url: 'javascript:alert(1)' });
    expect(res.status).toBe(400);
  });
});

describe('webhooks: a process killed mid-send', () => {
  const receiver = new Receiver();
  let dir: TempDir;
  let gw: RunningGateway | undefined;

  beforeAll(async () => {
    await receiver.start();
    dir = await tempDir('bg-webhooks-killed-');
  });
  afterAll(async () => {
    await gw?.gateway.close();
    await receiver.close();
    await dir.remove();
  });

  it('leaves a claim that the next process takes over once its lease expires, and delivers', async () => {
    receiver.secrets.set('/ops', OPS_SECRET);
    receiver.behaviour = () => 'ok';
    // The batch finished and its webhook was enqueued; then a delivery loop claimed it and the
    // process died (SIGKILL: no lease released, no attempt refunded).
    const store = await createStore({ databaseUrl: null, dataDir: dir.path });
    const configured = [{ url: `${receiver.url}/ops`, secret: OPS_SECRET, events: ['batch.expired' as const], teamIds: null }];
    await new WebhookEventSink({ outbox: store.outbox, endpoints: new WebhookEndpoints(configured, store.keys), clock: { now: () => Date.now() } }).emit(
      finished('batch_k', { keyHash: null, userId: null, teamId: null }, 'expired'),
    );
    const [claim] = await store.outbox.claimDue({ nowMs: Date.now(), limit: 1, owner: 'killed-process', leaseMs: 1_500 });
    await store.close();
    expect(claim?.entry.attempts).toBe(1);

    const started = Date.now();
    gw = await startGateway(
      dir,
      configYaml(
        receiver,
        `    max_attempts: 5
    initial_backoff_seconds: 0.05
    max_backoff_seconds: 0.1
    timeout_seconds: 2
    poll_interval_seconds: 0.05`,
        `    - url: RECEIVER/ops
      secret: os.environ/OPS_SECRET
      events: [batch.expired]`,
      ),
    );
    await expect.poll(async () => (await gw!.gateway.store.outbox.listForBatch('batch_k'))[0]?.state, { timeout: 10_000 }).toBe('delivered');
    // Not before the dead process's lease ran out, and then exactly once, as attempt 2.
    const [row] = await gw.gateway.store.outbox.listForBatch('batch_k');
    expect(row?.attempts).toBe(2);
    expect(receiver.processed()).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(receiver.processed()[0]?.id).toBe(claim?.entry.webhookId);
  });
});

const backends = backendsFor(await postgresForTests());

describe.each(backends.map((b) => [b.name, b] as const))('webhooks: several delivery loops over one %s database', (_name, backend) => {
  const receiver = new Receiver();
  const opened: Array<{ dispose(): Promise<void> }> = [];

  beforeAll(async () => {
    await receiver.start();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.dispose()));
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('never sends one webhook from two loops at once', async () => {
    const db = await backend.open();
    opened.push(db);
    const stores = [db.store, await db.reopen(), await db.reopen()];
    const secret = 'whsec_c2hhcmVkLXNlY3JldC1mb3ItdGhlLWxvb3BzLXRlc3Q=';
    receiver.secrets.set('/shared', secret);
    receiver.behaviour = () => 'ok';
    const configured = [{ url: `${receiver.url}/shared`, secret, events: ['batch.completed' as const], teamIds: null }];
    const settings: WebhookDeliverySettings = { maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 50, timeoutMs: 5_000, pollIntervalMs: 10 };
    const clock = { now: () => Date.now() };
    const sender = createWebhookSender({ timeoutMs: settings.timeoutMs });
    const sink = new WebhookEventSink({ outbox: db.store.outbox, endpoints: new WebhookEndpoints(configured, db.store.keys), clock });
    const count = 90;
    for (let i = 0; i < count; i++) await sink.emit(finished(`batch_${i}`, { keyHash: null, userId: null, teamId: null }, 'completed'));
    const loops = stores.map((store, n) =>
      startWebhookDelivery({
        outbox: store.outbox,
        endpoints: new WebhookEndpoints(configured, store.keys),
        transport: sender,
        events: nullEventSink,
        clock,
        logger: silentLogger,
        settings,
        batchSize: 4,
        workerId: `loop-${n}`,
      }),
    );
    try {
      await expect.poll(() => db.store.outbox.countPending(), { timeout: 20_000 }).toBe(0);
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
      await sender.close();
    }
    const ids = receiver.received.map((r) => r.id);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
  });
});
