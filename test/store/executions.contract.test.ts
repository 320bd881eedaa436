/**
 * The gateway-executed batches contract: one suite over every backend (SQLite always, PostgreSQL
 * when reachable), each test on a fresh database. Insert-or-nothing executions, fenced leases on
 * executions and chunks, claims that never overlap (two stores over one database), write-once
 * results, the unfenced compare-and-set, and the poll schedule's `pollSoon`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChunkLease, ChunkRecord, ExecutionRecord, ExecutionResult } from '../../src/domain/ports/executions.js';
import type { Store } from '../../src/domain/ports/store.js';
import { postgresForTests } from '../helpers/postgres.js';
import { backendsFor } from './backends.js';
import type { OpenedBackend } from './backends.js';
import { T0, batchRecord } from './fixtures.js';

const backends = backendsFor(await postgresForTests());

const LEASE = 30_000;

/** Every field set, and times past 2^32, so a column that drops or truncates one would show. */
const execution = (batchId: string, over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  batchId,
  deploymentId: 'dep-gateway',
  modelGroup: 'gpt-4o',
  inputRef: `inputs/${batchId}.jsonl`,
  endpoint: '/v1/chat/completions',
  completionWindow: '24h',
  metadata: { project: 'alpha', 'note with spaces': 'ünïcödé "quoted"' },
  status: 'validating',
  stopReason: null,
  errors: [{ code: 'invalid_json', message: 'line 3 is not JSON', param: null, line: 3 }],
  total: 0,
  completed: 0,
  failed: 0,
  outputRef: null,
  errorRef: null,
  createdAtMs: T0,
  expiresAtMs: T0 + 86_400_000,
  inProgressAtMs: null,
  cancellingAtMs: null,
  finalizingAtMs: null,
  endedAtMs: null,
  nextStepAtMs: T0,
  updatedAtMs: T0,
  ...over,
});

/** `count` chunks of 10 lines each, 1 000 bytes apart. */
const chunksOf = (count: number): Omit<ChunkRecord, 'state'>[] =>
  Array.from({ length: count }, (_, i) => ({ batchId: 'ignored', chunkNo: i, firstLine: i * 10, lineCount: 10, byteStart: i * 1_000 }));

const result = (batchId: string, lineNo: number, over: Partial<ExecutionResult> = {}): ExecutionResult => ({
  batchId,
  lineNo,
  customId: `req-${lineNo}`,
  outcome: 'ok',
  line: JSON.stringify({ id: `batch_req_${lineNo}`, custom_id: `req-${lineNo}`, response: { status_code: 200, body: { note: 'ünï "q"' } }, error: null }),
  costUsd: 0.001,
  createdAtMs: T0 + lineNo,
  ...over,
});

const chunkKeys = (leases: readonly ChunkLease[]): string[] => leases.map((l) => `${l.chunk.batchId}#${l.chunk.chunkNo}`);

for (const backend of backends) {
  describe(`executions contract: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.dispose();
    });

    /** An execution that is running, with `count` chunks stored. */
    async function running(batchId: string, count: number, over: Partial<ExecutionRecord> = {}): Promise<void> {
      // Validating and due at T0 (executions started before are due at T0 + 60 s).
      expect(await store.executions.insert(execution(batchId, { nextStepAtMs: T0, ...over }))).toBe(true);
      const leases = await store.executions.claimDue({ nowMs: T0, owner: 'validator', leaseMs: LEASE, limit: 100 });
      const lease = leases.find((l) => l.execution.batchId === batchId);
      if (lease === undefined) throw new Error(`could not lease ${batchId}`);
      const chunks = chunksOf(count).map((c) => ({ ...c, batchId }));
      const patch = { status: 'in_progress' as const, total: count * 10, inProgressAtMs: T0 + 1, nextStepAtMs: T0 + 60_000 };
      expect(await store.executions.startChunks(batchId, lease.fence, chunks, patch, T0 + 1)).toBe(true);
    }

    describe('executions', () => {
      it('round-trips every field, and nulls; insert is insert-or-nothing', async () => {
        const full = execution('batch_full');
        const bare = execution('batch_bare', { modelGroup: null, metadata: null, errors: null, nextStepAtMs: null });
        expect(await store.executions.insert(full)).toBe(true);
        expect(await store.executions.insert(bare)).toBe(true);
        expect(await store.executions.get('batch_full')).toEqual(full);
        expect(await store.executions.get('batch_bare')).toEqual(bare);
        expect(await store.executions.get('batch_missing')).toBeUndefined();

        // A second insert for the batch changes nothing.
        expect(await store.executions.insert(execution('batch_full', { status: 'failed', deploymentId: 'other', total: 9 }))).toBe(false);
        expect(await store.executions.get('batch_full')).toEqual(full);
        const [a, b] = await Promise.all([
          store.executions.insert(execution('batch_race')),
          store.executions.insert(execution('batch_race', { deploymentId: 'dep-other' })),
        ]);
        expect([a, b].filter(Boolean)).toHaveLength(1);
      });

      it('lists executions created since a time, newest first, at most limit', async () => {
        for (const [id, at] of [['e1', T0], ['e2', T0 + 2], ['e3', T0 + 1], ['e4', T0 + 2], ['e0', T0 - 1]] as const) {
          await store.executions.insert(execution(id, { createdAtMs: at }));
        }
        const ids = async (since: number, limit: number) => (await store.executions.listCreatedSince(since, limit)).map((e) => e.batchId);
        expect(await ids(T0, 10)).toEqual(['e4', 'e2', 'e3', 'e1']);
        expect(await ids(T0 + 1, 2)).toEqual(['e4', 'e2']);
        expect(await ids(T0 + 3, 10)).toEqual([]);
        expect((await store.executions.listCreatedSince(T0 + 2, 1))[0]).toEqual(execution('e4', { createdAtMs: T0 + 2 }));
      });

      it('counts the executions not yet ended that read an input', async () => {
        await store.executions.insert(execution('a', { inputRef: 'inputs/f1.jsonl' }));
        await store.executions.insert(execution('b', { inputRef: 'inputs/f1.jsonl', status: 'in_progress' }));
        await store.executions.insert(execution('c', { inputRef: 'inputs/f1.jsonl', status: 'completed' }));
        await store.executions.insert(execution('d', { inputRef: 'inputs/f2.jsonl', status: 'cancelled' }));
        expect(await store.executions.countActiveForInput('inputs/f1.jsonl')).toBe(2);
        expect(await store.executions.countActiveForInput('inputs/f2.jsonl')).toBe(0);
        expect(await store.executions.countActiveForInput('inputs/none.jsonl')).toBe(0);
      });
    });

    describe('phase leases', () => {
      it('claims only due executions, oldest due first, up to limit, and leases them once', async () => {
        await store.executions.insert(execution('due_late', { nextStepAtMs: T0 + 5 }));
        await store.executions.insert(execution('due_early', { nextStepAtMs: T0 + 1 }));
        await store.executions.insert(execution('not_due', { nextStepAtMs: T0 + 1_000 }));
        await store.executions.insert(execution('terminal', { status: 'completed', nextStepAtMs: null }));
        await store.executions.insert(execution('due_third', { nextStepAtMs: T0 + 7 }));

        const first = await store.executions.claimDue({ nowMs: T0 + 10, owner: 'w1', leaseMs: LEASE, limit: 2 });
        expect(first.map((l) => l.execution.batchId)).toEqual(['due_early', 'due_late']);
        expect(first[0]?.execution).toEqual(execution('due_early', { nextStepAtMs: T0 + 1 }));
        expect(first.every((l) => l.fence.owner === 'w1' && l.fence.token > 0)).toBe(true);

        // Held leases are not claimed again; what is left due is.
        const second = await store.executions.claimDue({ nowMs: T0 + 11, owner: 'w2', leaseMs: LEASE, limit: 10 });
        expect(second.map((l) => l.execution.batchId)).toEqual(['due_third']);
        expect(await store.executions.claimDue({ nowMs: T0 + 12, owner: 'w3', leaseMs: LEASE, limit: 10 })).toEqual([]);
        expect(await store.executions.claimDue({ nowMs: T0 + 12, owner: 'w3', leaseMs: LEASE, limit: 0 })).toEqual([]);
      });

      it('gives a due execution to exactly one of two concurrent claimers', async () => {
        for (let i = 0; i < 20; i++) await store.executions.insert(execution(`batch_${String(i).padStart(2, '0')}`, { nextStepAtMs: T0 + i }));
        const other = await opened.reopen();
        const [mine, theirs] = await Promise.all([
          store.executions.claimDue({ nowMs: T0 + 100, owner: 'w1', leaseMs: LEASE, limit: 15 }),
          other.executions.claimDue({ nowMs: T0 + 100, owner: 'w2', leaseMs: LEASE, limit: 15 }),
        ]);
        const all = [...mine, ...theirs].map((l) => l.execution.batchId);
        expect(new Set(all).size).toBe(all.length);
        expect(all.length).toBeGreaterThanOrEqual(15);
        expect(all.length).toBeLessThanOrEqual(20);
      });

      it('lets an expired lease be retaken with a bumped token, and refuses the old fence', async () => {
        await store.executions.insert(execution('batch_x', { nextStepAtMs: T0 }));
        const [lease] = await store.executions.claimDue({ nowMs: T0, owner: 'w1', leaseMs: 1_000, limit: 10 });
        if (lease === undefined) throw new Error('no lease');
        // Still held just before it expires.
        expect(await store.executions.claimDue({ nowMs: T0 + 999, owner: 'w2', leaseMs: 1_000, limit: 10 })).toEqual([]);
        const [stolen] = await store.executions.claimDue({ nowMs: T0 + 1_000, owner: 'w2', leaseMs: 1_000, limit: 10 });
        if (stolen === undefined) throw new Error('expired lease not retaken');
        expect(stolen.fence.token).toBeGreaterThan(lease.fence.token);

        // The first holder's writes are refused; the record is untouched.
        expect(await store.executions.release('batch_x', lease.fence, { status: 'failed', nextStepAtMs: null }, T0 + 1_001)).toBe(false);
        expect(await store.executions.release('batch_x', { owner: 'w3', token: stolen.fence.token }, { status: 'failed' }, T0 + 1_001)).toBe(false);
        expect((await store.executions.get('batch_x'))?.status).toBe('validating');

        // The holder's release applies the patch, stamps the time and frees the lease.
        const patch = { status: 'in_progress' as const, total: 42, errors: null, nextStepAtMs: T0 + 2_000, inProgressAtMs: T0 + 1_500 };
        expect(await store.executions.release('batch_x', stolen.fence, patch, T0 + 1_500)).toBe(true);
        expect(await store.executions.get('batch_x')).toEqual(execution('batch_x', { ...patch, updatedAtMs: T0 + 1_500 }));
        expect(await store.executions.release('batch_x', stolen.fence, {}, T0 + 1_600)).toBe(false);
        // Free again: claimable as soon as it is due, not before.
        expect(await store.executions.claimDue({ nowMs: T0 + 1_999, owner: 'w4', leaseMs: 1_000, limit: 10 })).toEqual([]);
        const [again] = await store.executions.claimDue({ nowMs: T0 + 2_000, owner: 'w4', leaseMs: 1_000, limit: 10 });
        expect(again?.fence.token).toBeGreaterThan(stolen.fence.token);
        expect(again?.execution.total).toBe(42);
      });

      it('stores the chunks and applies the patch in one step under the fence', async () => {
        await store.executions.insert(execution('batch_v'));
        const [lease] = await store.executions.claimDue({ nowMs: T0, owner: 'w1', leaseMs: 1_000, limit: 1 });
        if (lease === undefined) throw new Error('no lease');
        // More chunks than one INSERT takes.
        const chunks = chunksOf(1_200).map((c) => ({ ...c, batchId: 'batch_v' }));
        const patch = { status: 'in_progress' as const, total: 12_000, inProgressAtMs: T0 + 5, nextStepAtMs: T0 + 60_000 };
        expect(await store.executions.startChunks('batch_v', lease.fence, chunks, patch, T0 + 5)).toBe(true);
        expect(await store.executions.get('batch_v')).toEqual(execution('batch_v', { ...patch, updatedAtMs: T0 + 5 }));
        expect(await store.executions.chunkProgress('batch_v', T0 + 5)).toEqual({ todo: 1_200, leased: 0, done: 0 });
        // The lease was freed with it.
        expect(await store.executions.release('batch_v', lease.fence, {}, T0 + 6)).toBe(false);
        const [next] = await store.executions.claimDue({ nowMs: T0 + 60_000, owner: 'w2', leaseMs: 1_000, limit: 1 });
        expect(next?.execution.batchId).toBe('batch_v');
      });

      it('stores no chunk and changes nothing when the fence was lost', async () => {
        await store.executions.insert(execution('batch_lost'));
        const [lease] = await store.executions.claimDue({ nowMs: T0, owner: 'w1', leaseMs: 1_000, limit: 1 });
        const [stolen] = await store.executions.claimDue({ nowMs: T0 + 5_000, owner: 'w2', leaseMs: 1_000, limit: 1 });
        if (lease === undefined || stolen === undefined) throw new Error('no lease');
        const chunks = chunksOf(3).map((c) => ({ ...c, batchId: 'batch_lost' }));
        expect(await store.executions.startChunks('batch_lost', lease.fence, chunks, { status: 'in_progress', total: 30 }, T0 + 5_001)).toBe(false);
        expect(await store.executions.get('batch_lost')).toEqual(execution('batch_lost'));
        expect(await store.executions.chunkProgress('batch_lost', T0 + 5_001)).toEqual({ todo: 0, leased: 0, done: 0 });
        // The holder can still release it.
        expect(await store.executions.release('batch_lost', stolen.fence, { status: 'failed', nextStepAtMs: null }, T0 + 5_002)).toBe(true);
      });
    });

    describe('chunks', () => {
      it('claims chunks only of running executions without a stop reason, round-robin over them, oldest first', async () => {
        await running('batch_b', 3, { createdAtMs: T0 + 2 });
        await running('batch_a', 2, { createdAtMs: T0 + 1 });
        await running('batch_stop', 2, { createdAtMs: T0 });
        await store.executions.updateWith('batch_stop', () => ({ stopReason: 'batch_cancelled' }), T0 + 2);
        await running('batch_cancel', 2, { createdAtMs: T0 });
        await store.executions.updateWith('batch_cancel', () => ({ status: 'cancelling', cancellingAtMs: T0 + 2 }), T0 + 2);

        const claimed = await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd1', leaseMs: LEASE, limit: 4 });
        expect(chunkKeys(claimed)).toEqual(['batch_a#0', 'batch_b#0', 'batch_a#1', 'batch_b#1']);
        expect(claimed[0]?.chunk).toEqual({ batchId: 'batch_a', chunkNo: 0, firstLine: 0, lineCount: 10, byteStart: 0, state: 'todo' });
        expect(claimed[3]?.chunk).toEqual({ batchId: 'batch_b', chunkNo: 1, firstLine: 10, lineCount: 10, byteStart: 1_000, state: 'todo' });
        expect(claimed.every((l) => l.fence.owner === 'd1' && l.fence.token > 0)).toBe(true);
        const rest = await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd2', leaseMs: LEASE, limit: 10 });
        expect(chunkKeys(rest)).toEqual(['batch_b#2']);
        expect(await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd3', leaseMs: LEASE, limit: 10 })).toEqual([]);
        expect(await store.executions.chunkProgress('batch_b', T0 + 10)).toEqual({ todo: 3, leased: 3, done: 0 });
        expect(await store.executions.chunkProgress('batch_stop', T0 + 10)).toEqual({ todo: 2, leased: 0, done: 0 });
      });

      it('never gives one chunk to two concurrent claimers', async () => {
        await running('batch_a', 30, { createdAtMs: T0 });
        await running('batch_b', 30, { createdAtMs: T0 + 1 });
        const other = await opened.reopen();
        const third = await opened.reopen();
        const claims = await Promise.all([
          store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd1', leaseMs: LEASE, limit: 25 }),
          other.executions.claimChunks({ nowMs: T0 + 10, owner: 'd2', leaseMs: LEASE, limit: 25 }),
          third.executions.claimChunks({ nowMs: T0 + 10, owner: 'd3', leaseMs: LEASE, limit: 25 }),
          store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd4', leaseMs: LEASE, limit: 25 }),
        ]);
        const all = claims.flatMap(chunkKeys);
        expect(new Set(all).size).toBe(all.length);
        // Whatever is left over is still claimable, and nothing is claimed twice overall.
        const left = await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd5', leaseMs: LEASE, limit: 100 });
        const everything = [...all, ...chunkKeys(left)];
        expect(new Set(everything).size).toBe(60);
        expect(everything).toHaveLength(60);
      });

      it('fences renew, finish and release by the lease; an expired lease is taken over', async () => {
        await running('batch_c', 2);
        const [lease] = await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd1', leaseMs: 1_000, limit: 1 });
        if (lease === undefined) throw new Error('no chunk lease');
        expect(lease.chunk.chunkNo).toBe(0);

        // Renewed, it holds past its first expiry.
        expect(await store.executions.renewChunk(lease, T0 + 5_000)).toBe(true);
        expect(chunkKeys(await store.executions.claimChunks({ nowMs: T0 + 2_000, owner: 'd2', leaseMs: 1_000, limit: 1 }))).toEqual(['batch_c#1']);
        expect(await store.executions.chunkProgress('batch_c', T0 + 2_000)).toEqual({ todo: 2, leased: 2, done: 0 });
        expect(await store.executions.chunkProgress('batch_c', T0 + 4_000)).toEqual({ todo: 2, leased: 1, done: 0 });

        // Expired, another dispatcher takes it with a newer token; the old lease can do nothing.
        const [taken] = await store.executions.claimChunks({ nowMs: T0 + 5_000, owner: 'd3', leaseMs: 1_000, limit: 1 });
        if (taken === undefined) throw new Error('expired chunk not taken over');
        expect(chunkKeys([taken])).toEqual(['batch_c#0']);
        expect(taken.fence.token).toBeGreaterThan(lease.fence.token);
        expect(await store.executions.renewChunk(lease, T0 + 9_000)).toBe(false);
        expect(await store.executions.finishChunk(lease)).toBe(false);
        await store.executions.releaseChunk(lease);
        expect(await store.executions.chunkProgress('batch_c', T0 + 5_000)).toEqual({ todo: 2, leased: 1, done: 0 });
        // Chunk 1's lease (until T0 + 3 s) expired too; chunk 0 is held by d3.
        expect(chunkKeys(await store.executions.claimChunks({ nowMs: T0 + 5_001, owner: 'd4', leaseMs: 1_000, limit: 10 }))).toEqual(['batch_c#1']);

        // The holder finishes it: done, leased no more, never claimed again.
        expect(await store.executions.finishChunk(taken)).toBe(true);
        expect(await store.executions.finishChunk(taken)).toBe(false);
        expect(await store.executions.renewChunk(taken, T0 + 9_000)).toBe(false);
        expect(await store.executions.chunkProgress('batch_c', T0 + 5_001)).toEqual({ todo: 1, leased: 1, done: 1 });
        expect(await store.executions.claimChunks({ nowMs: T0 + 99_000, owner: 'd5', leaseMs: 1_000, limit: 10 }).then(chunkKeys)).toEqual(['batch_c#1']);
      });

      it('releases a chunk back to todo for the next claimer', async () => {
        await running('batch_r', 1);
        const [lease] = await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd1', leaseMs: LEASE, limit: 1 });
        if (lease === undefined) throw new Error('no chunk lease');
        await store.executions.releaseChunk(lease);
        expect(await store.executions.chunkProgress('batch_r', T0 + 11)).toEqual({ todo: 1, leased: 0, done: 0 });
        expect(await store.executions.finishChunk(lease)).toBe(false);
        const [again] = await store.executions.claimChunks({ nowMs: T0 + 11, owner: 'd2', leaseMs: LEASE, limit: 1 });
        expect(again?.chunk).toEqual(lease.chunk);
        expect(again?.fence.token).toBeGreaterThan(lease.fence.token);
      });
    });

    describe('results', () => {
      it('writes a result once: a second one for the line is refused and the first kept', async () => {
        const first = result('batch_r', 4);
        expect(await store.executions.recordResult(first)).toBe(true);
        expect(await store.executions.recordResult(result('batch_r', 4, { outcome: 'error', line: '{"other":true}', costUsd: 9 }))).toBe(false);
        const racing = await Promise.all([store.executions.recordResult(result('batch_r', 5)), store.executions.recordResult(result('batch_r', 5))]);
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect(await store.executions.resultsAfter('batch_r', -1, 10)).toEqual([first, result('batch_r', 5)]);
        expect(await store.executions.costSoFar('batch_r')).toBeCloseTo(0.002, 12);
      });

      it('writes several results in one call, each once: lines with a result and repeats in the call keep their first', async () => {
        const kept = result('batch_m', 1);
        expect(await store.executions.recordResult(kept)).toBe(true);
        expect(await store.executions.recordResults([])).toBe(0);
        const many = Array.from({ length: 1_200 }, (_, n) => result('batch_m', n, { costUsd: 0.5 }));
        const repeat = result('batch_m', 7, { outcome: 'error', line: '{"second":true}', costUsd: 9 });
        // More rows than one statement takes, a line that has a result, and a line twice.
        expect(await store.executions.recordResults([...many.slice(0, 10), repeat, ...many.slice(10)])).toBe(1_199);
        expect(await store.executions.recordResults([result('batch_m', 3), result('batch_m', 1_200)])).toBe(1);
        const stored = await store.executions.resultsAfter('batch_m', -1, 2_000);
        expect(stored.map((r) => r.lineNo)).toEqual(Array.from({ length: 1_201 }, (_, n) => n));
        expect(stored[1]).toEqual(kept);
        expect(stored[7]).toEqual(many[7]);
        expect(await store.executions.resultCounts('batch_m')).toEqual({ ok: 1_201, error: 0 });
      });

      it('answers which lines are done, counts by outcome, the cost so far, and pages in line order', async () => {
        expect(await store.executions.resultCounts('batch_q')).toEqual({ ok: 0, error: 0 });
        expect(await store.executions.costSoFar('batch_q')).toBe(0);
        expect(await store.executions.linesDone('batch_q', 0, 100)).toEqual([]);
        // Out of order, with a neighbour batch that must not leak in.
        for (const n of [7, 2, 9, 0, 5, 3]) {
          await store.executions.recordResult(result('batch_q', n, n % 3 === 0 ? { outcome: 'error', costUsd: 0 } : { costUsd: 0.25 }));
        }
        await store.executions.recordResult(result('batch_other', 1, { costUsd: 100 }));

        expect(await store.executions.linesDone('batch_q', 2, 7)).toEqual([2, 3, 5]);
        expect(await store.executions.linesDone('batch_q', 0, 10)).toEqual([0, 2, 3, 5, 7, 9]);
        expect(await store.executions.linesDone('batch_q', 10, 20)).toEqual([]);
        expect(await store.executions.resultCounts('batch_q')).toEqual({ ok: 3, error: 3 });
        expect(await store.executions.costSoFar('batch_q')).toBeCloseTo(0.75, 12);

        const pages: number[][] = [];
        let after = -1;
        for (let guard = 0; guard < 10; guard++) {
          const page = await store.executions.resultsAfter('batch_q', after, 4);
          if (page.length === 0) break;
          pages.push(page.map((r) => r.lineNo));
          after = page.at(-1)!.lineNo;
        }
        expect(pages).toEqual([[0, 2, 3, 5], [7, 9]]);
        const [zero] = await store.executions.resultsAfter('batch_q', -1, 1);
        expect(zero).toEqual(result('batch_q', 0, { outcome: 'error', costUsd: 0 }));
      });

      it('drops the work rows of one execution and keeps the execution and other batches', async () => {
        await running('batch_d', 3);
        await running('batch_keep', 2);
        await store.executions.recordResult(result('batch_d', 1));
        await store.executions.recordResult(result('batch_keep', 1));
        await store.executions.deleteWorkRows('batch_d');
        expect(await store.executions.resultsAfter('batch_d', -1, 10)).toEqual([]);
        expect(await store.executions.chunkProgress('batch_d', T0)).toEqual({ todo: 0, leased: 0, done: 0 });
        expect((await store.executions.get('batch_d'))?.status).toBe('in_progress');
        expect(await store.executions.resultCounts('batch_keep')).toEqual({ ok: 1, error: 0 });
        expect(await store.executions.chunkProgress('batch_keep', T0)).toEqual({ todo: 2, leased: 0, done: 0 });
        expect(chunkKeys(await store.executions.claimChunks({ nowMs: T0 + 10, owner: 'd1', leaseMs: LEASE, limit: 10 }))).toEqual([
          'batch_keep#0',
          'batch_keep#1',
        ]);
      });
    });

    describe('unfenced changes', () => {
      it('updates with a compare-and-set: concurrent changes are all applied, none lost', async () => {
        await store.executions.insert(execution('batch_u', { status: 'in_progress' }));
        const other = await opened.reopen();
        const bump = (current: ExecutionRecord) => ({ failed: current.failed + 1 });
        await Promise.all([
          store.executions.updateWith('batch_u', bump, T0 + 1),
          other.executions.updateWith('batch_u', bump, T0 + 1),
          store.executions.updateWith('batch_u', bump, T0 + 1),
        ]);
        expect((await store.executions.get('batch_u'))?.failed).toBe(3);

        // Returns the row as written; the current row when there is nothing to change.
        const cancelled = await store.executions.updateWith('batch_u', () => ({ status: 'cancelling', cancellingAtMs: T0 + 7, stopReason: 'batch_cancelled' }), T0 + 7);
        expect(cancelled).toEqual(execution('batch_u', { status: 'cancelling', cancellingAtMs: T0 + 7, stopReason: 'batch_cancelled', failed: 3, updatedAtMs: T0 + 7 }));
        expect(await store.executions.updateWith('batch_u', () => null, T0 + 8)).toEqual(cancelled);
        expect(await store.executions.get('batch_u')).toEqual(cancelled);
        expect(await store.executions.updateWith('batch_missing', () => ({ status: 'failed' }), T0)).toBeUndefined();
      });

      it('keeps an unfenced change made while a phase lease is held, and the lease', async () => {
        await store.executions.insert(execution('batch_l', { status: 'in_progress' }));
        const [lease] = await store.executions.claimDue({ nowMs: T0, owner: 'w1', leaseMs: LEASE, limit: 1 });
        if (lease === undefined) throw new Error('no lease');
        await store.executions.updateWith('batch_l', () => ({ stopReason: 'budget_exceeded', nextStepAtMs: T0 + 1 }), T0 + 1);
        // Still leased: an earlier step does not free it.
        expect(await store.executions.claimDue({ nowMs: T0 + 2, owner: 'w2', leaseMs: LEASE, limit: 1 })).toEqual([]);
        expect(await store.executions.release('batch_l', lease.fence, { completed: 5 }, T0 + 3)).toBe(true);
        const now = await store.executions.get('batch_l');
        expect(now?.stopReason).toBe('budget_exceeded');
        expect(now?.completed).toBe(5);
      });
    });

    describe('pollSoon', () => {
      it('brings a ready batch poll forward, never later, and leaves terminal batches alone', async () => {
        // Stored ready and not terminal: first poll due at updatedAtMs.
        await store.batches.insert(batchRecord({ id: 'batch_live', status: 'in_progress', updatedAtMs: T0 + 1_000 }));
        await store.batches.insert(batchRecord({ id: 'batch_end', status: 'completed', updatedAtMs: T0 }));
        const due = (nowMs: number) => store.polls.claimDue({ nowMs, limit: 10, owner: 'w', leaseMs: 1 }).then((ls) => ls.map((l) => l.batch.id));

        // Later than it is: unchanged.
        await store.polls.pollSoon('batch_live', T0 + 5_000);
        expect(await store.polls.oldestDueMs(T0 + 9_999)).toBe(T0 + 1_000);
        // A terminal batch has no poll to bring forward.
        await store.polls.pollSoon('batch_end', T0);
        await store.polls.pollSoon('batch_missing', T0);
        expect(await store.polls.oldestDueMs(T0 + 999)).toBeNull();

        await store.polls.pollSoon('batch_live', T0 + 100);
        expect(await store.polls.oldestDueMs(T0 + 100)).toBe(T0 + 100);
        expect(await due(T0 + 99)).toEqual([]);
        expect(await due(T0 + 100)).toEqual(['batch_live']);
      });

      it('does not give a batch whose polls ended a poll again', async () => {
        await store.batches.insert(batchRecord({ id: 'batch_idle', status: 'in_progress', updatedAtMs: T0 }));
        const [lease] = await store.polls.claimDue({ nowMs: T0, limit: 1, owner: 'w', leaseMs: 1_000 });
        if (lease === undefined) throw new Error('no poll lease');
        expect(await store.polls.release('batch_idle', lease.fence, { nextPollAtMs: null, attempts: 1 })).toBe(true);
        await store.polls.pollSoon('batch_idle', T0 + 5);
        expect(await store.polls.oldestDueMs(T0 + 99_999)).toBeNull();
      });
    });
  });
}
