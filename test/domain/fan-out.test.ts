/**
 * `fanOut` lets the copies of a managed upload that take the same bytes share one rewrite: every
 * branch gets every byte, a reader that gives up does not stop the others, an error of the source
 * reaches every reader, and a slow reader holds the source back instead of letting the others'
 * bytes pile up in memory.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fanOut } from '../../src/domain/files/fan-out.js';

const CHUNK = 64 * 1024;

/** A source of `chunks` 64 KB chunks, counting how many it has produced. */
const counted = (chunks: number, failAt: number | null = null) => {
  const state = { produced: 0 };
  const stream = Readable.from(
    (async function* () {
      for (let i = 0; i < chunks; i++) {
        if (i === failAt) throw new Error('the rewrite failed');
        state.produced++;
        yield Buffer.alloc(CHUNK, i % 251);
      }
    })(),
    { objectMode: false },
  );
  return { stream, state };
};

const drain = async (stream: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
};

describe('fanOut', () => {
  it('gives one reader the source itself, and several readers every byte of it', async () => {
    const one = counted(3);
    expect(fanOut(one.stream, 1)).toEqual([one.stream]);

    const { stream, state } = counted(40);
    const outs = await Promise.all(fanOut(stream, 3).map(drain));
    expect(state.produced).toBe(40);
    for (const out of outs) {
      expect(out.length).toBe(40 * CHUNK);
      expect(out[39 * CHUNK]).toBe(39);
    }
  });

  it('goes on for the others when one reader gives up, and stops the source when all have', async () => {
    const { stream, state } = counted(100);
    const [quitter, reader] = fanOut(stream, 2);
    if (quitter === undefined || reader === undefined) throw new Error('two branches expected');
    let taken = 0;
    for await (const chunk of quitter) {
      taken += (chunk as Buffer).length;
      if (taken >= 3 * CHUNK) break; // destroys the branch, as a failed upload's body is
    }
    expect((await drain(reader)).length).toBe(100 * CHUNK);

    const second = counted(1_000);
    const branches = fanOut(second.stream, 2);
    await sleep(20);
    for (const b of branches) b.destroy();
    await sleep(20);
    expect(second.stream.destroyed).toBe(true);
    expect(second.state.produced).toBeLessThan(50);
    expect(state.produced).toBe(100);
  });

  it('ends every reader with the source error', async () => {
    const { stream } = counted(50, 10);
    const results = await Promise.allSettled(fanOut(stream, 3).map(drain));
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'read to the end'))).toEqual([
      'the rewrite failed',
      'the rewrite failed',
      'the rewrite failed',
    ]);

    // Readers that have not started reading yet (an upload still connecting) must not turn the
    // error into an uncaught exception: that would end the process.
    const early = fanOut(counted(5, 1).stream, 2);
    await sleep(50);
    expect(early.map((b) => b.destroyed)).toEqual([true, true]);
    await expect(drain(early[0] ?? Readable.from([]))).rejects.toThrow('the rewrite failed');
  });

  it('holds the source back while a reader is slow: memory is bounded, not the whole file', async () => {
    const { stream, state } = counted(2_000); // 125 MB if it all piled up
    const [fast, slow] = fanOut(stream, 2);
    if (fast === undefined || slow === undefined) throw new Error('two branches expected');
    const fastDone = drain(fast);
    await sleep(100);
    // The slow reader has read nothing: the source may run ahead by its buffers only.
    expect(state.produced).toBeLessThan(20);
    const [a, b] = await Promise.all([fastDone, drain(slow)]);
    expect(a.length).toBe(2_000 * CHUNK);
    expect(b.length).toBe(2_000 * CHUNK);
  });
});
