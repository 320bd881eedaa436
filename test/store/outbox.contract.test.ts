/**
 * The webhook outbox contract: one suite over every backend (SQLite always, PostgreSQL when
 * reachable), each test on a fresh database. Idempotent enqueue, claims that lease and count
 * attempts, fenced writes, due times, and concurrent claimers that never hold one row together.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewOutboxEntry, OutboxClaim, Store } from '../../src/domain/ports/store.js';
import { postgresForTests } from '../helpers/postgres.js';
import { backendsFor } from './backends.js';
import type { OpenedBackend } from './backends.js';
import { T0, keyRecord } from './fixtures.js';

const backends = backendsFor(await postgresForTests());

const LEASE = 30_000;

const entry = (n: number, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
  webhookId: `evt_${String(n).padStart(32, '0')}`,
  eventType: 'batch.completed',
  batchId: `batch_${n}`,
  payload: JSON.stringify({ object: 'event', id: `evt_${n}`, type: 'batch.completed', created_at: 1_760_000_000, data: { id: `batch_${n}` }, note: 'ünïcödé "q"' }),
  target: { kind: 'config', url: `https://hooks.example.com/${n}?token=abc` },
  url: `https://hooks.example.com/${n}?token=abc`,
  createdAtMs: T0 + n,
  ...over,
});

const ids = (claims: readonly OutboxClaim[]): string[] => claims.map((c) => c.entry.webhookId);

for (const backend of backends) {
  describe(`outbox contract: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.dispose();
    });

    it('round-trips every field of an entry, and starts it pending and due at once', async () => {
      const e = entry(1, { target: { kind: 'key', keyHash: 'a'.repeat(64) } });
      expect(await store.outbox.enqueue([e])).toBe(1);
      expect(await store.outbox.get(e.webhookId)).toEqual({
        ...e,
        state: 'pending',
        attempts: 0,
        nextAttemptAtMs: e.createdAtMs,
        lastError: null,
        updatedAtMs: e.createdAtMs,
        finishedAtMs: null,
      });
      expect(await store.outbox.get('evt_missing')).toBeUndefined();
    });

    it('enqueues idempotently: an id already there is left as it is', async () => {
      expect(await store.outbox.enqueue([entry(1), entry(2)])).toBe(2);
      const [claim] = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      expect(claim?.entry.webhookId).toBe(entry(1).webhookId);
      // Same ids again, with a different body: nothing is added or overwritten, the claim stands.
      expect(await store.outbox.enqueue([entry(1, { payload: '{"other":true}' }), entry(2), entry(3)])).toBe(1);
      const first = await store.outbox.get(entry(1).webhookId);
      expect(first?.payload).toBe(entry(1).payload);
      expect(first?.attempts).toBe(1);
      expect(await store.outbox.countPending()).toBe(3);
      expect(await store.outbox.enqueue([])).toBe(0);
    });

    it('enqueues large lists and concurrent duplicates once', async () => {
      const many = Array.from({ length: 450 }, (_, i) => entry(i));
      const results = await Promise.all([store.outbox.enqueue(many), store.outbox.enqueue(many), store.outbox.enqueue(many)]);
      expect(results.reduce((a, b) => a + b, 0)).toBe(450);
      expect(await store.outbox.countPending()).toBe(450);
    });

    it('claims due rows oldest first, counts an attempt and leases them', async () => {
      await store.outbox.enqueue([entry(3), entry(1), entry(2), entry(9, { createdAtMs: T0 + 1_000 })]);
      const claims = await store.outbox.claimDue({ nowMs: T0 + 100, limit: 10, owner: 'w1', leaseMs: LEASE });
      expect(ids(claims)).toEqual([entry(1), entry(2), entry(3)].map((e) => e.webhookId));
      for (const c of claims) {
        expect(c.entry.attempts).toBe(1);
        expect(c.fence.owner).toBe('w1');
      }
      // Leased: nobody else gets them while the lease holds; the one not yet due stays.
      expect(await store.outbox.claimDue({ nowMs: T0 + 200, limit: 10, owner: 'w2', leaseMs: LEASE })).toEqual([]);
      const later = await store.outbox.claimDue({ nowMs: T0 + 1_000, limit: 10, owner: 'w2', leaseMs: LEASE });
      expect(ids(later)).toEqual([entry(9).webhookId]);
    });

    it('honours the limit', async () => {
      await store.outbox.enqueue([entry(1), entry(2), entry(3)]);
      expect(await store.outbox.claimDue({ nowMs: T0 + 10, limit: 0, owner: 'w', leaseMs: LEASE })).toEqual([]);
      const two = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 2, owner: 'w', leaseMs: LEASE });
      expect(ids(two)).toEqual([entry(1).webhookId, entry(2).webhookId]);
    });

    it('marks a claimed row delivered once, and never hands it out again', async () => {
      await store.outbox.enqueue([entry(1)]);
      const [claim] = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      if (claim === undefined) throw new Error('no claim');
      expect(await store.outbox.markDelivered(claim.entry.webhookId, claim.fence, T0 + 20)).toBe(true);
      expect(await store.outbox.markDelivered(claim.entry.webhookId, claim.fence, T0 + 21)).toBe(false);
      const done = await store.outbox.get(claim.entry.webhookId);
      expect(done).toMatchObject({ state: 'delivered', attempts: 1, finishedAtMs: T0 + 20, lastError: null });
      expect(await store.outbox.claimDue({ nowMs: T0 + 10 * LEASE, limit: 10, owner: 'w2', leaseMs: LEASE })).toEqual([]);
      expect(await store.outbox.countPending()).toBe(0);
    });

    it('reschedules a failed attempt: due again at its time, with the error kept', async () => {
      await store.outbox.enqueue([entry(1)]);
      const [claim] = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      if (claim === undefined) throw new Error('no claim');
      expect(await store.outbox.retryLater(claim.entry.webhookId, claim.fence, { lastError: 'receiver answered HTTP 500', nextAttemptAtMs: T0 + 5_000, atMs: T0 + 20 })).toBe(true);
      expect(await store.outbox.get(claim.entry.webhookId)).toMatchObject({
        state: 'pending',
        attempts: 1,
        nextAttemptAtMs: T0 + 5_000,
        lastError: 'receiver answered HTTP 500',
        updatedAtMs: T0 + 20,
      });
      // The lease is released, but the row is not due before its time.
      expect(await store.outbox.claimDue({ nowMs: T0 + 4_999, limit: 1, owner: 'w2', leaseMs: LEASE })).toEqual([]);
      const [again] = await store.outbox.claimDue({ nowMs: T0 + 5_000, limit: 1, owner: 'w2', leaseMs: LEASE });
      expect(again?.entry.attempts).toBe(2);
      expect(again?.fence.owner).toBe('w2');
    });

    it('uncounts a refunded attempt', async () => {
      await store.outbox.enqueue([entry(1)]);
      const [claim] = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      if (claim === undefined) throw new Error('no claim');
      await store.outbox.retryLater(claim.entry.webhookId, claim.fence, { lastError: 'interrupted by shutdown', nextAttemptAtMs: T0 + 10, atMs: T0 + 11, refundAttempt: true });
      expect((await store.outbox.get(claim.entry.webhookId))?.attempts).toBe(0);
    });

    it('gives a row up for good', async () => {
      await store.outbox.enqueue([entry(1)]);
      const [claim] = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      if (claim === undefined) throw new Error('no claim');
      expect(await store.outbox.giveUp(claim.entry.webhookId, claim.fence, { lastError: 'receiver answered HTTP 410', atMs: T0 + 30 })).toBe(true);
      expect(await store.outbox.get(claim.entry.webhookId)).toMatchObject({ state: 'given_up', finishedAtMs: T0 + 30, lastError: 'receiver answered HTTP 410' });
      expect(await store.outbox.claimDue({ nowMs: T0 + 10 * LEASE, limit: 1, owner: 'w2', leaseMs: LEASE })).toEqual([]);
      expect(await store.outbox.retryLater(claim.entry.webhookId, claim.fence, { lastError: 'x', nextAttemptAtMs: T0, atMs: T0 })).toBe(false);
    });

    it('hands an expired claim to another claimer and fences the old one out', async () => {
      await store.outbox.enqueue([entry(1)]);
      const [stale] = await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      if (stale === undefined) throw new Error('no claim');
      expect(await store.outbox.claimDue({ nowMs: T0 + 10 + LEASE - 1, limit: 1, owner: 'w2', leaseMs: LEASE })).toEqual([]);
      const [fresh] = await store.outbox.claimDue({ nowMs: T0 + 10 + LEASE, limit: 1, owner: 'w2', leaseMs: LEASE });
      if (fresh === undefined) throw new Error('no second claim');
      expect(fresh.entry.attempts).toBe(2);
      expect(fresh.fence.token).toBeGreaterThan(stale.fence.token);
      // The first claimer wakes up: each of its writes is refused.
      expect(await store.outbox.markDelivered(stale.entry.webhookId, stale.fence, T0 + LEASE + 20)).toBe(false);
      expect(await store.outbox.retryLater(stale.entry.webhookId, stale.fence, { lastError: 'late', nextAttemptAtMs: T0, atMs: T0 })).toBe(false);
      expect(await store.outbox.giveUp(stale.entry.webhookId, stale.fence, { lastError: 'late', atMs: T0 })).toBe(false);
      // Same owner name, older token: refused too (a restarted process reusing its id).
      expect(await store.outbox.markDelivered(stale.entry.webhookId, { owner: 'w2', token: stale.fence.token }, T0)).toBe(false);
      expect(await store.outbox.markDelivered(fresh.entry.webhookId, fresh.fence, T0 + LEASE + 30)).toBe(true);
    });

    it('lists one batch’s rows and counts the pending ones', async () => {
      await store.outbox.enqueue([
        entry(1, { batchId: 'batch_x', target: { kind: 'config', url: 'https://a.example/h' } }),
        entry(2, { batchId: 'batch_x', target: { kind: 'key', keyHash: 'b'.repeat(64) } }),
        entry(3, { batchId: 'batch_y' }),
      ]);
      const rows = await store.outbox.listForBatch('batch_x');
      expect(rows.map((r) => r.webhookId)).toEqual([entry(1).webhookId, entry(2).webhookId]);
      expect(rows.map((r) => r.target)).toEqual([
        { kind: 'config', url: 'https://a.example/h' },
        { kind: 'key', keyHash: 'b'.repeat(64) },
      ]);
      expect(await store.outbox.listForBatch('batch_none')).toEqual([]);
      expect(await store.outbox.countPending()).toBe(3);
    });

    it('survives a reopen (a restart): rows, attempts and leases are in the store', async () => {
      await store.outbox.enqueue([entry(1), entry(2)]);
      await store.outbox.claimDue({ nowMs: T0 + 10, limit: 1, owner: 'w1', leaseMs: LEASE });
      const again = await opened.reopen();
      expect(await again.outbox.countPending()).toBe(2);
      const claims = await again.outbox.claimDue({ nowMs: T0 + 20, limit: 10, owner: 'w2', leaseMs: LEASE });
      expect(ids(claims)).toEqual([entry(2).webhookId]);
      const afterLease = await again.outbox.claimDue({ nowMs: T0 + 10 + LEASE, limit: 10, owner: 'w2', leaseMs: LEASE });
      expect(ids(afterLease)).toEqual([entry(1).webhookId]);
      expect(afterLease[0]?.entry.attempts).toBe(2);
    });

    it('never gives one row to two concurrent claimers (two stores over one database)', async () => {
      const rows = Array.from({ length: 120 }, (_, i) => entry(i, { createdAtMs: T0 }));
      await store.outbox.enqueue(rows);
      const other = await opened.reopen();
      const claimers = [store, other, store, other].map((s, n) => async (): Promise<string[]> => {
        const mine: string[] = [];
        for (;;) {
          const claims = await s.outbox.claimDue({ nowMs: T0 + 1, limit: 7, owner: `w${n}`, leaseMs: LEASE });
          if (claims.length === 0) return mine;
          mine.push(...ids(claims));
        }
      });
      const taken = await Promise.all(claimers.map((c) => c()));
      const all = taken.flat();
      expect(all).toHaveLength(rows.length);
      expect(new Set(all).size).toBe(rows.length);
    });

    it('keeps a key’s webhook url and secret, and clears them', async () => {
      await store.keys.insert(keyRecord({ webhookUrl: 'https://tenant.example/hook', webhookSecret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }));
      expect(await store.keys.get('hash-a')).toMatchObject({ webhookUrl: 'https://tenant.example/hook', webhookSecret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' });
      await store.keys.update('hash-a', { webhookUrl: null, webhookSecret: null });
      const cleared = await store.keys.get('hash-a');
      expect([cleared?.webhookUrl ?? null, cleared?.webhookSecret ?? null]).toEqual([null, null]);
      // A key without a webhook reads exactly as it is written (no webhook fields at all).
      await store.keys.insert(keyRecord({ keyHash: 'hash-b', keyAlias: 'b' }));
      expect(await store.keys.get('hash-b')).toEqual(keyRecord({ keyHash: 'hash-b', keyAlias: 'b' }));
    });
  });
}
