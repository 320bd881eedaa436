/**
 * A managed upload's copy for an OpenAI-format upstream splices the model into each line's text;
 * for any file, that copy must hold the same lines, value for value, as the parsing path makes
 * (which every native-format upstream still takes), blank lines and CRs dropped as validation
 * drops them, whatever the chunk boundaries.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rewriteForDeployment } from '../../src/domain/files/rewrite-lines.js';
import type { ProviderAdapter } from '../../src/domain/ports/provider-adapter.js';

const adapterOf = (lineFormat: 'openai' | 'native') => ({ capabilities: { lineFormat }, encodeInputLine: (line: unknown) => line }) as unknown as ProviderAdapter;

/**
 * The file cut into chunks at the given sizes, as the spool reader hands them out: every chunk
 * is a view of one buffer, overwritten for the next, so a rewrite that kept a view would show.
 */
async function* chunked(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  const reused = Buffer.alloc(Math.max(1, ...sizes, 7));
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.min(Math.max(1, sizes[i % Math.max(1, sizes.length)] ?? 7), bytes.length - at);
    bytes.copy(reused, 0, at, at + n);
    yield reused.subarray(0, n);
    reused.fill(0x23);
    at += n;
  }
}

const collect = async (stream: Readable): Promise<string> => {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
};

const requestLine = fc.record({
  custom_id: fc.string({ unit: 'grapheme', maxLength: 10 }),
  method: fc.constant('POST'),
  url: fc.constant('/v1/chat/completions'),
  body: fc.record({ model: fc.string({ maxLength: 8 }), messages: fc.array(fc.record({ role: fc.constant('user'), content: fc.string({ unit: 'grapheme', maxLength: 30 }) }), { maxLength: 3 }) }),
});

describe('the copy of a managed upload', () => {
  it('holds the same lines whether spliced as bytes or parsed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(requestLine, fc.constantFrom('\n', '\r\n', '\n\n', '\n  \n')), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
        fc.string({ maxLength: 12 }),
        async (lines, sizes, model) => {
          const file = Buffer.from(lines.map(([l, end]) => `${JSON.stringify(l)}${end}`).join(''));
          const spliced = await collect(rewriteForDeployment(chunked(file, sizes), adapterOf('openai'), model));
          const parsed = await collect(rewriteForDeployment(chunked(file, sizes), adapterOf('native'), model));
          const values = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
          expect(spliced.endsWith('\n')).toBe(true);
          expect(spliced).not.toContain('\r');
          expect(values(spliced)).toEqual(values(parsed));
          expect(values(spliced)).toEqual(lines.map(([l]) => ({ ...l, body: { ...l.body, model } })));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('splices bytes it never decodes, yet refuses a line that is not UTF-8 as the parsing path does', async () => {
    const line = (content: string) => JSON.stringify({ custom_id: 'é', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content }] } });
    const good = Buffer.from(`\uFEFF${line('naïve — 日本語 😀')}\r\n\u00a0\n${line('x')}`);
    const spliced = await collect(rewriteForDeployment(chunked(good, [5, 3]), adapterOf('openai'), 'gpt-4o'));
    expect(spliced.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { body: { model: string } }).map((l) => l.body.model)).toEqual(['gpt-4o', 'gpt-4o']);
    expect(spliced).toContain('naïve — 日本語 😀');
    expect(spliced.startsWith('\uFEFF')).toBe(false);

    const bad = Buffer.concat([Buffer.from(`${line('ok')}\n${line('a').slice(0, -5)}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}}\n')]);
    await expect(collect(rewriteForDeployment(chunked(bad, [64]), adapterOf('openai'), 'gpt-4o'))).rejects.toMatchObject({
      code: 'invalid_json_line',
      message: expect.stringContaining('Line 2: the line is not valid UTF-8') as unknown,
    });
  });

  it('writes in buffers of up to 64 KB, filled to within a line, not one write per line', async () => {
    const line = JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [] } });
    const file = Buffer.from(`${Array.from({ length: 5000 }, () => line).join('\n')}\n`);
    const sizes: number[] = [];
    for await (const chunk of rewriteForDeployment(chunked(file, [4096]), adapterOf('openai'), 'upstream')) sizes.push((chunk as Buffer).length);
    const rewritten = line.length + 'upstream'.length - 'm'.length + 1;
    expect(sizes.slice(0, -1).every((n) => n <= 64 * 1024 && n > 64 * 1024 - rewritten)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5000 * rewritten);
  });

  it('gives a line longer than a buffer one of its own, and the lines around it stay whole', async () => {
    const line = (content: string) => JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content }] } });
    const lines = ['a', 'b'.repeat(200_000), 'c', 'd'.repeat(70_000)].map(line);
    for (const format of ['openai', 'native'] as const) {
      const out = await collect(rewriteForDeployment(chunked(Buffer.from(lines.join('\n')), [1000, 65536]), adapterOf(format), 'upstream'));
      const back = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { body: { model: string; messages: Array<{ content: string }> } });
      expect(back.map((l) => [l.body.model, l.body.messages[0]?.content.length])).toEqual([['upstream', 1], ['upstream', 200_000], ['upstream', 1], ['upstream', 70_000]]);
    }
  });
});
