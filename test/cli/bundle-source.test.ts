/**
 * The bundle's sources stay in the heap for as long as the process runs (V8 compiles functions
 * lazily from them), and a single character outside Latin-1 doubles a chunk's share of it. Run after
 * `npm run build`, like the tests that spawn the bin.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCHGATE_BIN } from '../helpers/gateway.js';

const bin = dirname(BATCHGATE_BIN);

describe('the bundled bin', () => {
  it('holds only ASCII, so V8 keeps every chunk one byte per character', () => {
    const chunks = readdirSync(bin).filter((f) => f.endsWith('.js'));
    expect(chunks.length).toBeGreaterThan(1);
    const wide = chunks.filter((f) => /[^\x00-\x7f]/.test(readFileSync(join(bin, f), 'latin1')));
    expect(wide).toEqual([]);
  });
});
