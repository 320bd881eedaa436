/**
 * The bounded duplicate check agrees with an exact Set on any list of ids (fast-check), finds a
 * repeat however far apart, never reports a false positive, and stays small for big files.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateFinder } from '../../src/domain/lines/duplicate-finder.js';

async function* linesOf(ids: readonly string[]): AsyncGenerator<{ lineNo: number; customId: string }> {
  for (const [i, customId] of ids.entries()) yield { lineNo: i + 1, customId };
}

/** What a Set over every id would say: the first repeated line. */
const exact = (ids: readonly string[]): { lineNo: number; customId: string } | null => {
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (seen.has(id)) return { lineNo: i + 1, customId: id };
    seen.add(id);
  }
  return null;
};

const check = async (ids: readonly string[], expectedIds = ids.length): Promise<{ lineNo: number; customId: string } | null> => {
  const finder = new DuplicateFinder(expectedIds);
  for (const id of ids) finder.add(id);
  return finder.hasSuspects ? finder.firstRepeat(linesOf(ids)) : null;
};

describe('DuplicateFinder', () => {
  it('agrees with an exact set on any ids, even with a filter far too small', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 6 }), { maxLength: 300 }), fc.integer({ min: 1, max: 400 }), async (ids, expected) => {
        expect(await check(ids, expected)).toEqual(exact(ids));
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a repeat whatever the sign of its probes (a negative probe used to fall outside the filter)', async () => {
    for (const id of ['&', 'req-1', 'ünï', '😀', 'a'.repeat(100)]) expect(await check([id, 'x', id], 1)).toEqual({ lineNo: 3, customId: id });
  });

  it('finds one repeat among 200,000 distinct ids and reports its second line', async () => {
    const ids = Array.from({ length: 200_000 }, (_, i) => `request-${i}`);
    expect(await check(ids)).toBeNull();
    ids.push('request-7');
    expect(await check(ids)).toEqual({ lineNo: 200_001, customId: 'request-7' });
  });

  it('lists every repeat in order for the executor, which reports them all', async () => {
    const finder = new DuplicateFinder(100);
    const ids = ['a', 'b', 'a', 'c', 'b', 'a'];
    for (const id of ids) finder.add(id);
    const repeats: number[] = [];
    for await (const r of finder.repeats(linesOf(ids))) repeats.push(r.lineNo);
    expect(repeats).toEqual([3, 5, 6]);
  });

  it('needs no second pass for a full file of distinct ids at the line limit', () => {
    // Each suspect costs a second read and parse of the whole file; sized at 16 bits per id, a
    // 50,000-line file at a 50,000-line limit nearly always had one.
    for (const [lines, prefix] of [[50_000, 'r'], [50_000, 'request-'], [200_000, 'custom-id-']] as const) {
      const finder = new DuplicateFinder(lines);
      for (let i = 0; i < lines; i++) finder.add(`${prefix}${i}`);
      expect(finder.hasSuspects, `${lines} ids ${prefix}…`).toBe(false);
    }
  });
});
