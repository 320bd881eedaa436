/**
 * One stream read once and handed to several readers: the copies of a managed upload whose
 * deployments take the same bytes (a model group of several deployments of one upstream model)
 * share one rewrite instead of each rewriting every line again, which was most of the CPU of
 * writing the copies (bench/RESULTS.md, uploads).
 *
 * Memory stays bounded: the source is paused while any live branch is full, so the fastest
 * upstream waits for the slowest, each branch buffering at most `BRANCH_CHUNKS` chunks. A
 * branch its reader gives up on (that upload failed, or was aborted) stops counting; the others
 * go on, and the source is destroyed once no branch is left. An error of the source ends every
 * branch.
 */
import { PassThrough, type Readable } from 'node:stream';

/**
 * Each branch holds at most this many of the source's chunks (the rewrite's 64 KB writes). In
 * chunks, not bytes: a byte-mode branch hands its reader everything it holds joined into one new
 * buffer, a copy of every byte of the file per branch (`fromList` under the async iterator, 2 % of
 * a 200 MB upload's CPU, and garbage for the collector).
 */
const BRANCH_CHUNKS = 4;

export function fanOut(source: Readable, count: number): Readable[] {
  if (count <= 1) return [source];
  const branches = Array.from({ length: count }, () => new PassThrough({ objectMode: true, highWaterMark: BRANCH_CHUNKS }));
  const live = new Set(branches);
  const full = new Set<PassThrough>();
  const resumeWhenDrained = (): void => {
    if (full.size === 0 && live.size > 0 && source.isPaused()) source.resume();
  };
  for (const branch of branches) {
    // Its reader listens for its errors while it reads; one that has stopped reading must not
    // turn a source error delivered to every branch into an uncaught exception.
    branch.on('error', () => {});
    branch.on('drain', () => {
      full.delete(branch);
      resumeWhenDrained();
    });
    branch.on('close', () => {
      live.delete(branch);
      full.delete(branch);
      if (live.size === 0) source.destroy();
      else resumeWhenDrained();
    });
  }
  source.on('data', (chunk: Buffer) => {
    for (const branch of live) {
      if (branch.destroyed) continue;
      if (!branch.write(chunk)) full.add(branch);
    }
    if (full.size > 0) source.pause();
  });
  source.once('end', () => {
    for (const branch of live) branch.end();
  });
  source.once('error', (err) => {
    for (const branch of live) branch.destroy(err);
  });
  return branches;
}
