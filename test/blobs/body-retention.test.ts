/**
 * A blob body streams: chunks already written are garbage once passed on. Racing each chunk
 * against one long-lived abort promise kept every chunk alive until the write ended (a 50,000-line
 * output file held in memory, bench/RESULTS.md). Checked in a child process with `--expose-gc`,
 * by retained heap after a full GC — a count of bytes, not a timing. Needs `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/gateway.js';

const run = promisify(execFile);

const SCRIPT = `
const { abortableBody } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/store/blobs/body.js'))});
async function* source() { for (let i = 0; i < 200; i++) yield Buffer.alloc(1024 * 1024, i); }
const controller = new AbortController();
const body = abortableBody(source(), controller.signal);
globalThis.gc();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
let seen = 0;
for (let i = 0; i < 150; i++) seen += (await body.next()).value.length;
globalThis.gc();
globalThis.gc();
const during = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
console.log(JSON.stringify({ seen, retainedMb: (during - before) / 1048576 }));
await body.return(undefined);
`;

describe('abortableBody', () => {
  it('keeps no chunk it already passed on (150 MB streamed, a few MB retained; 150 MB before the fix)', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT]);
    const { seen, retainedMb } = JSON.parse(stdout) as { seen: number; retainedMb: number };
    expect(seen).toBe(150 * 1024 * 1024);
    expect(retainedMb).toBeLessThan(20);
  });
});
