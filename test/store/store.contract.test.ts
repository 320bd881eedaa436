/**
 * The store contract: one suite, run against every backend (SQLite always, PostgreSQL when
 * reachable), each test on a fresh empty database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchStatus } from '../../src/contracts/openai.js';
import { BATCH_STATUSES } from '../../src/contracts/openai.js';
import type { ListCursor, Page, RateCharge, Store } from '../../src/domain/ports/store.js';
import type { OwnerScope } from '../../src/domain/principal.js';
import { postgresForTests } from '../helpers/postgres.js';
import { backendsFor } from './backends.js';
import type { OpenedBackend } from './backends.js';
import {
  ADMIN_OWNER,
  T0,
  bareFile,
  batchObject,
  batchRecord,
  copyRecord,
  fileRecord,
  keyRecord,
  owner,
  teamRecord,
} from './fixtures.js';

const backends = backendsFor(await postgresForTests());

const ALL: OwnerScope = { all: true };

interface Listed {
  readonly id: string;
  readonly createdAtMs: number;
}

const cursorOf = (item: Listed): ListCursor => ({ createdAtMs: item.createdAtMs, id: item.id });

/** Ids in listing order: (createdAtMs, id), compared the way both databases compare them. */
function expectedOrder(items: readonly Listed[], order: 'asc' | 'desc'): string[] {
  const sorted = [...items].sort((a, b) =>
    a.createdAtMs !== b.createdAtMs ? a.createdAtMs - b.createdAtMs : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  if (order === 'desc') sorted.reverse();
  return sorted.map((i) => i.id);
}

/** Follows `after` cursors to the end, checking each page's size and hasMore on the way. */
async function walkPages<T extends Listed>(
  limit: number,
  fetchPage: (after: ListCursor | undefined) => Promise<Page<T>>,
): Promise<string[]> {
  const seen: string[] = [];
  let after: ListCursor | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await fetchPage(after);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items.map((i) => i.id));
    const last = page.items.at(-1);
    if (!page.hasMore) return seen;
    expect(page.items).toHaveLength(limit);
    if (last === undefined) throw new Error('hasMore on an empty page');
    after = cursorOf(last);
  }
  throw new Error('pagination did not end');
}

/** Creation times with ties, inserted out of order, so ordering must come from the query. */
const LISTING_TIMES: ReadonlyArray<readonly [string, number]> = [
  ['f03', T0 + 2],
  ['f07', T0],
  ['f01', T0 + 1],
  ['f05', T0],
  ['f02', T0 + 2],
  ['f06', T0],
  ['f04', T0 + 3],
];

const idsOf = (page: Page<Listed>): string[] => page.items.map((i) => i.id);

for (const backend of backends) {
  describe(`store contract: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.dispose();
    });

    describe('store', () => {
      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('opens again over the same database: migrations are idempotent and data is kept', async () => {
        await store.files.insert(fileRecord(), [copyRecord()]);
        const again = await opened.reopen();
        await again.ping();
        expect(await again.files.get('file-0001')).toEqual(fileRecord());
        await again.teams.insert(teamRecord());
        expect(await store.teams.get('team-1')).toEqual(teamRecord());
      });

      it('keeps two databases open side by side apart', async () => {
        // On PostgreSQL these are two schemas of one database, as parallel test files or two
        // deployments sharing a server would use.
        const other = await backend.open();
        try {
          await other.store.teams.insert(teamRecord({ teamId: 'team-other' }));
          await store.teams.insert(teamRecord());
          expect((await store.teams.list()).map((t) => t.teamId)).toEqual(['team-1']);
          expect((await other.store.teams.list()).map((t) => t.teamId)).toEqual(['team-other']);
        } finally {
          await other.dispose();
        }
      });
    });

    describe('files', () => {
      it('round-trips every field, including large numbers and lists', async () => {
        const file = fileRecord({ kind: 'batch_output', sourceBatchId: 'batch_src', status: 'uploaded' });
        await store.files.insert(file, []);
        expect(await store.files.get(file.id)).toEqual(file);
      });

      it('round-trips nulls and empty lists', async () => {
        const file = bareFile('file-bare');
        await store.files.insert(file, []);
        const got = await store.files.get('file-bare');
        expect(got).toEqual(file);
        expect(got?.expiresAt).toBeNull();
        expect(got?.modelGroups).toEqual([]);
        expect(got?.owner).toEqual(ADMIN_OWNER);
      });

      it('returns undefined for an unknown id', async () => {
        expect(await store.files.get('file-missing')).toBeUndefined();
        expect(await store.files.copies('file-missing')).toEqual([]);
      });

      it('stores a file with its copies', async () => {
        const copies = [
          copyRecord({ deploymentId: 'dep-a', upstreamRef: 'up-a', createdAtMs: T0 + 1 }),
          copyRecord({ deploymentId: 'dep-b', upstreamRef: 'up-b', createdAtMs: T0 + 2 }),
        ];
        await store.files.insert(fileRecord(), copies);
        expect(await store.files.copies('file-0001')).toEqual(copies);
        expect(await store.files.findByUpstream('dep-b', 'up-b')).toEqual(fileRecord());
        expect(await store.files.findByUpstream('dep-a', 'up-b')).toBeUndefined();
      });

      it('inserts atomically: a failing copy leaves no file behind', async () => {
        await store.files.insert(fileRecord({ id: 'file-first' }), [copyRecord({ fileId: 'file-first' })]);
        const clash = [
          copyRecord({ fileId: 'file-second', deploymentId: 'dep-other', upstreamRef: 'fresh' }),
          copyRecord({ fileId: 'file-second' }), // same (deployment, upstream ref) as file-first's
        ];
        await expect(store.files.insert(fileRecord({ id: 'file-second' }), clash)).rejects.toThrow();
        expect(await store.files.get('file-second')).toBeUndefined();
        expect(await store.files.findByUpstream('dep-other', 'fresh')).toBeUndefined();
      });

      it('refuses a copy of a file that does not exist', async () => {
        await expect(
          store.files.insert(fileRecord({ id: 'file-real' }), [copyRecord({ fileId: 'file-ghost' })]),
        ).rejects.toThrow();
        expect(await store.files.get('file-real')).toBeUndefined();
      });

      it('mints once per upstream file and then returns the same record', async () => {
        const first = fileRecord({ id: 'file-minted-1' });
        const copy = copyRecord({ fileId: first.id });
        expect(await store.files.mintForUpstream(first, copy)).toEqual(first);

        const second = fileRecord({ id: 'file-minted-2', filename: 'other.jsonl' });
        expect(await store.files.mintForUpstream(second, { ...copy, fileId: second.id })).toEqual(first);
        // Calling again with the very record that won is a no-op too.
        expect(await store.files.mintForUpstream(first, copy)).toEqual(first);

        expect(await store.files.get(second.id)).toBeUndefined();
        expect(await store.files.copies(first.id)).toEqual([copy]);
        expect(await store.files.findByUpstream(copy.deploymentId, copy.upstreamRef)).toEqual(first);
      });

      it('mints exactly one file when callers race for the same upstream file', async () => {
        const candidates = Array.from({ length: 10 }, (_, i) =>
          fileRecord({ id: `file-race-${String(i).padStart(2, '0')}`, createdAtMs: T0 + i }),
        );
        const results = await Promise.all(
          candidates.map((file) =>
            store.files.mintForUpstream(file, copyRecord({ fileId: file.id, upstreamRef: 'up-raced' })),
          ),
        );
        const winner = results[0];
        expect(winner).toBeDefined();
        for (const result of results) expect(result).toEqual(winner);
        expect(candidates.map((c) => c.id)).toContain(winner?.id);

        const stored = await Promise.all(candidates.map((c) => store.files.get(c.id)));
        expect(stored.filter((f) => f !== undefined)).toEqual([winner]);
        const all = await store.files.list({ scope: ALL, order: 'asc', limit: 100 });
        expect(idsOf(all)).toEqual([winner?.id]);
        expect(await store.files.copies(winner?.id ?? '')).toHaveLength(1);
      });

      it('mints one file when racing callers share the same candidate record', async () => {
        const file = fileRecord({ id: 'file-same' });
        const copy = copyRecord({ fileId: file.id });
        const results = await Promise.all(Array.from({ length: 5 }, () => store.files.mintForUpstream(file, copy)));
        for (const result of results) expect(result).toEqual(file);
        expect(await store.files.copies(file.id)).toEqual([copy]);
      });

      it('lists by (createdAtMs, id) in both orders, ties broken by id', async () => {
        for (const [id, createdAtMs] of LISTING_TIMES) await store.files.insert({ ...bareFile(id), createdAtMs }, []);
        const items = LISTING_TIMES.map(([id, createdAtMs]) => ({ id, createdAtMs }));
        // Ties were inserted out of id order, so insertion order cannot pass for the right one.
        for (const order of ['asc', 'desc'] as const) {
          const page = await store.files.list({ scope: ALL, order, limit: 100 });
          expect(idsOf(page)).toEqual(expectedOrder(items, order));
          expect(page.hasMore).toBe(false);
        }
      });

      it('walks every page with after-cursors, without gaps or duplicates', async () => {
        for (const [id, createdAtMs] of LISTING_TIMES) await store.files.insert(fileRecord({ id, createdAtMs }), []);
        const items = LISTING_TIMES.map(([id, createdAtMs]) => ({ id, createdAtMs }));
        for (const order of ['asc', 'desc'] as const) {
          for (const limit of [1, 2, 3, 7]) {
            const walked = await walkPages(limit, (after) => store.files.list({ scope: ALL, order, after, limit }));
            expect(walked).toEqual(expectedOrder(items, order));
          }
        }
        const exact = await store.files.list({ scope: ALL, order: 'asc', limit: 7 });
        expect(exact.hasMore).toBe(false);
        const short = await store.files.list({ scope: ALL, order: 'asc', limit: 6 });
        expect(short.hasMore).toBe(true);
      });

      it('starts strictly after a cursor that sits inside a tie', async () => {
        for (const [id, createdAtMs] of LISTING_TIMES) await store.files.insert({ ...bareFile(id), createdAtMs }, []);
        const after = { createdAtMs: T0, id: 'f06' };
        expect(idsOf(await store.files.list({ scope: ALL, order: 'asc', after, limit: 100 }))).toEqual([
          'f07',
          'f01',
          'f02',
          'f03',
          'f04',
        ]);
        expect(idsOf(await store.files.list({ scope: ALL, order: 'desc', after, limit: 100 }))).toEqual(['f05']);
      });

      it('scopes listings to what the caller may see', async () => {
        await store.files.insert(fileRecord({ id: 'f-a', owner: owner('key-a', 'team-t') }), []);
        await store.files.insert(fileRecord({ id: 'f-b', owner: owner('key-b', 'team-t') }), []);
        await store.files.insert(fileRecord({ id: 'f-c', owner: owner('key-c', null) }), []);
        await store.files.insert(fileRecord({ id: 'f-d', owner: owner('key-d', 'team-u') }), []);
        await store.files.insert(fileRecord({ id: 'f-admin', owner: ADMIN_OWNER }), []);
        const visible = async (scope: OwnerScope): Promise<string[]> =>
          idsOf(await store.files.list({ scope, order: 'asc', limit: 100 })).sort();

        expect(await visible({ all: false, keyHash: 'key-a', teamId: 'team-t' })).toEqual(['f-a', 'f-b']);
        expect(await visible({ all: false, keyHash: 'key-c', teamId: null })).toEqual(['f-c']);
        expect(await visible({ all: false, keyHash: null, teamId: 'team-u' })).toEqual(['f-d']);
        expect(await visible({ all: false, keyHash: 'key-x', teamId: null })).toEqual([]);
        expect(await visible({ all: false, keyHash: null, teamId: null })).toEqual([]);
        expect(await visible(ALL)).toEqual(['f-a', 'f-admin', 'f-b', 'f-c', 'f-d']);
      });

      it('filters by purpose, together with scope and cursor', async () => {
        await store.files.insert(fileRecord({ id: 'f1', purpose: 'batch', createdAtMs: T0 }), []);
        await store.files.insert(fileRecord({ id: 'f2', purpose: 'batch_output', createdAtMs: T0 + 1 }), []);
        await store.files.insert(fileRecord({ id: 'f3', purpose: 'batch', createdAtMs: T0 + 2 }), []);
        await store.files.insert(
          fileRecord({ id: 'f4', purpose: 'batch', createdAtMs: T0 + 3, owner: owner('key-z', null) }),
          [],
        );
        const scope: OwnerScope = { all: false, keyHash: 'hash-a', teamId: null };
        expect(idsOf(await store.files.list({ scope, purpose: 'batch', order: 'asc', limit: 10 }))).toEqual([
          'f1',
          'f3',
        ]);
        const after = { createdAtMs: T0, id: 'f1' };
        expect(idsOf(await store.files.list({ scope, purpose: 'batch', order: 'asc', after, limit: 10 }))).toEqual([
          'f3',
        ]);
        expect(idsOf(await store.files.list({ scope: ALL, purpose: 'vision', order: 'asc', limit: 10 }))).toEqual([]);
      });

      it('deletes one copy, leaving the file and its other copies', async () => {
        const a = copyRecord({ deploymentId: 'dep-a', upstreamRef: 'up-a' });
        const b = copyRecord({ deploymentId: 'dep-b', upstreamRef: 'up-b' });
        await store.files.insert(fileRecord(), [a, b]);
        await store.files.deleteCopy('file-0001', 'dep-a');
        expect(await store.files.copies('file-0001')).toEqual([b]);
        expect(await store.files.findByUpstream('dep-a', 'up-a')).toBeUndefined();
        expect(await store.files.get('file-0001')).toEqual(fileRecord());
        await store.files.deleteCopy('file-0001', 'dep-missing');
        expect(await store.files.copies('file-0001')).toEqual([b]);
      });

      it('deletes a file with its copies, freeing its upstream ref for a new mint', async () => {
        const copy = copyRecord();
        await store.files.insert(fileRecord(), [copy, copyRecord({ deploymentId: 'dep-b', upstreamRef: 'up-b' })]);
        await store.files.insert(fileRecord({ id: 'file-keep' }), [copyRecord({ fileId: 'file-keep', upstreamRef: 'k' })]);
        await store.files.delete('file-0001');
        expect(await store.files.get('file-0001')).toBeUndefined();
        expect(await store.files.copies('file-0001')).toEqual([]);
        expect(await store.files.findByUpstream(copy.deploymentId, copy.upstreamRef)).toBeUndefined();
        expect(await store.files.get('file-keep')).toBeDefined();
        await expect(store.files.delete('file-missing')).resolves.toBeUndefined();

        const fresh = fileRecord({ id: 'file-again' });
        expect(await store.files.mintForUpstream(fresh, { ...copy, fileId: fresh.id })).toEqual(fresh);
      });
    });

    describe('batches', () => {
      it('round-trips every field and the wire object exactly', async () => {
        const batch = batchRecord();
        await store.batches.insert(batch);
        const got = await store.batches.get(batch.id);
        expect(got).toEqual(batch);
        expect(got?.object.metadata).toEqual({ project: 'alpha', 'note with spaces': 'ünïcödé "quoted"' });
        expect(got?.object.finalizing_at).toBeNull();
      });

      it('round-trips a batch with no model group, null metadata and no optional fields', async () => {
        const { model: _model, usage: _usage, ...bare } = batchObject('batch_bare', 'file-x', 'validating');
        const object = { ...bare, errors: null, metadata: null };
        const batch = batchRecord({ id: 'batch_bare', modelGroup: null, object, owner: ADMIN_OWNER });
        await store.batches.insert(batch);
        const got = await store.batches.get('batch_bare');
        expect(got).toEqual(batch);
        expect(got?.object).not.toHaveProperty('usage');
        expect(await store.batches.get('batch_missing')).toBeUndefined();
      });

      it('updates status, object and updatedAtMs only', async () => {
        const batch = batchRecord();
        await store.batches.insert(batch);
        const object = { ...batch.object, status: 'completed' as const, completed_at: 1_760_000_500, output_file_id: 'file-out' };
        await store.batches.updateWith(batch.id, () => ({ status: 'completed', object, updatedAtMs: T0 + 999 }));
        expect(await store.batches.get(batch.id)).toEqual({ ...batch, status: 'completed', object, updatedAtMs: T0 + 999 });
      });

      it('lists newest first with ties, and walks cursors to the end', async () => {
        for (const [id, createdAtMs] of LISTING_TIMES) await store.batches.insert(batchRecord({ id, createdAtMs }));
        const items = LISTING_TIMES.map(([id, createdAtMs]) => ({ id, createdAtMs }));
        const all = await store.batches.list({ scope: ALL, limit: 100 });
        expect(idsOf(all)).toEqual(expectedOrder(items, 'desc'));
        for (const limit of [1, 2, 4]) {
          const walked = await walkPages(limit, (after) => store.batches.list({ scope: ALL, after, limit }));
          expect(walked).toEqual(expectedOrder(items, 'desc'));
        }
      });

      it('lists each batch with its stored wire object and cursor fields only', async () => {
        const batch = batchRecord({ id: 'b-listed', createdAtMs: T0 + 5 });
        await store.batches.insert(batch);
        const [listed, ...more] = (await store.batches.list({ scope: ALL, limit: 10 })).items;
        expect(more).toEqual([]);
        expect(listed?.id).toBe(batch.id);
        expect(listed?.createdAtMs).toBe(batch.createdAtMs);
        // The JSON text the object is kept in, served verbatim by the listing.
        expect(JSON.parse(listed?.objectJson ?? 'null')).toEqual(batch.object);
        expect(Object.keys(listed ?? {}).sort()).toEqual(['createdAtMs', 'id', 'objectJson']);
        const file = fileRecord({ id: 'file-listed', expiresAt: 1_800_000_000 });
        await store.files.insert(file, [copyRecord({ fileId: file.id })]);
        const { id, purpose, filename, bytes, createdAtMs, expiresAt, status } = file;
        expect((await store.files.list({ scope: ALL, order: 'asc', limit: 10 })).items).toEqual([
          { id, purpose, filename, bytes, createdAtMs, expiresAt, status },
        ]);
      });

      it('scopes listings by key and team', async () => {
        await store.batches.insert(batchRecord({ id: 'b-a', owner: owner('key-a', 'team-t') }));
        await store.batches.insert(batchRecord({ id: 'b-b', owner: owner('key-b', 'team-t') }));
        await store.batches.insert(batchRecord({ id: 'b-c', owner: owner('key-c', null) }));
        const visible = async (scope: OwnerScope): Promise<string[]> =>
          idsOf(await store.batches.list({ scope, limit: 100 })).sort();
        expect(await visible({ all: false, keyHash: 'key-b', teamId: 'team-t' })).toEqual(['b-a', 'b-b']);
        expect(await visible({ all: false, keyHash: 'key-c', teamId: null })).toEqual(['b-c']);
        expect(await visible({ all: false, keyHash: null, teamId: null })).toEqual([]);
        expect(await visible(ALL)).toEqual(['b-a', 'b-b', 'b-c']);
      });

      it('filters by model group', async () => {
        await store.batches.insert(batchRecord({ id: 'b1', modelGroup: 'gpt-4o', createdAtMs: T0 }));
        await store.batches.insert(batchRecord({ id: 'b2', modelGroup: 'claude', createdAtMs: T0 + 1 }));
        await store.batches.insert(batchRecord({ id: 'b3', modelGroup: null, createdAtMs: T0 + 2 }));
        await store.batches.insert(batchRecord({ id: 'b4', modelGroup: 'llama', createdAtMs: T0 + 3 }));
        const groups = async (modelGroups: readonly string[] | undefined): Promise<string[]> =>
          idsOf(await store.batches.list({ scope: ALL, limit: 100, modelGroups }));
        expect(await groups(['gpt-4o', 'llama'])).toEqual(['b4', 'b1']);
        expect(await groups(['claude'])).toEqual(['b2']);
        expect(await groups([])).toEqual([]);
        expect(await groups(undefined)).toEqual(['b4', 'b3', 'b2', 'b1']);
      });

      it('counts only the non-terminal batches of an input file', async () => {
        const statuses: readonly BatchStatus[] = BATCH_STATUSES;
        for (const [i, status] of statuses.entries()) {
          await store.batches.insert(batchRecord({ id: `b-${i}`, inputFileId: 'file-in', status }));
        }
        await store.batches.insert(batchRecord({ id: 'b-other', inputFileId: 'file-other', status: 'in_progress' }));
        // validating, in_progress, finalizing, cancelling
        expect(await store.batches.countActiveForInputFile('file-in')).toBe(4);
        expect(await store.batches.countActiveForInputFile('file-other')).toBe(1);
        expect(await store.batches.countActiveForInputFile('file-none')).toBe(0);

        const object = batchObject('b-other', 'file-other', 'completed');
        await store.batches.updateWith('b-other', () => ({ status: 'completed', object, updatedAtMs: T0 + 1 }));
        expect(await store.batches.countActiveForInputFile('file-other')).toBe(0);
      });
    });

    describe('write-ahead records', () => {
      it('keeps a pending upload invisible, with its targets and the copies written so far, until it completes', async () => {
        const file = fileRecord({ id: 'file-pending', expiresAt: null });
        await store.files.insertPending(file, ['dep-a', 'dep-b']);
        await store.files.addCopy(copyRecord({ fileId: file.id, deploymentId: 'dep-a', upstreamRef: 'up-a' }));
        expect(await store.files.get(file.id)).toBeUndefined();
        expect((await store.files.list({ scope: ALL, order: 'asc', limit: 10 })).items).toEqual([]);
        expect(await store.files.findByUpstream('dep-a', 'up-a')).toBeUndefined();

        expect(await store.files.listPending(T0, 10)).toEqual([]);
        const [pending, ...rest] = await store.files.listPending(T0 + 1, 10);
        expect(rest).toEqual([]);
        expect(pending?.file).toEqual(file);
        expect(pending?.targets).toEqual(['dep-a', 'dep-b']);
        expect(pending?.copies.map((c) => c.upstreamRef)).toEqual(['up-a']);

        const final = { ...file, expiresAt: 1_770_000_000 };
        expect(await store.files.complete(final, [])).toBe(true);
        expect(await store.files.get(file.id)).toEqual(final);
        expect(await store.files.listPending(T0 + 1, 10)).toEqual([]);
        expect((await store.files.findByUpstream('dep-a', 'up-a'))?.id).toBe(file.id);
        // Completing twice, or completing what a reconciler removed, reports it.
        expect(await store.files.complete(final, [])).toBe(false);
        await store.files.delete(file.id);
        expect(await store.files.complete(final, [])).toBe(false);
      });

      it('removes a pending upload with its copies', async () => {
        await store.files.insertPending(fileRecord({ id: 'file-gone' }), ['dep-a']);
        await store.files.addCopy(copyRecord({ fileId: 'file-gone', deploymentId: 'dep-a', upstreamRef: 'up-gone' }));
        await store.files.delete('file-gone');
        expect(await store.files.listPending(T0 + 1, 10)).toEqual([]);
        expect(await store.files.copies('file-gone')).toEqual([]);
      });

      it('remembers the url a batch input was validated with', async () => {
        await store.files.insert(fileRecord({ id: 'file-emb', endpoint: '/v1/embeddings' }), []);
        expect((await store.files.get('file-emb'))?.endpoint).toBe('/v1/embeddings');
        await store.files.insert(fileRecord({ id: 'file-none', endpoint: null }), []);
        expect((await store.files.get('file-none'))?.endpoint).toBeNull();
      });

      it('keeps a pending batch invisible until it completes where it landed', async () => {
        const pending = batchRecord({ id: 'batch_pending', deploymentId: '', upstreamRef: '', status: 'validating', updatedAtMs: T0 });
        expect(await store.batches.insertPending(pending, ['dep-a', 'dep-b'], null)).toBe(true);
        expect(await store.batches.get(pending.id)).toBeUndefined();
        expect((await store.batches.list({ scope: ALL, limit: 10 })).items).toEqual([]);
        // A pending create holds its input file like an active batch does.
        expect(await store.batches.countActiveForInputFile(pending.inputFileId)).toBe(1);

        expect(await store.batches.listPending(T0, 10)).toEqual([]);
        const [listed] = await store.batches.listPending(T0 + 1, 10);
        expect(listed?.batch).toEqual(pending);
        expect(listed?.targets).toEqual(['dep-a', 'dep-b']);
        expect(listed?.idempotencyKey).toBeNull();

        const object = batchObject(pending.id, pending.inputFileId, 'in_progress');
        const placement = { deploymentId: 'dep-b', upstreamRef: 'up-batch', modelGroup: 'gpt-4o', status: 'in_progress' as const, object, updatedAtMs: T0 + 9, nextPollAtMs: T0 + 10 };
        expect(await store.batches.complete(pending.id, placement)).toBe(true);
        const { nextPollAtMs: _next, ...visible } = placement;
        expect(await store.batches.get(pending.id)).toEqual({ ...pending, ...visible, refreshedAtMs: T0 + 9 });
        expect((await store.batches.findByUpstream('dep-b', 'up-batch'))?.id).toBe(pending.id);
        expect(await store.batches.complete(pending.id, placement)).toBe(false);
        expect(await store.batches.listPending(T0 + 100, 10)).toEqual([]);
      });

      it('lets one create hold an idempotency key, pending or ready', async () => {
        const idem = { key: 'k-hash', fingerprint: 'f-hash' };
        const first = batchRecord({ id: 'batch_one', deploymentId: '', upstreamRef: '' });
        expect(await store.batches.insertPending(first, ['dep-a'], idem)).toBe(true);
        expect(await store.batches.insertPending(batchRecord({ id: 'batch_two' }), ['dep-a'], idem)).toBe(false);
        expect(await store.batches.listPending(T0 + 10, 10)).toHaveLength(1);
        const found = await store.batches.findByIdempotencyKey('k-hash');
        expect(found?.state).toBe('pending');
        expect(found?.fingerprint).toBe('f-hash');
        expect(found?.batch.id).toBe('batch_one');
        expect((await store.batches.listPending(T0 + 10, 10))[0]?.idempotencyKey).toBe('k-hash');
        // Creates without a key never collide.
        expect(await store.batches.insertPending(batchRecord({ id: 'batch_three' }), ['dep-a'], null)).toBe(true);
        expect(await store.batches.insertPending(batchRecord({ id: 'batch_four' }), ['dep-a'], null)).toBe(true);

        const object = batchObject('batch_one', first.inputFileId, 'validating');
        await store.batches.complete('batch_one', { deploymentId: 'dep-a', upstreamRef: 'up-1', modelGroup: null, status: 'validating', object, updatedAtMs: T0 + 1, nextPollAtMs: null });
        expect((await store.batches.findByIdempotencyKey('k-hash'))?.state).toBe('ready');
        await store.batches.delete('batch_one');
        expect(await store.batches.findByIdempotencyKey('k-hash')).toBeUndefined();
        expect(await store.batches.insertPending(batchRecord({ id: 'batch_five' }), ['dep-a'], idem)).toBe(true);
      });
    });

    describe('lifecycle: polls, compare-and-set, spend', () => {
      it('leases due batches once, fences writes by the lease, and releases with the next poll', async () => {
        await store.batches.insert(batchRecord({ id: 'batch_due', status: 'in_progress', updatedAtMs: T0 }));
        await store.batches.insert(batchRecord({ id: 'batch_done', status: 'completed', updatedAtMs: T0 }));
        const other = await opened.reopen();
        const [mine, theirs] = await Promise.all([
          store.polls.claimDue({ nowMs: T0 + 1, limit: 10, owner: 'w1', leaseMs: 1000 }),
          other.polls.claimDue({ nowMs: T0 + 1, limit: 10, owner: 'w2', leaseMs: 1000 }),
        ]);
        // The due batch goes to exactly one worker; a terminal one is never due.
        expect([...mine, ...theirs].map((l) => l.batch.id)).toEqual(['batch_due']);
        const lease = [...mine, ...theirs][0]!;
        expect(await store.polls.claimDue({ nowMs: T0 + 2, limit: 10, owner: 'w3', leaseMs: 1000 })).toEqual([]);
        expect(await store.polls.oldestDueMs(T0 + 2)).toBe(T0);

        // A write under the lease lands; once another worker took over the expired lease, it is refused.
        const write = (status: 'finalizing' | 'completed') => (current: { object: ReturnType<typeof batchObject> }) => ({
          status,
          object: { ...current.object, status },
          updatedAtMs: T0 + 3,
          refreshedAtMs: T0 + 3,
        });
        expect((await store.batches.updateWith('batch_due', write('finalizing'), lease.fence))?.status).toBe('finalizing');
        const [stolen] = await store.polls.claimDue({ nowMs: T0 + 5000, limit: 10, owner: 'w4', leaseMs: 1000 });
        expect(stolen?.fence.token).toBeGreaterThan(lease.fence.token);
        expect(await store.batches.updateWith('batch_due', write('completed'), lease.fence)).toBeUndefined();
        expect(await store.polls.release('batch_due', lease.fence, { nextPollAtMs: T0, attempts: 1, refreshedAtMs: T0 + 4 })).toBe(false);
        expect((await store.batches.get('batch_due'))?.status).toBe('finalizing');
        expect((await store.batches.get('batch_due'))?.refreshedAtMs).toBe(T0 + 3);
        // A release may record the check of a poll that found the batch unchanged and wrote nothing.
        expect(await store.polls.release('batch_due', stolen!.fence, { nextPollAtMs: T0 + 5, attempts: 2, refreshedAtMs: T0 + 4 })).toBe(true);
        expect((await store.batches.get('batch_due'))?.refreshedAtMs).toBe(T0 + 4);
        const [again] = await store.polls.claimDue({ nowMs: T0 + 6000, limit: 10, owner: 'w4', leaseMs: 1000 });
        expect(await store.polls.release('batch_due', again!.fence, { nextPollAtMs: null, attempts: 3 })).toBe(true);
        expect(await store.polls.claimDue({ nowMs: T0 + 99_999, limit: 10, owner: 'w5', leaseMs: 1000 })).toEqual([]);
        expect((await store.batches.get('batch_due'))?.refreshedAtMs).toBe(T0 + 4);
      });

      it('retries a compare-and-set that lost a race, so concurrent writers never regress a row', async () => {
        await store.batches.insert(batchRecord({ id: 'batch_cas', status: 'validating' }));
        const other = await opened.reopen();
        const order = ['validating', 'in_progress', 'finalizing', 'completed'] as const;
        const forward = (to: (typeof order)[number]) => (current: { status: string; object: ReturnType<typeof batchObject> }) =>
          order.indexOf(current.status as (typeof order)[number]) >= order.indexOf(to) ? null : { status: to, object: { ...current.object, status: to }, updatedAtMs: T0 };
        await Promise.all([
          store.batches.updateWith('batch_cas', forward('completed')),
          other.batches.updateWith('batch_cas', forward('in_progress')),
          store.batches.updateWith('batch_cas', forward('finalizing')),
        ]);
        expect((await store.batches.get('batch_cas'))?.status).toBe('completed');
      });

      it('books a batch once, in one transaction with the key and team spend', async () => {
        await store.teams.insert(teamRecord({ teamId: 'team-1', spend: 0 }));
        await store.keys.insert(keyRecord({ keyHash: 'hash-a', teamId: 'team-1', spend: 0 }));
        await store.batches.insert(batchRecord({ id: 'batch_cost', status: 'completed' }));
        const spend = {
          id: 'spend_batch_cost',
          batchId: 'batch_cost',
          owner: owner('hash-a', 'team-1', 'user-1'),
          modelGroup: 'gpt-4o',
          deploymentId: 'dep-azure',
          status: 'completed' as const,
          inputTokens: 100,
          cachedInputTokens: 10,
          outputTokens: 50,
          totalTokens: 150,
          requestsCompleted: 9,
          requestsFailed: 1,
          costUsd: 0.25,
          priceSource: 'table',
          createdAtMs: T0,
        };
        // Concurrent bookings on one store: PostgreSQL runs them on separate pooled connections.
        // (Two SQLite connections in one thread would block each other on the file lock; the
        // embedded store is one connection per process.)
        const results = await Promise.all([store.spend.book(spend), store.spend.book({ ...spend }), store.spend.book(spend)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.spend.list({ limit: 10 })).toEqual([spend]);
        expect((await store.keys.get('hash-a'))?.spend).toBeCloseTo(0.25, 12);
        expect((await store.teams.get('team-1'))?.spend).toBeCloseTo(0.25, 12);
        expect(await store.spend.list({ keyHash: 'hash-b', limit: 10 })).toEqual([]);
        expect(await store.spend.list({ startMs: T0 + 1, limit: 10 })).toEqual([]);
        expect(await store.spend.report({ startMs: T0 - 1, endMs: T0 + 1, groupBy: 'team' })).toEqual([
          { day: new Date(T0).toISOString().slice(0, 10), group: 'team-1', spend: 0.25, inputTokens: 100, outputTokens: 50, batches: 1 },
        ]);
      });
    });

    describe('keys', () => {
      it('round-trips every field, and nulls', async () => {
        const full = keyRecord();
        const bare = keyRecord({
          keyHash: 'hash-bare',
          keyAlias: null,
          userId: null,
          teamId: null,
          models: [],
          maxBudget: null,
          budgetDuration: null,
          budgetResetAtMs: null,
          spend: 0,
          rpmLimit: null,
          tpmLimit: null,
          metadata: {},
          expiresAtMs: null,
        });
        await store.keys.insert(full);
        await store.keys.insert(bare);
        expect(await store.keys.get('hash-a')).toEqual(full);
        expect(await store.keys.get('hash-bare')).toEqual(bare);
        expect(await store.keys.get('hash-missing')).toBeUndefined();
      });

      it('updates only the fields given, including setting them to null', async () => {
        await store.keys.insert(keyRecord());
        await store.keys.update('hash-a', {
          keyAlias: null,
          models: ['claude'],
          metadata: { rotated: true },
          maxBudget: null,
          updatedAtMs: T0 + 10,
        });
        expect(await store.keys.get('hash-a')).toEqual(
          keyRecord({ keyAlias: null, models: ['claude'], metadata: { rotated: true }, maxBudget: null, updatedAtMs: T0 + 10 }),
        );
        await store.keys.update('hash-a', {});
        expect((await store.keys.get('hash-a'))?.models).toEqual(['claude']);
      });

      it('deletes, reporting whether the key existed', async () => {
        await store.keys.insert(keyRecord());
        expect(await store.keys.delete('hash-a')).toBe(true);
        expect(await store.keys.get('hash-a')).toBeUndefined();
        expect(await store.keys.delete('hash-a')).toBe(false);
      });

      it('lists by team and user, oldest first', async () => {
        await store.keys.insert(keyRecord({ keyHash: 'k3', teamId: 'team-1', userId: 'u1', createdAtMs: T0 + 3 }));
        await store.keys.insert(keyRecord({ keyHash: 'k1', teamId: 'team-1', userId: 'u2', createdAtMs: T0 + 1 }));
        await store.keys.insert(keyRecord({ keyHash: 'k2', teamId: 'team-2', userId: 'u1', createdAtMs: T0 + 2 }));
        await store.keys.insert(keyRecord({ keyHash: 'k0', teamId: null, userId: null, createdAtMs: T0 + 1 }));
        const hashes = async (q: { teamId?: string; userId?: string }): Promise<string[]> =>
          (await store.keys.list(q)).map((k) => k.keyHash);
        expect(await hashes({})).toEqual(['k0', 'k1', 'k2', 'k3']);
        expect(await hashes({ teamId: 'team-1' })).toEqual(['k1', 'k3']);
        expect(await hashes({ userId: 'u1' })).toEqual(['k2', 'k3']);
        expect(await hashes({ teamId: 'team-1', userId: 'u1' })).toEqual(['k3']);
        expect(await hashes({ teamId: 'team-none' })).toEqual([]);
        expect((await store.keys.list({ teamId: 'team-2' }))[0]).toEqual(
          keyRecord({ keyHash: 'k2', teamId: 'team-2', userId: 'u1', createdAtMs: T0 + 2 }),
        );
      });

      it("adds spend to the key and to its team, exactly under concurrency", async () => {
        await store.teams.insert(teamRecord({ teamId: 'team-1', spend: 1.5 }));
        await store.teams.insert(teamRecord({ teamId: 'team-2', spend: 0 }));
        await store.keys.insert(keyRecord({ keyHash: 'k-team', teamId: 'team-1', spend: 0.75 }));
        await store.keys.insert(keyRecord({ keyHash: 'k-solo', teamId: null, spend: 0 }));
        // Binary fractions, so the expected totals are exact whatever the order of the additions.
        await Promise.all([
          ...Array.from({ length: 20 }, () => store.keys.addSpend('k-team', 0.25)),
          ...Array.from({ length: 8 }, () => store.keys.addSpend('k-solo', 0.125)),
        ]);
        expect((await store.keys.get('k-team'))?.spend).toBe(5.75);
        expect((await store.keys.get('k-solo'))?.spend).toBe(1);
        expect((await store.teams.get('team-1'))?.spend).toBe(6.5);
        expect((await store.teams.get('team-2'))?.spend).toBe(0);
        await store.keys.addSpend('hash-missing', 1);
        expect((await store.teams.get('team-1'))?.spend).toBe(6.5);
      });

      it('resets spend only while spend and reset time are as expected (compare-and-set)', async () => {
        await store.keys.insert(keyRecord({ spend: 4.5, budgetResetAtMs: T0 + 100 }));
        const reset = { nextResetAtMs: T0 + 900, updatedAtMs: T0 + 200 };
        // Spend moved since it was read: nothing happens, so that booking is not wiped.
        expect(await store.keys.resetSpend('hash-a', { ...reset, expected: { spend: 4, budgetResetAtMs: T0 + 100 } })).toBe(false);
        // Another replica already reset this window.
        expect(await store.keys.resetSpend('hash-a', { ...reset, expected: { spend: 4.5, budgetResetAtMs: T0 + 50 } })).toBe(false);
        expect((await store.keys.get('hash-a'))?.spend).toBe(4.5);
        expect(await store.keys.resetSpend('hash-a', { ...reset, expected: { spend: 4.5, budgetResetAtMs: T0 + 100 } })).toBe(true);
        expect(await store.keys.get('hash-a')).toEqual(
          keyRecord({ spend: 0, budgetResetAtMs: T0 + 900, updatedAtMs: T0 + 200 }),
        );
        // Racing resets of the same window: exactly one wins.
        await store.keys.update('hash-a', { spend: 2.25, budgetResetAtMs: T0 + 1_000 });
        const results = await Promise.all(
          Array.from({ length: 8 }, () =>
            store.keys.resetSpend('hash-a', { ...reset, expected: { spend: 2.25, budgetResetAtMs: T0 + 1_000 } }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.keys.resetSpend('hash-missing', { ...reset, expected: { spend: 0, budgetResetAtMs: T0 } })).toBe(false);
      });
    });

    describe('teams', () => {
      it('round-trips, updates only given fields, and lists oldest first', async () => {
        const bare = teamRecord({
          teamId: 'team-0',
          teamAlias: null,
          models: [],
          maxBudget: null,
          budgetDuration: null,
          budgetResetAtMs: null,
          spend: 0,
          metadata: {},
          createdAtMs: T0 + 5,
        });
        await store.teams.insert(bare);
        await store.teams.insert(teamRecord());
        expect(await store.teams.get('team-1')).toEqual(teamRecord());
        expect(await store.teams.get('team-0')).toEqual(bare);
        expect(await store.teams.get('team-missing')).toBeUndefined();

        await store.teams.update('team-1', { teamAlias: null, models: ['a', 'b'], metadata: { x: [1] }, updatedAtMs: T0 + 7 });
        const updated = teamRecord({ teamAlias: null, models: ['a', 'b'], metadata: { x: [1] }, updatedAtMs: T0 + 7 });
        expect(await store.teams.get('team-1')).toEqual(updated);
        await store.teams.update('team-1', {});
        expect(await store.teams.list()).toEqual([updated, bare]);
      });

      it('adds spend exactly under concurrency', async () => {
        await store.teams.insert(teamRecord({ spend: 1.5 }));
        await Promise.all(Array.from({ length: 16 }, () => store.teams.addSpend('team-1', 0.5)));
        expect((await store.teams.get('team-1'))?.spend).toBe(9.5);
      });

      it('resets spend only while spend and reset time are as expected (compare-and-set)', async () => {
        await store.teams.insert(teamRecord({ spend: 7.5, budgetResetAtMs: T0 + 100 }));
        const reset = { nextResetAtMs: T0 + 900, updatedAtMs: T0 + 200 };
        expect(await store.teams.resetSpend('team-1', { ...reset, expected: { spend: 7, budgetResetAtMs: T0 + 100 } })).toBe(false);
        expect((await store.teams.get('team-1'))?.spend).toBe(7.5);
        expect(await store.teams.resetSpend('team-1', { ...reset, expected: { spend: 7.5, budgetResetAtMs: T0 + 100 } })).toBe(true);
        expect(await store.teams.get('team-1')).toEqual(teamRecord({ spend: 0, budgetResetAtMs: T0 + 900, updatedAtMs: T0 + 200 }));
        expect(await store.teams.resetSpend('team-1', { ...reset, expected: { spend: 7.5, budgetResetAtMs: T0 + 100 } })).toBe(false);
      });
    });

    describe('rate limits', () => {
      const charge = (over: Partial<RateCharge> = {}): RateCharge => ({
        subject: 'key:hash-a',
        windowStartMs: T0,
        requests: 1,
        tokens: 10,
        maxRequests: 5,
        maxTokens: 100,
        ...over,
      });

      it('adds a charge while every counter stays within its limit, all or nothing', async () => {
        expect(await store.rateLimits.charge(charge({ requests: 3, tokens: 40 }))).toEqual({ admitted: true, requests: 3, tokens: 40 });
        expect(await store.rateLimits.charge(charge({ requests: 2, tokens: 60 }))).toEqual({ admitted: true, requests: 5, tokens: 100 });
        // Over requests, then over tokens alone: refused, and neither counter moves.
        expect(await store.rateLimits.charge(charge({ requests: 1, tokens: 0 }))).toEqual({ admitted: false, requests: 5, tokens: 100 });
        expect(await store.rateLimits.charge(charge({ requests: 0, tokens: 1 }))).toEqual({ admitted: false, requests: 5, tokens: 100 });
        // A null limit is no limit.
        expect(await store.rateLimits.charge(charge({ requests: 0, tokens: 5_000_000_000, maxTokens: null }))).toEqual({
          admitted: true,
          requests: 5,
          tokens: 5_000_000_100,
        });
      });

      it('keeps windows and subjects apart', async () => {
        await store.rateLimits.charge(charge({ requests: 5 }));
        expect((await store.rateLimits.charge(charge({ windowStartMs: T0 + 60_000 }))).admitted).toBe(true);
        expect((await store.rateLimits.charge(charge({ subject: 'key:hash-b' }))).admitted).toBe(true);
        expect((await store.rateLimits.charge(charge())).admitted).toBe(false);
      });

      it('never overshoots a limit under concurrent charges, from two stores', async () => {
        const other = await opened.reopen();
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 === 0 ? store : other).rateLimits.charge(charge({ maxRequests: 12, maxTokens: null })),
          ),
        );
        expect(results.filter((r) => r.admitted)).toHaveLength(12);
        expect(await store.rateLimits.charge(charge({ requests: 0, tokens: 0, maxRequests: null, maxTokens: null }))).toMatchObject({
          requests: 12,
          tokens: 120,
        });
      });

      it('prunes a subject\'s windows that started before a time', async () => {
        await store.rateLimits.charge(charge({ windowStartMs: T0, requests: 5 }));
        await store.rateLimits.charge(charge({ windowStartMs: T0 + 60_000, requests: 5 }));
        await store.rateLimits.charge(charge({ subject: 'key:hash-b', windowStartMs: T0, requests: 5 }));
        await store.rateLimits.prune('key:hash-a', T0 + 60_000);
        // The pruned window starts from zero again; the others keep their counts.
        expect(await store.rateLimits.charge(charge({ windowStartMs: T0 }))).toEqual({ admitted: true, requests: 1, tokens: 10 });
        expect((await store.rateLimits.charge(charge({ windowStartMs: T0 + 60_000 }))).admitted).toBe(false);
        expect((await store.rateLimits.charge(charge({ subject: 'key:hash-b', windowStartMs: T0 }))).admitted).toBe(false);
      });
    });
  });
}
