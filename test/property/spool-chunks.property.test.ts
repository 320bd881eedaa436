/**
 * `spoolChunks`: the line splitters read the spool through one reused buffer. What they copy out
 * of each chunk must be the file's bytes from `start`, whatever the size against the buffer's.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolChunks } from '../../src/http/spool-chunks.js';

const BUFFER = 256 * 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-chunks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('spoolChunks', () => {
  it('yields the bytes from start, copied chunk by chunk, through one buffer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * BUFFER + 7 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), async (size, at, seed) => {
        const content = Buffer.alloc(size);
        for (let i = 0; i < size; i++) content[i] = (seed + i * 31) & 0xff;
        const path = join(dir, `f-${size}-${seed}`);
        await writeFile(path, content);
        const start = Math.floor(at * size);
        const copies: Buffer[] = [];
        const backing = new Set<ArrayBufferLike>();
        for await (const chunk of spoolChunks(path, start)) {
          copies.push(Buffer.from(chunk));
          backing.add(chunk.buffer);
        }
        expect(Buffer.concat(copies).equals(content.subarray(start))).toBe(true);
        expect(backing.size).toBeLessThanOrEqual(1);
        await rm(path);
      }),
      { numRuns: 40 },
    );
  });

  // Open descriptors are counted in /proc (Linux, as CI).
  it.skipIf(!existsSync('/proc/self/fd'))('closes the file when its reader stops early', async () => {
    const path = join(dir, 'early');
    await writeFile(path, Buffer.alloc(3 * BUFFER, 1));
    const before = readdirSync('/proc/self/fd').length;
    for await (const chunk of spoolChunks(path)) {
      expect(chunk.length).toBe(BUFFER);
      break;
    }
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });
});
