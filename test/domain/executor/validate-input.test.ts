/**
 * The `validating` step of an executed batch: bad lines are reported as OpenAI reports them
 * (`errors.data[]` with code, param and the 1-based line), good files are cut into chunks whose
 * byte offsets point at their first line, blank lines and CRLF included.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inputLines } from '../../../src/domain/executor/input-lines.js';
import { validateInput } from '../../../src/domain/executor/validate-input.js';

const ENDPOINT = '/v1/chat/completions';
const line = (id: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ custom_id: id, method: 'POST', url: ENDPOINT, body: { model: 'm', messages: [] }, ...extra });
const source = (text: string, chunkBytes = 7): Readable => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) parts.push(bytes.subarray(i, i + chunkBytes));
  return Readable.from(parts);
};
const signal = new AbortController().signal;

describe('validateInput', () => {
  it('cuts a good file into chunks that start at their first line', async () => {
    const text = `${line('a')}\r\n\n${line('b')}\n${line('c')}\n${line('é-d')}\n${line('e')}`;
    const outcome = await validateInput(source(text), ENDPOINT, 2, signal, async () => source(text));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.total).toBe(5);
    expect(outcome.chunks.map((c) => [c.firstLine, c.lineCount])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    // Reading from a chunk's offset yields exactly its first line.
    for (const chunk of outcome.chunks) {
      const from = Buffer.from(text).subarray(chunk.byteStart);
      const read = await inputLines(Readable.from([from]), chunk.byteStart).next();
      expect(read.value?.byteStart).toBe(chunk.byteStart);
      expect(JSON.parse(read.value?.text ?? '{}').custom_id).toBe(['a', 'c', 'e'][chunk.chunkNo]);
    }
  });

  it('names every bad line with its code, param and line number', async () => {
    const text = [
      line('a'),
      '{not json',
      JSON.stringify({ method: 'POST', url: ENDPOINT, body: {} }),
      line('b', { method: 'GET' }),
      line('c', { url: '/v1/embeddings' }),
      line('d', { body: 'text' }),
      line('e', { body: { model: 'm', stream: true } }),
      line('a'),
      '[1,2]',
    ].join('\n');
    const outcome = await validateInput(source(text), ENDPOINT, 100, signal, async () => source(text));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors.map((e) => [e.line, e.code, e.param])).toEqual([
      [2, 'invalid_json_line', null],
      [3, 'missing_required_parameter', 'custom_id'],
      [4, 'invalid_method', 'method'],
      [5, 'mismatched_url', 'url'],
      [6, 'missing_required_parameter', 'body'],
      [7, 'invalid_value', 'body.stream'],
      [8, 'duplicate_custom_id', 'custom_id'],
      [9, 'invalid_json_line', null],
    ]);
  });

  it('accepts urls without the /v1 prefix, as Azure writes them', async () => {
    const outcome = await validateInput(source(line('a', { url: '/chat/completions' })), ENDPOINT, 10, signal, async () => source(line('a', { url: '/chat/completions' })));
    expect(outcome.ok).toBe(true);
  });

  it('fails an input with no request', async () => {
    const outcome = await validateInput(source('\n\n'), ENDPOINT, 10, signal, async () => source('\n\n'));
    expect(outcome).toMatchObject({ ok: false, errors: [{ code: 'empty_file' }] });
  });
});
