/**
 * The line-keys contract: one suite over every backend. Keys survive a reopen, the first value of
 * a line wins, lookups and pages cross the per-statement row limit, and files do not see each
 * other's keys.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LineKey } from '../../src/domain/ports/line-keys.js';
import type { Store } from '../../src/domain/ports/store.js';
import { postgresForTests } from '../helpers/postgres.js';
import { backendsFor } from './backends.js';
import type { OpenedBackend } from './backends.js';

const backends = backendsFor(await postgresForTests());

const keys = (from: number, to: number, prefix = 'req'): LineKey[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ lineNo: from + i, customId: `${prefix}-${from + i}` }));

for (const backend of backends) {
  describe(`line keys contract: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.dispose();
    });

    it('keeps every key of a large file and finds them again after a reopen', async () => {
      await store.lineKeys.add('file-a', keys(1, 1_000));
      const again = await opened.reopen();
      const found = await again.lineKeys.lookup('file-a', [1, 2, 500, 999, 1_000, 1_001]);
      expect([...found].sort(([a], [b]) => a - b)).toEqual([
        [1, 'req-1'],
        [2, 'req-2'],
        [500, 'req-500'],
        [999, 'req-999'],
        [1_000, 'req-1000'],
      ]);
      const bigLookup = await again.lineKeys.lookup('file-a', Array.from({ length: 1_000 }, (_, i) => i + 1));
      expect(bigLookup.size).toBe(1_000);
      expect(await again.lineKeys.has('file-a')).toBe(true);
      expect(await again.lineKeys.has('file-b')).toBe(false);
    });

    it('keeps the first value of a line when an upload is recorded twice', async () => {
      await store.lineKeys.add('file-a', [{ lineNo: 3, customId: 'first' }]);
      await store.lineKeys.add('file-a', [{ lineNo: 3, customId: 'second' }, { lineNo: 4, customId: 'ünïcödé "q" 🚀' }]);
      expect(Object.fromEntries(await store.lineKeys.lookup('file-a', [3, 4]))).toEqual({ 3: 'first', 4: 'ünïcödé "q" 🚀' });
    });

    it('pages in line order after a given line, and files stay apart', async () => {
      await store.lineKeys.add('file-a', keys(1, 10));
      await store.lineKeys.add('file-b', keys(1, 3, 'other'));
      const first = await store.lineKeys.page('file-a', 0, 4);
      expect(first.map((k) => k.lineNo)).toEqual([1, 2, 3, 4]);
      const rest = await store.lineKeys.page('file-a', 4, 100);
      expect(rest.map((k) => k.customId)).toEqual(keys(5, 10).map((k) => k.customId));
      expect(await store.lineKeys.page('file-a', 10, 100)).toEqual([]);
      await store.lineKeys.deleteFor('file-a');
      expect(await store.lineKeys.has('file-a')).toBe(false);
      expect((await store.lineKeys.page('file-b', 0, 10)).map((k) => k.customId)).toEqual(['other-1', 'other-2', 'other-3']);
    });
  });
}
