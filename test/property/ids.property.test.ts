/**
 * Property tests of the id parser: every minted id parses, nothing else does, nothing throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newBatchId, newFileId, parseGatewayId } from '../../src/domain/ids.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = { file: 'file-', batch: 'batch_' } as const;
const kind = fc.constantFrom('file' as const, 'batch' as const);
/** The reference shape, written independently of the implementation. */
const isShape = (k: 'file' | 'batch', s: string): boolean =>
  s.length === PREFIX[k].length + 24 && s.startsWith(PREFIX[k]) && [...s.slice(PREFIX[k].length)].every((c) => BASE62.includes(c));

const base62 = (length: number) =>
  fc.string({ unit: fc.constantFrom(...BASE62), minLength: length, maxLength: length });

/** Strings near the shape: a valid id with one edit (replace, insert or delete a character, or a prefix change). */
const nearMiss = fc
  .tuple(kind, base62(24), fc.nat(40), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }), fc.constantFrom('replace', 'insert', 'delete', 'prefix', 'case', 'pad'))
  .map(([k, tail, at, ch, edit]) => {
    const id = `${PREFIX[k]}${tail}`;
    const i = at % (id.length + 1);
    switch (edit) {
      case 'replace':
        return { k, s: id.slice(0, i) + ch + id.slice(i + 1) };
      case 'insert':
        return { k, s: id.slice(0, i) + ch + id.slice(i) };
      case 'delete':
        return { k, s: id.slice(0, i) + id.slice(i + 1) };
      case 'prefix':
        return { k, s: `${PREFIX[k === 'file' ? 'batch' : 'file']}${tail}` };
      case 'case':
        return { k, s: id.toUpperCase() };
      default:
        return { k, s: ` ${id}\n` };
    }
  });

describe('parseGatewayId', () => {
  it('every minted id parses as its own kind and not as the other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (n) => {
        for (let i = 0; i < n; i += 1) {
          const file = newFileId();
          const batch = newBatchId();
          expect(parseGatewayId('file', file)).toBe(file);
          expect(parseGatewayId('batch', batch)).toBe(batch);
          expect(parseGatewayId('batch', file)).toBeNull();
          expect(parseGatewayId('file', batch)).toBeNull();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('any well-shaped id parses, whatever its 24 characters', () => {
    fc.assert(
      fc.property(kind, base62(24), (k, tail) => {
        expect(parseGatewayId(k, `${PREFIX[k]}${tail}`)).toBe(`${PREFIX[k]}${tail}`);
      }),
      { numRuns: 500 },
    );
  });

  it('a string not exactly of that shape returns null (near misses)', () => {
    fc.assert(
      fc.property(nearMiss, ({ k, s }) => {
        expect(parseGatewayId(k, s)).toBe(isShape(k, s) ? s : null);
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary strings (unicode, control characters, prefixed or not) agree with the reference and never throw', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: 'binary-ascii', maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.tuple(fc.constantFrom('file-', 'batch_', 'file_', 'batch-', ''), fc.string({ unit: 'binary', minLength: 20, maxLength: 28 })).map(
        ([p, s]) => p + s,
      ),
    );
    fc.assert(
      fc.property(kind, text, (k, s) => {
        expect(parseGatewayId(k, s)).toBe(isShape(k, s) ? s : null);
      }),
      { numRuns: 3000 },
    );
  });

  it('huge inputs return null in bounded time', () => {
    const huge = `file-${'a'.repeat(50_000_000)}`;
    const started = performance.now();
    for (let i = 0; i < 1000; i += 1) expect(parseGatewayId('file', huge)).toBeNull();
    expect(performance.now() - started).toBeLessThan(500);
    fc.assert(
      fc.property(kind, fc.string({ unit: 'binary', minLength: 1000, maxLength: 20_000 }), (k, s) => {
        expect(parseGatewayId(k, PREFIX[k] + s)).toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it('untyped callers get null, not a throw', () => {
    const untyped = parseGatewayId as (kind: unknown, text: unknown) => string | null;
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (k, s) => {
        expect(untyped(k, s)).toBeNull();
      }),
      { numRuns: 300 },
    );
    expect(untyped('toString', 'file-AAAAAAAAAAAAAAAAAAAAAAAA')).toBeNull();
  });
});
