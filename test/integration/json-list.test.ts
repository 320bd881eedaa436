/**
 * The batch listing writes its envelope around stored JSON text instead of serialising parsed
 * objects: its bytes must be what `JSON.stringify` of the envelope would give, for any ids.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sendJsonList } from '../../src/http/json-list.js';

const replyStub = () => {
  const types: string[] = [];
  return { reply: { type: (t: string) => types.push(t) } as never, types };
};

describe('sendJsonList', () => {
  it('writes the bytes JSON.stringify writes for the same envelope', () => {
    const objectArb = fc.record({ id: fc.string(), object: fc.constant('batch'), metadata: fc.dictionary(fc.string(), fc.string()), n: fc.integer() });
    fc.assert(
      fc.property(fc.array(objectArb, { maxLength: 6 }), fc.boolean(), (objects, hasMore) => {
        const { reply, types } = replyStub();
        const body = sendJsonList(reply, { items: objects.map((o) => ({ id: o.id, json: JSON.stringify(o) })), hasMore });
        const envelope = { object: 'list', data: objects, first_id: objects[0]?.id ?? null, last_id: objects.at(-1)?.id ?? null, has_more: hasMore };
        expect(body).toBe(JSON.stringify(envelope));
        expect(types).toEqual(['application/json; charset=utf-8']);
      }),
      { numRuns: 200 },
    );
  });
});
