/**
 * The streamed operation reader: answer arrays cut out element by element whatever the chunking,
 * strings with brackets, quotes and escapes left alone, only the first answers array kept, echoed
 * requests dropped, and limits on what it holds.
 */
import { describe, expect, it } from 'vitest';
import { ScanError, scanOperation } from '../../../src/providers/gemini/operation-scan.js';

const limits = { skeletonChars: 1_000_000, elementChars: 1_000_000 };

const run = async (text: string, capture: boolean, chunk: number, scanLimits = limits): Promise<{ elements: string[]; skeleton: unknown }> => {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  const scan = scanOperation(
    (async function* () {
      yield* pieces;
    })(),
    capture,
    scanLimits,
  );
  const elements: string[] = [];
  for (;;) {
    const step = await scan.next();
    if (step.done === true) return { elements, skeleton: step.value };
    elements.push(step.value);
  }
};

const answers = [
  { response: { candidates: [{ content: { parts: [{ text: 'a "quoted" ], [ {weird} \\ text ✓' }] } }] }, metadata: { key: '1' } },
  { error: { code: 3, message: 'bad, "really"' }, metadata: { key: '2' } },
];
const operation = {
  name: 'batches/abc',
  metadata: {
    name: 'batches/abc',
    inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: 'hi ]' }] }] }, metadata: { key: '1' } }] } },
    output: { inlinedResponses: { inlinedResponses: answers } },
    state: 'BATCH_STATE_SUCCEEDED',
    'inlined"Responses': { inlinedResponses: ['not cut: the outer key differs'] },
  },
  done: true,
  response: { '@type': 'x', inlinedResponses: { inlinedResponses: answers } },
};
const text = JSON.stringify(operation, null, 1);

describe('scanOperation', () => {
  it.each([1, 2, 7, 64, 100_000])('yields each answer once and returns the rest (chunks of %i bytes)', async (chunk) => {
    const { elements, skeleton } = await run(text, true, chunk);
    expect(elements.map((e) => JSON.parse(e) as unknown)).toEqual(answers);
    expect(skeleton).toEqual({
      ...operation,
      metadata: { ...operation.metadata, inputConfig: { requests: { requests: [] } }, output: { inlinedResponses: { inlinedResponses: [] } } },
      response: { '@type': 'x', inlinedResponses: { inlinedResponses: [] } },
    });
  });

  it('drops every list when answers are not wanted', async () => {
    const { elements, skeleton } = await run(text, false, 13);
    expect(elements).toEqual([]);
    expect((skeleton as { metadata: { state: string } }).metadata.state).toBe('BATCH_STATE_SUCCEEDED');
  });

  it('handles empty arrays and a plain operation', async () => {
    expect(await run('{"name":"batches/x","response":{"inlinedResponses":{"inlinedResponses":[]}}}', true, 5)).toEqual({
      elements: [],
      skeleton: { name: 'batches/x', response: { inlinedResponses: { inlinedResponses: [] } } },
    });
    expect((await run('{"operations":[{"name":"batches/x"}],"nextPageToken":"2"}', false, 3)).skeleton).toEqual({
      operations: [{ name: 'batches/x' }],
      nextPageToken: '2',
    });
  });

  it('refuses a skeleton or an answer past its limit, and what is not JSON', async () => {
    await expect(run(JSON.stringify({ big: 'x'.repeat(500) }), true, 50, { skeletonChars: 100, elementChars: 100 })).rejects.toThrow(ScanError);
    await expect(run(text, true, 50, { skeletonChars: 100_000, elementChars: 20 })).rejects.toThrow(ScanError);
    await expect(run('{"name": ', true, 50)).rejects.toThrow(ScanError);
  });
});
