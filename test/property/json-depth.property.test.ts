/**
 * Property tests of the nesting-depth scan that guards every batch line before it is parsed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/domain/lines/json-depth.js';

/** Depth of a parsed JSON value, counting each array/object as one level. */
const depthOf = (v: unknown): number => {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (typeof v === 'object' && v !== null) return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
};

/** The plainest character-by-character state machine, as the reference the fast scan must match. */
const referenceDeeperThan = (text: string, max: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth += 1;
      if (depth > max) return true;
    } else if ((c === ']' || c === '}') && depth > 0) depth -= 1;
  }
  return false;
};

/** Text made mostly of the characters the scan cares about, so edge cases are common. */
const jsonish = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ',', ':', ' ', '\\"', '\\\\'), maxLength: 200 });

describe('nestsDeeperThan', () => {
  it('agrees with the depth of the parsed value for any JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 14 }), (value, max) => {
        expect(nestsDeeperThan(JSON.stringify(value), max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 1500 },
    );
  });

  it('agrees with a plain character-by-character state machine on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string({ unit: 'binary', maxLength: 200 })), fc.integer({ min: 0, max: 8 }), (text, max) => {
        expect(nestsDeeperThan(text, max)).toBe(referenceDeeperThan(text, max));
      }),
      { numRuns: 5000 },
    );
  });

  it('brackets inside strings never count', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('[', '{', ']', '}', '"', '\\', 'x', '\u00e9'), maxLength: 300 }), (s) => {
        expect(nestsDeeperThan(JSON.stringify({ s }), 1)).toBe(false);
        expect(nestsDeeperThan(JSON.stringify([s, [s]]), 2)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
