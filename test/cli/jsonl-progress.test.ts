/** The CLI's line reader and progress output, in process: the edges a process test cannot aim at. */
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/contracts/openai.js';
import { gatewayRoot } from '../../src/cli/connection.js';
import { besideInput } from '../../src/cli/download.js';
import { customIdOf, linesOf } from '../../src/cli/jsonl.js';
import { barLine, createProgress, percentOf } from '../../src/cli/progress.js';

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

const batch = (status: Batch['status'], total: number, completed: number, failed: number): Batch =>
  ({ id: 'batch_1', status, request_counts: { total, completed, failed } }) as Batch;

describe('linesOf', () => {
  it('splits lines across chunk boundaries, multi-byte characters and CRLF included, and keeps a last line without a newline', async () => {
    const text = Buffer.from('{"custom_id":"a","x":"é"}\r\n{"custom_id":"b"}\n\n{"custom_id":"c"}');
    const split = [text.subarray(0, 23), text.subarray(23, 24), text.subarray(24, 40), text.subarray(40)];
    const lines: string[] = [];
    for await (const line of linesOf(chunks(...split))) lines.push(line);
    expect(lines).toEqual(['{"custom_id":"a","x":"é"}', '{"custom_id":"b"}', '', '{"custom_id":"c"}']);
    expect(lines.map(customIdOf)).toEqual(['a', 'b', null, 'c']);
    expect(customIdOf('not json')).toBeNull();
  });
});

describe('progress', () => {
  it('prints a plain line only when the status or a count changes', () => {
    let out = '';
    const progress = createProgress({ isTTY: false, write: (t: string) => (out += t) }, () => 0);
    progress.update(batch('in_progress', 10, 0, 0));
    progress.update(batch('in_progress', 10, 0, 0));
    progress.update(batch('in_progress', 10, 4, 1));
    progress.finish(batch('completed', 10, 9, 1));
    expect(out.split('\n').filter((l) => l !== '')).toEqual([
      'batch_1 in_progress 0/10 (0 completed, 0 failed) 0% after 00:00',
      'batch_1 in_progress 5/10 (4 completed, 1 failed) 50% after 00:00',
      'batch_1 completed 10/10 (9 completed, 1 failed) 100% after 00:00',
    ]);
  });

  it('redraws one bar in place on a terminal and ends its line', () => {
    let out = '';
    const progress = createProgress({ isTTY: true, columns: 100, write: (t: string) => (out += t) }, () => 61_000);
    progress.update(batch('in_progress', 3, 1, 0));
    progress.finish(batch('completed', 3, 3, 0));
    expect(out.startsWith('\r[')).toBe(true);
    expect(out.endsWith('\x1b[K\n')).toBe(true);
    expect(out.split('\r')).toHaveLength(3);
    expect(barLine(batch('in_progress', 3, 1, 0), 61_000, 100)).toMatch(/^\[#+\.+\]  33% 1\/3 \(1 completed, 0 failed\) in_progress 01:01$/);
  });

  it('reaches 100% only when every line is answered', () => {
    expect(percentOf(batch('in_progress', 1000, 999, 0))).toBe(99);
    expect(percentOf(batch('completed', 0, 0, 0))).toBe(100);
    expect(percentOf(batch('validating', 0, 0, 0))).toBe(0);
  });
});

describe('paths and URLs', () => {
  it('takes a base URL with or without /v1 and names results next to the input', () => {
    expect(gatewayRoot('http://localhost:4000')).toBe('http://localhost:4000');
    expect(gatewayRoot('http://localhost:4000/v1/')).toBe('http://localhost:4000');
    expect(gatewayRoot('https://gw.example.com/batchgate/v1')).toBe('https://gw.example.com/batchgate');
    expect(besideInput('data/requests.jsonl', 'output')).toBe('data/requests.output.jsonl');
    expect(besideInput('requests', 'errors')).toBe('requests.errors.jsonl');
  });
});
